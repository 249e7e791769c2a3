-- pgrst_jwt regression tests: the extension and the helpers the other files use.
-- pg_regress runs every file of pg_test/sql in one database, in name order.
CREATE EXTENSION IF NOT EXISTS pgrst_jwt;
SELECT extname, extversion, extrelocatable FROM pg_extension WHERE extname = 'pgrst_jwt';
CREATE SCHEMA t;
-- HMAC (RFC 2104) from PostgreSQL's built-in sha256()/sha384()/sha512(): tokens forged
-- independently of pgrst_jwt, on every PostgreSQL (no pgcrypto needed)
CREATE FUNCTION t.digest(b bytea, hash text) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT CASE hash WHEN 'sha256' THEN sha256(b) WHEN 'sha384' THEN sha384(b)
                           WHEN 'sha512' THEN sha512(b) END $$;
CREATE FUNCTION t.hmac(msg bytea, key bytea, hash text) RETURNS bytea LANGUAGE plpgsql
    IMMUTABLE STRICT AS $$
DECLARE
    block int := CASE hash WHEN 'sha256' THEN 64 ELSE 128 END;
    k bytea := key;
    ipad bytea;
    opad bytea;
BEGIN
    IF length(k) > block THEN
        k := t.digest(k, hash);
    END IF;
    k := k || decode(repeat('00', block - length(k)), 'hex');
    ipad := k;
    opad := k;
    FOR i IN 0 .. block - 1 LOOP
        ipad := set_byte(ipad, i, get_byte(k, i) # 54);  -- 0x36
        opad := set_byte(opad, i, get_byte(k, i) # 92);  -- 0x5c
    END LOOP;
    RETURN t.digest(opad || t.digest(ipad || msg, hash), hash);
END $$;
-- base64url without padding, both ways
CREATE FUNCTION t.b64url(b bytea) RETURNS text LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT translate(encode(b, 'base64'), E'+/=\n', '-_') $$;
CREATE FUNCTION t.b64url(s text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT t.b64url(convert_to(s, 'UTF8')) $$;
CREATE FUNCTION t.unb64url(s text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT convert_from(decode(translate(s, '-_', '+/')
                  || repeat('=', (4 - length(s) % 4) % 4), 'base64'), 'UTF8') $$;
-- part n (1 = header, 2 = payload) of a token, decoded: the exact bytes we signed
CREATE FUNCTION t.part(token text, n int) RETURNS text LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT t.unb64url(split_part(token, '.', n)) $$;
-- a token with any header and payload text, HMAC-signed by t.hmac
CREATE FUNCTION t.forge(header text, payload text, secret text, hash text DEFAULT 'sha256')
    RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT si || '.' || t.b64url(t.hmac(convert_to(si, 'UTF8'), convert_to(secret, 'UTF8'), hash))
    FROM (SELECT t.b64url(header) || '.' || t.b64url(payload) AS si) s $$;
CREATE FUNCTION t.forge(payload text, secret text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT t.forge('{"alg":"HS256","typ":"JWT"}', payload, secret) $$;
-- now() in whole seconds, as pgrst_jwt reads the clock (floor, not round)
CREATE FUNCTION t.now_s() RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT floor(extract(epoch FROM now()))::bigint $$;
-- run a statement; 'ok' or 'SQLSTATE: message'
CREATE FUNCTION t.err(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- a token with one character of its signature changed
CREATE FUNCTION t.flip_sig(token text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT left(token, -2) || CASE WHEN substr(token, length(token) - 1, 1) = 'A' THEN 'B' ELSE 'A' END
           || right(token, 1) $$;
-- a sanity check of the helpers: RFC 7515 A.1's signing input and key give its signature,
-- and RFC 4231 test case 6 (a key longer than the block) its HMAC-SHA-256 and -512
SELECT t.b64url(t.hmac(
    convert_to('eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ', 'UTF8'),
    decode(translate('AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow', '-_', '+/') || '==', 'base64'),
    'sha256')) = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' AS rfc7515_a1;
SELECT encode(t.hmac(convert_to('Test Using Larger Than Block-Size Key - Hash Key First', 'UTF8'),
                     decode(repeat('aa', 131), 'hex'), 'sha256'), 'hex')
       = '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54' AS rfc4231_6_sha256,
       encode(t.hmac(convert_to('Test Using Larger Than Block-Size Key - Hash Key First', 'UTF8'),
                     decode(repeat('aa', 131), 'hex'), 'sha512'), 'hex')
       = '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598' AS rfc4231_6_sha512;
SELECT t.unb64url('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9') AS header,
       t.b64url('{"alg":"HS256","typ":"JWT"}') AS encoded;
