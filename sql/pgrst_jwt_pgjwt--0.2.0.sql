-- pgrst_jwt_pgjwt: pgjwt's sign() and verify(), implemented by pgrst_jwt's library.
-- CREATE EXTENSION pgrst_jwt_pgjwt SCHEMA extensions CASCADE;  (also creates pgrst_jwt)
\echo Use "CREATE EXTENSION pgrst_jwt_pgjwt" to load this file. \quit

CREATE FUNCTION sign(payload json, secret text, algorithm text DEFAULT 'HS256')
RETURNS text
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'pgjwt_sign_wrapper';

CREATE FUNCTION verify(token text, secret text, algorithm text DEFAULT 'HS256')
RETURNS TABLE (header json, payload json, valid boolean)
STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'pgjwt_verify_wrapper';

COMMENT ON FUNCTION sign(json, text, text) IS
  'pgjwt''s sign(): signs the JSON text as given with HS256, HS384 or HS512 (any secret length); byte-identical tokens.';
COMMENT ON FUNCTION verify(text, text, text) IS
  'pgjwt''s verify(): header, payload and valid (signature, the algorithm asked for, nbf <= now < exp, no leeway); constant-time.';
