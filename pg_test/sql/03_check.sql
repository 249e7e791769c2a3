-- jwt_check: never raises for a bad token; a stable reason code per failure, and what
-- could be decoded of the token.
CREATE EXTENSION IF NOT EXISTS pgrst_jwt;
\set VERBOSITY default
\set secret '''reallyreallyreallyreallyverysafe'''
-- a valid token
SELECT * FROM jwt_check(jwt_sign('{"role":"web_user"}', :secret), :secret);
SELECT * FROM jwt_check(jwt_sign('{"role":"web_user"}', :secret, 'HS512'), :secret, 'HS512', 0, NULL);
-- one row per case: valid, reason, and whether header/claims were decoded
SELECT label, c.valid, c.reason, c.header IS NOT NULL AS has_header, c.claims IS NOT NULL AS has_claims
FROM (VALUES
  (1, 'valid',                  jwt_sign('{"role":"web_user"}', :secret), :secret, NULL, 30, NULL),
  (2, 'expired',                jwt_sign(jsonb_build_object('exp', t.now_s() - 31), :secret), :secret, NULL, 30, NULL),
  (3, 'exp at the boundary',    jwt_sign(jsonb_build_object('exp', t.now_s() - 30), :secret), :secret, NULL, 30, NULL),
  (4, 'expired, leeway 100',    jwt_sign(jsonb_build_object('exp', t.now_s() - 31), :secret), :secret, NULL, 100, NULL),
  (5, 'not yet valid',          jwt_sign(jsonb_build_object('nbf', t.now_s() + 31), :secret), :secret, NULL, 30, NULL),
  (6, 'issued in future',       jwt_sign(jsonb_build_object('iat', t.now_s() + 31), :secret), :secret, NULL, 30, NULL),
  (7, 'exp not a number',       t.forge('{"exp":"soon"}', :secret), :secret, NULL, 30, NULL),
  (8, 'audience match',         t.forge('{"aud":["x","api"]}', :secret), :secret, NULL, 30, 'api'),
  (9, 'audience mismatch',      t.forge('{"aud":"web"}', :secret), :secret, NULL, 30, 'api'),
  (10, 'audience wrong type',   t.forge('{"aud":1}', :secret), :secret, NULL, 30, 'api'),
  (11, 'two parts',             'a.b', :secret, NULL, 30, NULL),
  (12, 'four parts',            'a.b.c.d', :secret, NULL, 30, NULL),
  (13, 'empty token',           '', :secret, NULL, 30, NULL),
  (14, 'bad base64url',         '!!!.eyJhIjoxfQ.c2ln', :secret, NULL, 30, NULL),
  (15, 'payload not an object', t.forge('[1]', :secret), :secret, NULL, 30, NULL),
  (16, 'alg none',              'eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.', :secret, NULL, 30, NULL),
  (17, 'HS384 but HS256 pinned', jwt_sign('{"a":1}', :secret, 'HS384'), :secret, 'HS256', 30, NULL),
  (18, 'tampered payload',      split_part(jwt_sign('{"role":"web_user"}', :secret), '.', 1) || '.' || t.b64url('{"role":"admin"}')
                                  || '.' || split_part(jwt_sign('{"role":"web_user"}', :secret), '.', 3), :secret, NULL, 30, NULL),
  (19, 'flipped signature',     t.flip_sig(jwt_sign('{"role":"web_user"}', :secret)), :secret, NULL, 30, NULL),
  (20, 'wrong secret',          jwt_sign('{"role":"web_user"}', :secret), 'reallyreallyreallyreallyverysafE', NULL, 30, NULL),
  (21, 'HS512 header, HS256 signature', t.b64url('{"alg":"HS512","typ":"JWT"}') || substr(jwt_sign('{"a":1}', :secret), 37), :secret, NULL, 30, NULL)
) v(n, label, token, secret, alg, leeway, aud),
LATERAL jwt_check(v.token, v.secret, v.alg, v.leeway, v.aud) c
ORDER BY n;
-- a refused token still shows what could be decoded
SELECT valid, reason, header, claims FROM jwt_check(jwt_sign('{"exp":1,"role":"web_user"}', :secret), :secret);
SELECT valid, reason, header, claims FROM jwt_check(t.flip_sig(jwt_sign('{"role":"web_user"}', :secret, 'HS384')), :secret);
SELECT valid, reason, header, claims FROM jwt_check('eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.', :secret);
SELECT valid, reason, header, claims FROM jwt_check('a.b', :secret);
-- a NULL token is malformed (empty), not an error
SELECT * FROM jwt_check(NULL, :secret);
-- tokens over pgrst_jwt.max_token_bytes
SET pgrst_jwt.max_token_bytes = 64;
SELECT valid, reason, header IS NULL AS no_header FROM jwt_check(jwt_sign('{"role":"web_user","email":"alice@example.com"}', :secret), :secret);
RESET pgrst_jwt.max_token_bytes;
-- secret NULL means the configured secret; none is configured in this database
SELECT valid, reason, claims FROM jwt_check(jwt_sign('{"role":"web_user"}', :secret));
SELECT valid, reason FROM jwt_check(jwt_sign('{"role":"web_user"}', :secret), NULL);
-- bad arguments (not bad tokens) are still errors
SELECT * FROM jwt_check(jwt_sign('{}', :secret), :secret, 'HS999');
SELECT * FROM jwt_check(jwt_sign('{}', :secret), :secret, leeway => -5);
SELECT * FROM jwt_check(jwt_sign('{}', :secret), '');
-- the result columns
SELECT p.proname, pg_get_function_result(p.oid) AS result
FROM pg_proc p WHERE p.proname IN ('jwt_check', 'jwt_decode') ORDER BY 1;
