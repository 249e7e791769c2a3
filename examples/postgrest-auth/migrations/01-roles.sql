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

-- Every request carries tokens: in request.headers and request.cookies, which PostgREST sets
-- with its first statement, and in the arguments of refresh. Whatever the server-wide
-- logging (log_statement, auto_explain's plans with their values, the parameters of failing
-- statements), the sessions of PostgREST's login role keep statements and plans out of the
-- server log. Errors themselves are still logged, without their statement.
ALTER ROLE authenticator SET log_statement = 'none';
ALTER ROLE authenticator SET log_min_duration_statement = -1;
ALTER ROLE authenticator SET log_min_error_statement = 'panic';
ALTER ROLE authenticator SET log_parameter_max_length = 0;
ALTER ROLE authenticator SET log_parameter_max_length_on_error = 0;
ALTER ROLE authenticator SET auto_explain.log_min_duration = -1;

-- PostgREST's password, from the environment of psql (not the server): optional, so that a
-- local setup with peer or trust authentication needs none. The statement carries the
-- password, so it is kept out of the server log (SET LOCAL: this file runs in one
-- transaction).
\getenv authenticator_password AUTHENTICATOR_PASSWORD
\if :{?authenticator_password}
SET LOCAL log_statement = 'none';
ALTER ROLE authenticator PASSWORD :'authenticator_password';
\endif
