-- NULL arguments: NULL in, NULL out (or no row); NULL options mean their default.
CREATE EXTENSION IF NOT EXISTS pgrst_jwt;
\set secret '''reallyreallyreallyreallyverysafe'''
SELECT jwt_sign(NULL::jsonb, :secret) IS NULL AS jsonb_claims,
       jwt_sign(NULL::json, :secret) IS NULL AS json_claims,
       jwt_sign(NULL::text, :secret) IS NULL AS text_claims,
       jwt_sign(NULL, :secret) IS NULL AS untyped_claims,
       jwt_sign('{}'::jsonb, NULL) IS NULL AS jsonb_secret,
       jwt_sign('{}'::json, NULL) IS NULL AS json_secret,
       jwt_sign('{}', NULL) IS NULL AS text_secret;
-- NULL algorithm: the key's own (HS256 for an HMAC secret)
SELECT t.part(jwt_sign('{}', :secret, NULL), 1) AS null_algorithm_header;
SELECT jwt_verify(NULL, :secret) IS NULL AS null_token,
       jwt_verify(jwt_sign('{}', :secret), NULL) IS NULL AS null_secret,
       jwt_verify(NULL, NULL) IS NULL AS both_null;
-- NULL algorithm / leeway / audience: any algorithm, 30 s, no audience check
SELECT jwt_verify(jwt_sign('{"aud":"x"}', :secret, 'HS512'), :secret, NULL, NULL, NULL) AS null_options;
SELECT count(*) AS decode_null_rows FROM jwt_decode(NULL);
SELECT * FROM jwt_check(NULL, :secret, NULL, NULL, NULL);
