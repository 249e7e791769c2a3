-- jwt_decode: header and claims WITHOUT verification; malformed tokens still raise.
CREATE EXTENSION IF NOT EXISTS pgrst_jwt;
\set VERBOSITY default
\set secret '''reallyreallyreallyreallyverysafe'''
SELECT * FROM jwt_decode(jwt_sign('{"role":"web_user","sub":"42"}', :secret));
SELECT * FROM jwt_decode(jwt_sign('{"role":"web_user"}', :secret, 'HS512'));
-- no verification: expired, wrong signature, alg none, any header all decode
SELECT * FROM jwt_decode(jwt_sign('{"exp":1}', :secret));
SELECT * FROM jwt_decode(t.flip_sig(jwt_sign('{"role":"web_user"}', :secret)));
SELECT * FROM jwt_decode('eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.');
SELECT * FROM jwt_decode(t.forge('{"alg":"XY1","kid":"k","x5u":"https://example.com"}', '{"aud":1,"exp":"soon"}', 'k'));
-- the RFC 7519 3.1 example token (CRLFs in its JSON)
SELECT * FROM jwt_decode('eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
-- claims can be used as jsonb directly
SELECT (jwt_decode(jwt_sign('{"role":"web_user","sub":"42"}', :secret))).claims ->> 'sub' AS sub;
-- malformed tokens
SELECT * FROM jwt_decode('');
SELECT * FROM jwt_decode('abc');
SELECT * FROM jwt_decode('a.b');
SELECT * FROM jwt_decode('a.b.c.d');
SELECT * FROM jwt_decode('!!!.eyJhIjoxfQ.');
SELECT * FROM jwt_decode(t.b64url('{"alg":"HS256"}') || '.' || t.b64url('not json') || '.');
SELECT * FROM jwt_decode(t.b64url('{"alg":"HS256"}') || '.' || t.b64url('[1,2]') || '.');
SELECT * FROM jwt_decode(t.b64url('[]') || '.' || t.b64url('{}') || '.');
SELECT * FROM jwt_decode(t.b64url('{"alg":') || '.' || t.b64url('{}') || '.');
SET pgrst_jwt.max_token_bytes = 32;
SELECT * FROM jwt_decode(jwt_sign('{"role":"web_user"}', :secret));
RESET pgrst_jwt.max_token_bytes;
