-- jwt_sign: exact tokens, claim input types, compact output, time claims, refusals.
CREATE EXTENSION IF NOT EXISTS pgrst_jwt;
\set VERBOSITY default
\set secret '''reallyreallyreallyreallyverysafe'''
-- Exact tokens. The expected values are PyJWT 2.x's:
--   jwt.encode({"sub":"42","role":"web_user","admin":True}, secret, algorithm=alg, headers={"typ":"JWT"})
-- (jsonb stores keys shortest first, so that is the order of the jsonb below).
SELECT alg, jwt_sign('{"admin": true, "role": "web_user", "sub": "42"}'::jsonb, :secret, alg) AS token
FROM unnest(ARRAY['HS256', 'HS384', 'HS512']) alg;
SELECT alg, jwt_sign('{"admin": true, "role": "web_user", "sub": "42"}'::jsonb, :secret, alg) = pyjwt AS same_as_pyjwt
FROM (VALUES
  ('HS256', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsInJvbGUiOiJ3ZWJfdXNlciIsImFkbWluIjp0cnVlfQ.JsC4Vrg_D874l4CtvQxebQ8ydFbVpDaEEj79JKIhJFk'),
  ('HS384', 'eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsInJvbGUiOiJ3ZWJfdXNlciIsImFkbWluIjp0cnVlfQ.sudz5vbJBAkJWAACJ-uhO05coD8d0PK7EafPbBZiy78nV51bhCK51jwWA6Dop_nT'),
  ('HS512', 'eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsInJvbGUiOiJ3ZWJfdXNlciIsImFkbWluIjp0cnVlfQ.dg1r9XJ1-AMvatOfDs8D_OqKZu78_JAyH8hoHmIlVfAId82jJht6vk9m4UaIw3FdO_M5ykW3-mjOG6YetKcAfQ')
) v(alg, pyjwt);
-- the same token again from t.hmac (an independent signer)
SELECT jwt_sign('{"role": "todo_user"}'::jsonb, :secret)
     = t.forge('{"role":"todo_user"}', :secret) AS same_as_forged,
       jwt_sign('{"role": "todo_user"}'::jsonb, :secret, 'HS512')
     = t.forge('{"alg":"HS512","typ":"JWT"}', '{"role":"todo_user"}', :secret, 'sha512') AS hs512_same_as_forged;
-- the default algorithm is HS256; algorithm names are case-insensitive; NULL: the key's own (HS256)
SELECT jwt_sign('{"a":1}'::jsonb, :secret) = jwt_sign('{"a":1}'::jsonb, :secret, 'HS256') AS default_hs256,
       jwt_sign('{"a":1}'::jsonb, :secret, 'hs384') = jwt_sign('{"a":1}'::jsonb, :secret, 'HS384') AS lower_case,
       jwt_sign('{"a":1}'::jsonb, :secret, NULL) = jwt_sign('{"a":1}'::jsonb, :secret) AS null_is_hs256;
-- headers: alg then typ, compact
SELECT alg, t.part(jwt_sign('{}'::jsonb, :secret, alg), 1) AS header
FROM unnest(ARRAY['HS256', 'HS384', 'HS512']) alg;
-- jsonb, json and an untyped literal all resolve (no "function jwt_sign(unknown, unknown) is not unique")
SELECT t.part(jwt_sign('{"b": 1, "a": 2}'::jsonb, :secret), 2) AS from_jsonb,
       t.part(jwt_sign('{"b": 1, "a": 2}'::json, :secret), 2) AS from_json,
       t.part(jwt_sign('{"b": 1, "a": 2}', :secret), 2) AS from_literal,
       t.part(jwt_sign('{"b": 1, "a": 2}'::text, :secret), 2) AS from_text;
SELECT pg_typeof(jwt_sign('{}', :secret)) AS result_type;
-- compact output: json keeps its key order and loses insignificant whitespace; jsonb uses jsonb's order
SELECT t.part(jwt_sign(E'{ "zeta" : [1, 2, {"y": null, "x": false}],\n\t"alpha": {"b": "2", "a": 1.50},  "mid": -0 }'::json, :secret), 2) AS json_payload;
SELECT t.part(jwt_sign(E'{ "zeta" : [1, 2, {"y": null, "x": false}],\n\t"alpha": {"b": "2", "a": 1.50},  "mid": -0 }'::jsonb, :secret), 2) AS jsonb_payload;
-- strings: escapes and non-ASCII survive, and the payload is the same JSON value
SELECT t.part(jwt_sign('{"name": "José \"Q\" \\ / <b>\t", "emoji": "\ud83d\ude00"}'::json, :secret), 2) AS json_strings;
SELECT (jwt_decode(jwt_sign(c, :secret))).claims = c AS round_trips
FROM (SELECT '{"name": "José \"Q\" \\ / <b>\t", "emoji": "\ud83d\ude00", "n": 1e3, "deep": {"a": [[]]}}'::jsonb AS c) s;
-- row_to_json(r), as PostgREST's login recipe does: column order is kept
SELECT t.part(jwt_sign(row_to_json(r), :secret), 2) AS row_to_json_payload
FROM (SELECT 'web_user' AS role, 'alice@example.com' AS email, 4102444800 AS exp) r;
SELECT jwt_verify(jwt_sign(row_to_json(r), :secret), :secret) ->> 'role' AS role,
       (jwt_verify(jwt_sign(row_to_json(r), :secret), :secret) ->> 'exp')::bigint
         = extract(epoch FROM now())::integer + 3600 AS exp_kept
FROM (SELECT 'web_user' AS role, extract(epoch FROM now())::integer + 3600 AS exp) r;
-- json_build_object / jsonb_build_object values
SELECT t.part(jwt_sign(json_build_object('role', 'web_user', 'uid', 7), :secret), 2) AS json_build_object,
       t.part(jwt_sign(jsonb_build_object('role', 'web_user', 'uid', 7), :secret), 2) AS jsonb_build_object;
-- time claims become whole seconds (truncated); other numbers and nested "exp" are left alone
SELECT t.part(jwt_sign('{"exp": 4102444800.7, "nbf": 1700000000.999, "iat": 1.7e9, "x": 0.5, "o": {"exp": 1.5}}'::json, :secret), 2) AS json_times;
SELECT t.part(jwt_sign('{"exp": 4102444800.7, "nbf": 1700000000.999, "iat": 1.7e9, "x": 0.5, "o": {"exp": 1.5}}'::jsonb, :secret), 2) AS jsonb_times;
SELECT t.part(jwt_sign('{"exp": 4102444800.0, "iat": 1700000000}', :secret), 2) AS whole_stays;
SELECT t.part(jwt_sign(jsonb_build_object('exp', extract(epoch FROM now()) + 3600), :secret), 2) ~ '^\{"exp":[0-9]+\}$' AS epoch_plus_fraction_is_whole;
-- time claims must be numbers
SELECT jwt_sign('{"exp": "tomorrow"}', :secret);
SELECT jwt_sign('{"nbf": null}'::jsonb, :secret);
SELECT jwt_sign('{"iat": true}'::json, :secret);
-- claims must be a JSON object
SELECT jwt_sign('[1, 2]'::jsonb, :secret);
SELECT jwt_sign('"role"'::json, :secret);
SELECT jwt_sign('null'::jsonb, :secret);
SELECT jwt_sign('42', :secret);
-- invalid JSON text (json/jsonb casts would fail in PostgreSQL itself; text reaches us)
SELECT jwt_sign('{"role": "web_user"', :secret);
SELECT jwt_sign('{role: 1}'::text, :secret);
SELECT jwt_sign('', :secret);
SELECT jwt_sign('{"a": 1} x', :secret);
-- json keeps duplicate names; a token must not carry them
SELECT jwt_sign('{"role": "web_user", "role": "admin"}'::json, :secret);
SELECT jwt_sign('{"role": "web_user", "role": "admin"}', :secret);
-- jsonb already kept the last one
SELECT t.part(jwt_sign('{"role": "web_user", "role": "admin"}'::jsonb, :secret), 2) AS jsonb_dedup;
-- secrets: at least 32 bytes for signing, PostgREST's wording
SELECT jwt_sign('{}', 'reallyreallyreallyreallyverysaf');
SELECT length('reallyreallyreallyreallyverysaf') AS len31,
       jwt_sign('{}', 'reallyreallyreallyreallyverysafe') IS NOT NULL AS len32_signs;
SELECT jwt_sign('{}', 'short', 'HS512');
SELECT jwt_sign('{}', '');
-- 16 two-byte characters are 32 bytes (PostgREST counts bytes)
SELECT octet_length(repeat('é', 16)) AS bytes, jwt_sign('{}', repeat('é', 16)) IS NOT NULL AS signs;
-- algorithms
SELECT jwt_sign('{}', :secret, 'HS999');
SELECT jwt_sign('{}', :secret, 'none');
SELECT jwt_sign('{}', :secret, '');
SELECT jwt_sign('{}', :secret, 'RS256');
-- signing is deterministic (HMAC) and the token has three base64url parts
SELECT jwt_sign('{"a":1}', :secret) = jwt_sign('{"a":1}', :secret) AS deterministic,
       jwt_sign('{"a":1}', :secret) ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' AS three_b64url_parts;
