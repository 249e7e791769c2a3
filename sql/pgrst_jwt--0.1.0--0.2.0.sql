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
