-- pgrst_jwt in two minutes: sign, verify, check a tampered token, decode.
-- Run with: make demo   (or: psql -X -v ON_ERROR_STOP=1 -d pgrst_jwt_demo -f examples/demo.sql)
\set QUIET on
\pset footer off
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS extensions;
DROP EXTENSION IF EXISTS pgrst_jwt;
CREATE EXTENSION pgrst_jwt SCHEMA extensions;
SET search_path = public, extensions;
-- a demo secret (32 bytes at least); never use it for anything real
\set secret '''demo-secret-for-pgrst-jwt-0123456789-not-for-production'''

\echo
\echo '== 1. sign a token (HS256, expires in one hour)'
SELECT jwt_sign(jsonb_build_object('role', 'web_user', 'email', 'alice@example.com',
                                   'exp', extract(epoch FROM now())::bigint + 3600),
                :secret) AS token \gset
\echo :token

\echo
\echo '== 2. verify it: the claims come back as jsonb'
SELECT jwt_verify(:'token', :secret) AS claims;

\echo
\echo '== 3. a tampered token (role changed to admin, signature kept) is refused'
SELECT split_part(:'token', '.', 1) || '.'
       || rtrim(translate(encode(convert_to(
            jsonb_set(jwt_verify(:'token', :secret), '{role}', '"admin"')::text, 'UTF8'), 'base64'),
            E'+/\n', '-_'), '=')
       || '.' || split_part(:'token', '.', 3) AS tampered \gset
SELECT valid, reason, claims ->> 'role' AS claimed_role FROM jwt_check(:'tampered', :secret);

\echo
\echo '== 4. decode without verifying (never trust this alone)'
SELECT header, claims FROM jwt_decode(:'token');
