-- jwt_verify: claims back, time claims with leeway, audience, malformed and forged tokens.
CREATE EXTENSION IF NOT EXISTS pgrst_jwt;
\set VERBOSITY default
\set secret '''reallyreallyreallyreallyverysafe'''
-- round trip: the claims come back as jsonb
SELECT jwt_verify(jwt_sign('{"role": "web_user", "sub": "42", "n": [1, 2.5, null]}', :secret), :secret) AS claims;
SELECT pg_typeof(jwt_verify(jwt_sign('{}', :secret), :secret)) AS result_type;
SELECT alg, jwt_verify(jwt_sign('{"a": 1}', :secret, alg), :secret) AS any_hmac_alg,
       jwt_verify(jwt_sign('{"a": 1}', :secret, alg), :secret, alg) AS pinned_same_alg
FROM unnest(ARRAY['HS256', 'HS384', 'HS512']) alg;
-- a token from another signer (t.hmac), key order and whitespace of its payload irrelevant
SELECT jwt_verify(t.forge(E'{ "z": 1,\n "a": "x" }', :secret), :secret) AS forged_independently;
-- surrounding whitespace is ignored
SELECT jwt_verify(E' \n' || jwt_sign('{"a": 1}', :secret) || E'\t ', :secret) AS trimmed;
-- a secret shorter than 32 bytes is accepted for verifying (other signers may use one)
SELECT jwt_verify(t.forge('{"role":"web_user"}', 'short'), 'short') AS short_secret_verifies;
SELECT jwt_verify(t.forge('{"role":"web_user"}', 'short'), 'shorT');
-- exp: refused when now - leeway > exp; default leeway 30 s
SELECT d AS exp_minus_now,
       t.err(format('SELECT jwt_verify(%L, %L)', jwt_sign(jsonb_build_object('exp', t.now_s() + d), :secret), :secret)) AS outcome
FROM unnest(ARRAY[3600, 0, -29, -30, -31, -3600]) d;
SELECT jwt_verify(jwt_sign(jsonb_build_object('exp', t.now_s() - 31), :secret), :secret);
-- nbf: refused when now + leeway < nbf
SELECT d AS nbf_minus_now,
       t.err(format('SELECT jwt_verify(%L, %L)', jwt_sign(jsonb_build_object('nbf', t.now_s() + d), :secret), :secret)) AS outcome
FROM unnest(ARRAY[-3600, 0, 29, 30, 31, 3600]) d;
SELECT jwt_verify(jwt_sign(jsonb_build_object('nbf', t.now_s() + 31), :secret), :secret);
-- iat: refused when now + leeway < iat
SELECT d AS iat_minus_now,
       t.err(format('SELECT jwt_verify(%L, %L)', jwt_sign(jsonb_build_object('iat', t.now_s() + d), :secret), :secret)) AS outcome
FROM unnest(ARRAY[-3600, 0, 30, 31]) d;
SELECT jwt_verify(jwt_sign(jsonb_build_object('iat', t.now_s() + 31), :secret), :secret);
-- the leeway argument moves every boundary
SELECT leeway, claim, d,
       t.err(format('SELECT jwt_verify(%L, %L, leeway => %s)',
                    jwt_sign(jsonb_build_object(claim, t.now_s() + d), :secret), :secret, leeway)) AS outcome
FROM (VALUES (0, 'exp', 0), (0, 'exp', -1), (0, 'nbf', 0), (0, 'nbf', 1), (0, 'iat', 0), (0, 'iat', 1),
             (300, 'exp', -300), (300, 'exp', -301), (300, 'nbf', 300), (300, 'nbf', 301),
             (300, 'iat', 300), (300, 'iat', 301)) v(leeway, claim, d);
SELECT jwt_verify(jwt_sign('{}', :secret), :secret, leeway => -1);
-- leeway NULL means the default (30 s)
SELECT t.err(format('SELECT jwt_verify(%L, %L, leeway => NULL)', jwt_sign(jsonb_build_object('exp', t.now_s() - 30), :secret), :secret)) AS null_leeway_30,
       t.err(format('SELECT jwt_verify(%L, %L, leeway => NULL)', jwt_sign(jsonb_build_object('exp', t.now_s() - 31), :secret), :secret)) AS null_leeway_31;
-- time claims PostgREST reads as 0: a fractional exp (forged; we never sign one) means expired
SELECT jwt_verify(t.forge(format('{"exp":%s.5}', t.now_s() + 3600), :secret), :secret);
SELECT jwt_verify(t.forge(format('{"exp":%s.000}', t.now_s() + 3600), :secret), :secret) ? 'exp' AS whole_with_zero_fraction_ok;
SELECT jwt_verify(t.forge('{"exp":1e30}', :secret), :secret);
-- time claims that are not numbers (null is absent, as PostgREST 14+ reads it)
SELECT jwt_verify(t.forge('{"exp":"tomorrow"}', :secret), :secret);
SELECT jwt_verify(t.forge('{"nbf":null}', :secret), :secret) AS null_is_absent;
SELECT jwt_verify(t.forge('{"iat":[1]}', :secret), :secret);
-- audience: its value is not checked unless asked for, its type always is (as PostgREST)
SELECT jwt_verify(t.forge('{"aud":1}', :secret), :secret) AS aud_type_checked;
SELECT aud, t.err(format('SELECT jwt_verify(%L, %L, audience => %L)', t.forge(format('{"sub":"1"%s}', aud), :secret), :secret, 'api')) AS outcome
FROM unnest(ARRAY[',"aud":"api"', ',"aud":["web","api"]', '', ',"aud":null', ',"aud":[]',
                  ',"aud":"web"', ',"aud":""', ',"aud":["web"]', ',"aud":"API"',
                  ',"aud":1', ',"aud":{"api":true}', ',"aud":["api",1]', ',"aud":true']) aud;
SELECT jwt_verify(t.forge('{"aud":"web"}', :secret), :secret, audience => 'api');
SELECT jwt_verify(t.forge('{"aud":["api",1]}', :secret), :secret, audience => 'api');
-- wrong number of parts, empty token, bad base64url
SELECT jwt_verify('', :secret);
SELECT jwt_verify('   ', :secret);
SELECT jwt_verify('abc', :secret);
SELECT jwt_verify('a.b', :secret);
SELECT jwt_verify('a.b.c.d', :secret);
SELECT jwt_verify(jwt_sign('{}', :secret) || '.', :secret);
SELECT jwt_verify('!!!.eyJhIjoxfQ.c2ln', :secret);
SELECT jwt_verify('eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.c2ln+/', :secret);
SELECT jwt_verify(jwt_sign('{}', :secret) || '=', :secret);
-- header that is not JSON / has no alg / a non-string alg / an unknown alg / crit
SELECT jwt_verify(t.forge('not json', '{}', :secret), :secret);
SELECT jwt_verify(t.forge('{"typ":"JWT"}', '{}', :secret), :secret);
SELECT jwt_verify(t.forge('{"alg":256}', '{}', :secret), :secret);
SELECT jwt_verify(t.forge('{"alg":"hs256"}', '{}', :secret), :secret);
SELECT jwt_verify(t.forge('{"alg":"HS256","crit":["exp"]}', '{}', :secret), :secret);
-- payload that is not a JSON object, correctly signed
SELECT jwt_verify(t.forge('[1,2]', :secret), :secret);
SELECT jwt_verify(t.forge('{"a":', :secret), :secret);
-- alg none: refused whatever the signature
SELECT jwt_verify('eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.', :secret);
SELECT jwt_verify(t.forge('{"alg":"none","typ":"JWT"}', '{"role":"admin"}', :secret), :secret);
-- the caller pins the algorithm: an HS384 token is refused when HS256 is required
SELECT jwt_verify(jwt_sign('{"a": 1}', :secret, 'HS384'), :secret, algorithm => 'HS256');
SELECT jwt_verify(jwt_sign('{"a": 1}', :secret, 'HS384'), :secret, 'hs384') AS pinned_lower_case;
SELECT jwt_verify(jwt_sign('{"a": 1}', :secret), :secret, 'HS999');
SELECT jwt_verify(jwt_sign('{"a": 1}', :secret), :secret, 'none');
SELECT jwt_verify(jwt_sign('{"a": 1}', :secret), :secret, 'RS256');
-- a header claiming another HMAC algorithm than the signature was made with
SELECT jwt_verify(t.b64url('{"alg":"HS512","typ":"JWT"}') || substr(jwt_sign('{"a":1}', :secret), 37), :secret);
-- tampered payload, flipped signature, stripped signature, wrong secret
SELECT jwt_verify(split_part(tok, '.', 1) || '.' || t.b64url('{"role":"admin"}') || '.' || split_part(tok, '.', 3), :secret)
FROM (SELECT jwt_sign('{"role":"web_user"}', :secret) AS tok) s;
SELECT jwt_verify(t.flip_sig(jwt_sign('{"role":"web_user"}', :secret)), :secret);
SELECT jwt_verify(split_part(tok, '.', 1) || '.' || split_part(tok, '.', 2) || '.', :secret)
FROM (SELECT jwt_sign('{"role":"web_user"}', :secret) AS tok) s;
SELECT jwt_verify(jwt_sign('{"role":"web_user"}', :secret), 'reallyreallyreallyreallyverysafE');
-- a kid in the header does not matter with a plain secret given by the caller
SELECT jwt_verify(t.forge('{"alg":"HS256","typ":"JWT","kid":"k1"}', '{"a":1}', :secret), :secret) AS kid_ignored;
-- an empty secret is an argument error
SELECT jwt_verify(jwt_sign('{}', :secret), '');
-- tokens larger than pgrst_jwt.max_token_bytes are refused before decoding
SET pgrst_jwt.max_token_bytes = 64;
SELECT jwt_verify(jwt_sign('{"role":"web_user","email":"alice@example.com"}', :secret), :secret);
RESET pgrst_jwt.max_token_bytes;
SELECT jwt_verify(jwt_sign('{"role":"web_user","email":"alice@example.com"}', :secret), :secret) ->> 'role' AS after_reset;
