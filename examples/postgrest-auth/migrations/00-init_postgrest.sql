-- 00: the extensions, in a schema PostgREST does not expose (db-schemas = api), and the JWT
-- secret, read from the server's environment: the Postgres service gets JWT_SECRET, the same
-- value PostgREST gets as PGRST_JWT_SECRET (postgrest.conf reads it as $(JWT_SECRET)).
--
-- Run as a superuser, each file in one transaction, in order:
--   for f in migrations/*.sql; do psql -X -1 -v ON_ERROR_STOP=1 -f "$f" || break; done

-- The schema belongs to the superuser running this file. No IF NOT EXISTS: a schema of that
-- name made earlier by someone else (the database owner, say) must fail here rather than be
-- adopted, since its owner could rename it and plant functions with the extensions' names
-- that a superuser would later run. (pgrst_jwt also refuses a schema whose owner is not a
-- superuser.)
CREATE SCHEMA extensions;
-- no IF NOT EXISTS: an extension already installed elsewhere (e.g. pgcrypto in public) must
-- fail here, not later when extensions.crypt() is missing
CREATE EXTENSION pgcrypto SCHEMA extensions;
CREATE EXTENSION pgrst_jwt SCHEMA extensions;

-- Stores the secret in the extension's table (never in a setting, never in the log) and
-- returns its fingerprint. A base64 secret (PGRST_JWT_SECRET_IS_BASE64=true):
--   SELECT extensions.set_pgrst_secret_from_env(is_base64 => true);
SELECT extensions.set_pgrst_secret_from_env();
