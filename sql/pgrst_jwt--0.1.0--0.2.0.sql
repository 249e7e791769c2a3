-- pgrst_jwt 0.1.0 -> 0.2.0 (ALTER EXTENSION pgrst_jwt UPDATE TO '0.2.0').
-- The stored secret (table pgrst_jwt_secret) is kept as it is. The library of 0.2.0
-- reads it without SQL and makes the pgrst.* settings superuser-only; what changes in
-- the catalog is below.
\echo Use "ALTER EXTENSION pgrst_jwt UPDATE TO '0.2.0'" to load this file. \quit

-- jwt_secret_status() gains the column exposures: every way a non-superuser could
-- read the secret (a changed result type needs DROP + CREATE)
DROP FUNCTION jwt_secret_status();
CREATE FUNCTION jwt_secret_status() RETURNS TABLE (
    "configured" bool,
    "source" TEXT,
    "fingerprint" TEXT,
    "readable_by_public" bool,
    "exposures" TEXT[]
)
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'jwt_secret_status_wrapper';
COMMENT ON FUNCTION jwt_secret_status() IS
  'Whether and where a JWT secret is configured, its fingerprint, and whether and how any non-superuser could read it (exposures). Never the secret.';

-- pgrst.jwt_aud, pgrst.jwt_role_claim_key and pgrst.jwt_secret_is_base64 decide what a token
-- proves. 0.1.0 let any role store them for itself (ALTER ROLE ... SET) and a database owner
-- for its database; from 0.2.0 only a superuser sets them. PostgreSQL applies a stored role
-- or database setting with superuser rights, whoever stored it, so the values stored under
-- 0.1.0 are removed here, each named in a WARNING: set again (as a superuser) what you want.
DO $reset_0_1_0_settings$
DECLARE
    s record;
    name text;
    target text;
BEGIN
    FOR s IN
        SELECT d.setdatabase, d.setrole, pg_catalog.split_part(c, '=', 1) AS setting
          FROM pg_catalog.pg_db_role_setting d, pg_catalog.unnest(d.setconfig) c
         WHERE pg_catalog.split_part(c, '=', 1) OPERATOR(pg_catalog.=) ANY
               (ARRAY['pgrst.jwt_aud', 'pgrst.jwt_role_claim_key', 'pgrst.jwt_secret_is_base64'])
    LOOP
        target := CASE
            WHEN s.setrole OPERATOR(pg_catalog.=) 0 THEN
                pg_catalog.format('DATABASE %I', (SELECT datname FROM pg_catalog.pg_database
                                                   WHERE oid OPERATOR(pg_catalog.=) s.setdatabase))
            WHEN s.setdatabase OPERATOR(pg_catalog.=) 0 THEN
                pg_catalog.format('ROLE %s', s.setrole::pg_catalog.regrole)
            ELSE pg_catalog.format('ROLE %s IN DATABASE %I', s.setrole::pg_catalog.regrole,
                                   (SELECT datname FROM pg_catalog.pg_database
                                     WHERE oid OPERATOR(pg_catalog.=) s.setdatabase))
        END;
        EXECUTE pg_catalog.format('ALTER %s RESET %I', target, s.setting);
        RAISE WARNING 'pgrst_jwt 0.2.0: removed the setting % of %', s.setting, target
            USING DETAIL = 'Any role could store it under 0.1.0, and PostgreSQL applies it with superuser rights.',
                  HINT = pg_catalog.format('As a superuser, if you want it: ALTER %s SET %s = ...;', target, s.setting);
    END LOOP;
END
$reset_0_1_0_settings$;
