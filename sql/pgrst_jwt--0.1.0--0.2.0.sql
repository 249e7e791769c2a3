-- pgrst_jwt 0.1.0 -> 0.2.0 (ALTER EXTENSION pgrst_jwt UPDATE TO '0.2.0').
-- The stored secret (table pgrst_jwt_secret) is kept as it is. The library of 0.2.0
-- reads it without SQL and makes the pgrst.* settings superuser-only; what changes in
-- the catalog is below.
\echo Use "ALTER EXTENSION pgrst_jwt UPDATE TO '0.2.0'" to load this file. \quit

-- jwt_secret_status() gains the column exposures: every way a non-superuser could read the
-- secret. A changed result type cannot be made in place, and dropping the function would
-- lose what administrators set on it: its privileges (a REVOKE from PUBLIC), and every view
-- built on it (a database owner's, or any role's temporary view, would make the update
-- fail). So the 0.1.0 function is renamed out of the way, the new one gets its privileges,
-- and the old one is dropped unless something still uses it; then it leaves the extension
-- and keeps working (the same C function fills the four columns it declares), and a WARNING
-- names what keeps it.
ALTER FUNCTION jwt_secret_status() RENAME TO jwt_secret_status_0_1_0;
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

DO $keep_status_privileges$
DECLARE
    old_fn pg_catalog.regprocedure := 'jwt_secret_status_0_1_0()'::pg_catalog.regprocedure;
    new_fn pg_catalog.regprocedure := 'jwt_secret_status()'::pg_catalog.regprocedure;
    old_acl pg_catalog.aclitem[];
    old_owner oid;
    item record;
    users text;
BEGIN
    SELECT p.proacl, p.proowner INTO old_acl, old_owner FROM pg_catalog.pg_proc p
     WHERE p.oid OPERATOR(pg_catalog.=) old_fn;
    -- NULL: the default (EXECUTE for PUBLIC and the owner), which the new function has too
    IF old_acl IS NOT NULL THEN
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', new_fn);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(old_acl) a
                        WHERE a.grantee OPERATOR(pg_catalog.=) old_owner) THEN
            EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM %s', new_fn,
                                      old_owner::pg_catalog.regrole);
        END IF;
        FOR item IN
            SELECT a.grantee, a.is_grantable FROM pg_catalog.aclexplode(old_acl) a
             WHERE a.grantee OPERATOR(pg_catalog.<>) old_owner
        LOOP
            EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s%s', new_fn,
                CASE WHEN item.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                     ELSE item.grantee::pg_catalog.regrole::text END,
                CASE WHEN item.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
        END LOOP;
    END IF;
    BEGIN
        EXECUTE pg_catalog.format('DROP FUNCTION %s', old_fn);
    EXCEPTION WHEN dependent_objects_still_exist THEN
        SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ')
          INTO users
          FROM pg_catalog.pg_depend d
         WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
           AND d.refobjid OPERATOR(pg_catalog.=) old_fn AND d.deptype OPERATOR(pg_catalog.=) 'n';
        -- no longer part of the extension, so that it can be dropped once unused
        EXECUTE pg_catalog.format('ALTER EXTENSION pgrst_jwt DROP FUNCTION %s', old_fn);
        RAISE WARNING 'pgrst_jwt 0.2.0: kept 0.1.0''s jwt_secret_status() as jwt_secret_status_0_1_0(), which other objects use'
            USING DETAIL = pg_catalog.format('Used by: %s. They keep working, with the four columns of 0.1.0.', users),
                  HINT = 'Rebuild them on jwt_secret_status(), then (as a superuser) DROP FUNCTION jwt_secret_status_0_1_0();';
    END;
END
$keep_status_privileges$;

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
