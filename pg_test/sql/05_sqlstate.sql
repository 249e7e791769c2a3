-- The SQLSTATE of every error class (api.md): 28000 a rejected token, 22023 a bad
-- argument or key, 55000 no configured secret. PostgREST maps them to HTTP statuses.
CREATE EXTENSION IF NOT EXISTS pgrst_jwt;
\set secret '''reallyreallyreallyreallyverysafe'''
SELECT label, t.err(stmt) AS "sqlstate: message"
FROM (VALUES
  (1,  'empty token',        format('SELECT jwt_verify(%L, %L)', '', :secret)),
  (2,  'wrong parts',        format('SELECT jwt_verify(%L, %L)', 'a.b', :secret)),
  (3,  'bad base64url',      format('SELECT jwt_verify(%L, %L)', '!!!.e30.', :secret)),
  (4,  'alg none',           format('SELECT jwt_verify(%L, %L)', 'eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.', :secret)),
  (5,  'algorithm pinned',   format('SELECT jwt_verify(%L, %L, %L)', jwt_sign('{}', :secret, 'HS384'), :secret, 'HS256')),
  (6,  'bad signature',      format('SELECT jwt_verify(%L, %L)', t.flip_sig(jwt_sign('{}', :secret)), :secret)),
  (7,  'wrong secret',       format('SELECT jwt_verify(%L, %L)', jwt_sign('{}', :secret), 'x' || :secret)),
  (8,  'expired',            format('SELECT jwt_verify(%L, %L)', jwt_sign('{"exp":1}', :secret), :secret)),
  (9,  'not yet valid',      format('SELECT jwt_verify(%L, %L)', jwt_sign('{"nbf":4102444800}', :secret), :secret)),
  (10, 'issued in future',   format('SELECT jwt_verify(%L, %L)', jwt_sign('{"iat":4102444800}', :secret), :secret)),
  (11, 'exp not a number',   format('SELECT jwt_verify(%L, %L)', t.forge('{"exp":"x"}', :secret), :secret)),
  (12, 'aud type',           format('SELECT jwt_verify(%L, %L, audience => %L)', t.forge('{"aud":1}', :secret), :secret, 'api')),
  (13, 'not in audience',    format('SELECT jwt_verify(%L, %L, audience => %L)', t.forge('{"aud":"x"}', :secret), :secret, 'api')),
  (14, 'payload not object', format('SELECT jwt_verify(%L, %L)', t.forge('[1]', :secret), :secret)),
  (15, 'too large',          format('SET LOCAL pgrst_jwt.max_token_bytes = 16; SELECT jwt_verify(%L, %L)', jwt_sign('{}', :secret), :secret)),
  (16, 'decode malformed',   format('SELECT jwt_decode(%L)', 'a.b')),
  (20, 'claims not object',  format('SELECT jwt_sign(%L::jsonb, %L)', '[1]', :secret)),
  (21, 'claims invalid JSON',format('SELECT jwt_sign(%L::text, %L)', '{', :secret)),
  (22, 'duplicate claim',    format('SELECT jwt_sign(%L::json, %L)', '{"a":1,"a":2}', :secret)),
  (23, 'time claim type',    format('SELECT jwt_sign(%L, %L)', '{"exp":"x"}', :secret)),
  (24, 'time claim range',   format('SELECT jwt_sign(%L, %L)', '{"exp":1e300}', :secret)),
  (25, 'secret too short',   format('SELECT jwt_sign(%L, %L)', '{}', 'short')),
  (26, 'empty secret',       format('SELECT jwt_sign(%L, %L)', '{}', '')),
  (27, 'empty secret verify',format('SELECT jwt_verify(%L, %L)', jwt_sign('{}', :secret), '')),
  (28, 'unknown algorithm',  format('SELECT jwt_sign(%L, %L, %L)', '{}', :secret, 'HS999')),
  (29, 'none algorithm',     format('SELECT jwt_sign(%L, %L, %L)', '{}', :secret, 'none')),
  (30, 'alg/key mismatch',   format('SELECT jwt_sign(%L, %L, %L)', '{}', :secret, 'ES256')),
  (31, 'negative leeway',    format('SELECT jwt_verify(%L, %L, leeway => -1)', jwt_sign('{}', :secret), :secret)),
  (40, 'no configured secret', format('SELECT jwt_verify(%L)', jwt_sign('{}', :secret)))
) v(n, label, stmt)
ORDER BY n;
-- the same as psql reports it with VERBOSITY sqlstate
\set VERBOSITY sqlstate
SELECT jwt_verify(jwt_sign('{"exp":1}', :secret), :secret);
SELECT jwt_sign('{}', 'short');
\set VERBOSITY default
-- a plpgsql RPC can catch a rejected token by its class and answer as PostgREST needs
CREATE FUNCTION t.rpc_verify(token text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN jwt_verify(token, 'reallyreallyreallyreallyverysafe') ->> 'role';
EXCEPTION WHEN invalid_authorization_specification THEN
    GET STACKED DIAGNOSTICS token = PG_EXCEPTION_DETAIL;
    RETURN 'rejected: ' || SQLERRM || coalesce(' (' || nullif(token, '') || ')', '');
END $$;
SELECT t.rpc_verify(jwt_sign('{"role":"web_user"}', :secret)) AS ok,
       t.rpc_verify(jwt_sign('{"exp":1}', :secret)) AS expired,
       t.rpc_verify('a.b') AS malformed;
