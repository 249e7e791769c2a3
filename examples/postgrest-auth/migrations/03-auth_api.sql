-- 03: the auth RPCs in schema api (POST /rpc/signup, /rpc/login, /rpc/refresh, /rpc/logout;
-- browsers reach the last two as /auth/refresh and /auth/logout, where the refresh cookie goes)
-- and PostgREST's db-pre-request function in schema auth. All SECURITY DEFINER, owned by
-- auth_owner (never a superuser), with a search_path naming every schema they use.
--
-- HTTP statuses (PostgREST answers them from the raised error or response.status):
--   signup: 200; 400 invalid_email / weak_password; 409 email_taken
--   login: 200 + cookies; 400 invalid_credentials (unknown e-mail and wrong password alike)
--   refresh: 200 + cookies; 401 + WWW-Authenticate: Bearer for a missing, unknown, expired,
--            rotated (then the whole session is revoked) or revoked refresh token
--   logout: 200, both cookies cleared
--   any request with an access token of a revoked or ended session: 401 (pre-request)

CREATE SCHEMA api;
GRANT USAGE ON SCHEMA api TO anon, web_user;

CREATE SCHEMA auth AUTHORIZATION auth_owner;   -- not exposed: db-pre-request lives here
REVOKE ALL ON SCHEMA auth FROM PUBLIC;
GRANT USAGE ON SCHEMA auth TO anon, web_user;

-- ---------------------------------------------------------------- signup
CREATE FUNCTION api.signup(email text, password text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, extensions, private, pg_temp AS $$
DECLARE
    addr text := pg_catalog.lower(pg_catalog.btrim(signup.email));
    bf_cost integer;
    uid uuid;
BEGIN
    IF addr IS NULL OR addr !~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN
        PERFORM private.http_error(400, 'invalid_email', 'invalid e-mail address');
    END IF;
    -- bcrypt reads at most 72 bytes
    IF signup.password IS NULL OR pg_catalog.length(signup.password) < 8
       OR pg_catalog.octet_length(signup.password) > 72 THEN
        PERFORM private.http_error(400, 'weak_password',
                                   'the password must have 8 characters and 72 bytes at most');
    END IF;
    SELECT c.bcrypt_cost INTO STRICT bf_cost FROM private.auth_config c;
    INSERT INTO private.users (email, password_hash)
    VALUES (addr, extensions.crypt(signup.password, extensions.gen_salt('bf', bf_cost)))
    ON CONFLICT DO NOTHING
    RETURNING id INTO uid;
    IF uid IS NULL THEN
        PERFORM private.http_error(409, 'email_taken', 'this e-mail address is already registered');
    END IF;
    RETURN pg_catalog.jsonb_build_object('id', uid, 'email', addr);
END $$;

-- ---------------------------------------------------------------- login
CREATE FUNCTION api.login(email text, password text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, extensions, private, pg_temp AS $$
DECLARE
    cfg private.auth_config;
    u private.users;
    hash text;
    matches boolean;
    sid uuid;
BEGIN
    SELECT * INTO STRICT cfg FROM private.auth_config;
    SELECT * INTO u FROM private.users AS x WHERE x.email = pg_catalog.lower(pg_catalog.btrim(login.email));
    -- one bcrypt whatever happens: an unknown e-mail is checked against the dummy hash
    hash := COALESCE(u.password_hash, cfg.dummy_hash);
    matches := extensions.crypt(COALESCE(login.password, ''), hash) = hash;
    IF u.id IS NULL OR NOT matches THEN
        PERFORM private.http_error(400, 'invalid_credentials', 'invalid e-mail or password');
    END IF;
    INSERT INTO private.sessions (user_id, expires_at)
    VALUES (u.id, pg_catalog.now() + pg_catalog.make_interval(secs => cfg.session_ttl))
    RETURNING id INTO sid;
    RETURN private.issue_tokens(sid);
END $$;

-- ---------------------------------------------------------------- refresh
-- The refresh token comes as the argument (clients without cookies) or as the refresh_token
-- cookie, which the browser sends to this path only.
CREATE FUNCTION api.refresh(refresh_token text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, extensions, private, pg_temp AS $$
DECLARE
    tok text := COALESCE(NULLIF(refresh.refresh_token, ''),
                         NULLIF(NULLIF(pg_catalog.current_setting('request.cookies', true), '')::jsonb
                                ->> 'refresh_token', ''));
    rt private.refresh_tokens;
    s private.sessions;
BEGIN
    IF tok IS NULL THEN
        PERFORM private.http_error(401, 'refresh_token_missing', 'no refresh token', 'refresh_token');
    END IF;
    SELECT * INTO rt FROM private.refresh_tokens AS t
     WHERE t.token_hash = extensions.digest(tok, 'sha256') FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM private.http_error(401, 'refresh_token_invalid', 'unknown refresh token', 'refresh_token');
    END IF;
    SELECT * INTO STRICT s FROM private.sessions AS x WHERE x.id = rt.session_id FOR UPDATE;
    IF s.revoked_at IS NOT NULL THEN
        PERFORM private.http_error(401, 'session_revoked', 'the session was revoked', 'refresh_token');
    END IF;
    IF rt.rotated_at IS NOT NULL THEN
        -- Reuse of a rotated token: someone else holds a copy. Revoke the whole session. An
        -- error would roll the revocation back, so answer 401 through response.status and
        -- commit (PostgREST commits unless the transaction failed).
        UPDATE private.sessions AS x
           SET revoked_at = pg_catalog.now(), revoked_reason = 'refresh token reuse'
         WHERE x.id = s.id;
        PERFORM pg_catalog.set_config('response.status', '401', true);
        PERFORM pg_catalog.set_config('response.headers', pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('WWW-Authenticate',
                'Bearer error="invalid_token", error_description="refresh token reused; session revoked"'),
            pg_catalog.jsonb_build_object('Set-Cookie', private.cookie('access_token', '', 0)),
            pg_catalog.jsonb_build_object('Set-Cookie', private.cookie('refresh_token', '', 0)))::text, true);
        RETURN pg_catalog.jsonb_build_object('code', 'refresh_token_reused',
            'message', 'refresh token reused; session revoked', 'details', NULL, 'hint', NULL);
    END IF;
    IF rt.expires_at <= pg_catalog.now() OR s.expires_at <= pg_catalog.now() THEN
        PERFORM private.http_error(401, 'refresh_token_expired', 'the refresh token has expired', 'refresh_token');
    END IF;
    UPDATE private.refresh_tokens AS t SET rotated_at = pg_catalog.now() WHERE t.token_hash = rt.token_hash;
    RETURN private.issue_tokens(s.id);
END $$;

-- ---------------------------------------------------------------- logout
-- Revokes the session of the request's access token (its sid claim) and the session of the
-- refresh token (the argument, or the refresh_token cookie, which the browser sends to
-- /auth/logout as it does to /auth/refresh), and clears both cookies. So a browser whose
-- access cookie has expired still ends its session: only the refresh cookie is left, and
-- it names the session. Both are looked up by what they name (the sid claim, the token's
-- hash), never by the access token's text.
CREATE FUNCTION api.logout(refresh_token text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, extensions, private, pg_temp AS $$
DECLARE
    sid text := extensions.jwt_claim('sid');
    tok text := COALESCE(NULLIF(logout.refresh_token, ''),
                         NULLIF(NULLIF(pg_catalog.current_setting('request.cookies', true), '')::jsonb
                                ->> 'refresh_token', ''));
    by_refresh uuid;
    n integer := 0;
BEGIN
    IF tok IS NOT NULL THEN
        SELECT t.session_id INTO by_refresh FROM private.refresh_tokens AS t
         WHERE t.token_hash = extensions.digest(tok, 'sha256');
    END IF;
    IF sid !~ '^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$' THEN
        sid := NULL;
    END IF;
    UPDATE private.sessions AS x
       SET revoked_at = pg_catalog.now(), revoked_reason = 'logout'
     WHERE x.id IN (sid::uuid, by_refresh) AND x.revoked_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM pg_catalog.set_config('response.headers', pg_catalog.jsonb_build_array(
        pg_catalog.jsonb_build_object('Set-Cookie', private.cookie('access_token', '', 0)),
        pg_catalog.jsonb_build_object('Set-Cookie', private.cookie('refresh_token', '', 0)))::text, true);
    RETURN pg_catalog.jsonb_build_object('revoked', n > 0);
END $$;

-- ---------------------------------------------------------------- db-pre-request
-- PostgREST has verified the token (signature, exp, nbf, iat, aud) and set the role and
-- request.jwt.claims before it calls this. A token from login/refresh carries its session
-- (sid): refuse it once the session is revoked or over. Tokens without sid (anonymous
-- requests, service tokens an administrator signed) are not session tokens.
CREATE FUNCTION auth.pre_request() RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, extensions, private, pg_temp AS $$
DECLARE
    sid text := extensions.jwt_claim('sid');
    live boolean;
BEGIN
    IF sid IS NULL THEN
        RETURN;
    END IF;
    IF sid ~ '^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$' THEN
        SELECT x.revoked_at IS NULL AND x.expires_at > pg_catalog.now() INTO live
          FROM private.sessions AS x WHERE x.id = sid::uuid;
    END IF;
    IF live IS NOT TRUE THEN
        PERFORM private.http_error(401, 'session_revoked', 'the session of this token has ended',
                                   'access_token');
    END IF;
END $$;

ALTER FUNCTION api.signup(text, text) OWNER TO auth_owner;
ALTER FUNCTION api.login(text, text) OWNER TO auth_owner;
ALTER FUNCTION api.refresh(text) OWNER TO auth_owner;
ALTER FUNCTION api.logout(text) OWNER TO auth_owner;
ALTER FUNCTION auth.pre_request() OWNER TO auth_owner;

REVOKE ALL ON FUNCTION api.signup(text, text), api.login(text, text), api.refresh(text),
    api.logout(text), auth.pre_request() FROM PUBLIC;
-- web_user too: a browser may still send a live access cookie with these requests
GRANT EXECUTE ON FUNCTION api.signup(text, text), api.login(text, text), api.refresh(text),
    api.logout(text), auth.pre_request() TO anon, web_user;
