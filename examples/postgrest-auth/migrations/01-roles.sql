-- 01: the roles. PostgREST logs in as authenticator and switches, per request, to anon
-- (no token) or to the token's role (web_user). auth_owner owns the auth functions and is
-- the only role allowed to sign with the configured secret.

CREATE ROLE authenticator LOGIN NOINHERIT;
CREATE ROLE anon NOLOGIN;
CREATE ROLE web_user NOLOGIN;
GRANT anon, web_user TO authenticator;

CREATE ROLE auth_owner NOLOGIN;
GRANT EXECUTE ON FUNCTION extensions.jwt_sign(jsonb) TO auth_owner;

-- the extensions' schema: auth_owner calls crypt(), digest(), gen_random_bytes() and
-- jwt_sign(); web_user's row-level security policies call extensions.jwt_claim()
GRANT USAGE ON SCHEMA extensions TO auth_owner, web_user, anon;

-- Settings that decide what a token proves are superuser-only; set them here if you use them
-- (PostgREST reads its own role's settings), e.g.:
--   ALTER ROLE authenticator SET pgrst.jwt_aud = 'my-api';

-- PostgREST's password, from the environment of psql (not the server): optional, so that a
-- local setup with peer or trust authentication needs none. The statement carries the
-- password, so it is kept out of the server log (SET LOCAL: this file runs in one
-- transaction).
\getenv authenticator_password AUTHENTICATOR_PASSWORD
\if :{?authenticator_password}
SET LOCAL log_statement = 'none';
ALTER ROLE authenticator PASSWORD :'authenticator_password';
\endif
