-- 02: users, sessions and refresh tokens in schema private, which PostgREST does not expose
-- and which only auth_owner may use. Passwords are bcrypt hashes (pgcrypto); refresh tokens
-- are stored only as SHA-256 hashes.

CREATE SCHEMA private AUTHORIZATION auth_owner;
REVOKE ALL ON SCHEMA private FROM PUBLIC;

-- One row of settings. dummy_hash is the bcrypt hash login() checks an unknown e-mail's
-- password against, so that an unknown e-mail and a wrong password cost the same; it must
-- use bcrypt_cost (the CHECK keeps the two together).
CREATE TABLE private.auth_config (
    id                 boolean PRIMARY KEY DEFAULT true CHECK (id),
    access_token_ttl   integer NOT NULL DEFAULT 900      CHECK (access_token_ttl > 0),   -- 15 min
    refresh_token_ttl  integer NOT NULL DEFAULT 604800   CHECK (refresh_token_ttl > 0),  -- 7 days idle
    session_ttl        integer NOT NULL DEFAULT 2592000  CHECK (session_ttl > 0),        -- 30 days at most
    refresh_cookie_path text   NOT NULL DEFAULT '/auth',   -- Caddy: /auth/refresh, /auth/logout
    bcrypt_cost        integer NOT NULL DEFAULT 10       CHECK (bcrypt_cost BETWEEN 4 AND 31),
    dummy_hash         text    NOT NULL,
    CHECK (dummy_hash LIKE '$2a$' || pg_catalog.lpad(bcrypt_cost::text, 2, '0') || '$%')
);
INSERT INTO private.auth_config (dummy_hash)
VALUES (extensions.crypt(pg_catalog.encode(extensions.gen_random_bytes(18), 'base64'),
                         extensions.gen_salt('bf', 10)));

CREATE TABLE private.users (
    id            uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    email         text        NOT NULL UNIQUE CHECK (email = pg_catalog.lower(email)),
    password_hash text        NOT NULL,
    role          name        NOT NULL DEFAULT 'web_user',  -- a role authenticator is granted
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- A login creates a session; its id is the access token's sid claim. Revoking the session
-- (logout, refresh token reuse) ends every token of it: the pre-request function refuses
-- access tokens whose session is revoked or over, refresh() refuses its refresh tokens.
CREATE TABLE private.sessions (
    id             uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    user_id        uuid        NOT NULL REFERENCES private.users ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text
);
CREATE INDEX ON private.sessions (user_id);

-- Every refresh token ever issued, by hash. refresh() marks the one it exchanges as rotated;
-- a rotated token presented again means two parties hold it: the session is revoked.
CREATE TABLE private.refresh_tokens (
    token_hash bytea       PRIMARY KEY,   -- sha256(token); the token itself is never stored
    session_id uuid        NOT NULL REFERENCES private.sessions ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at timestamptz NOT NULL,
    rotated_at timestamptz
);
CREATE INDEX ON private.refresh_tokens (session_id);

ALTER TABLE private.auth_config OWNER TO auth_owner;
ALTER TABLE private.users OWNER TO auth_owner;
ALTER TABLE private.sessions OWNER TO auth_owner;
ALTER TABLE private.refresh_tokens OWNER TO auth_owner;

-- ---------------------------------------------------------------- helpers (auth_owner only)

CREATE FUNCTION private.base64url(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.rtrim(pg_catalog.translate(pg_catalog.encode(data, 'base64'), E'+/\n', '-_'), '=')
$$;

-- The Set-Cookie value for one of the two cookies; an empty value with max_age 0 clears it.
-- access_token: every path (Caddy turns it into the Authorization header), SameSite=Lax.
-- refresh_token: only sent under refresh_cookie_path (/auth/refresh and /auth/logout, which
-- the Caddyfile maps to /rpc/refresh and /rpc/logout), SameSite=Strict.
CREATE FUNCTION private.cookie(name text, value text, max_age integer) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    path text;
BEGIN
    IF name = 'access_token' THEN
        RETURN pg_catalog.format('access_token=%s; Path=/; Max-Age=%s; HttpOnly; Secure; SameSite=Lax',
                                 value, max_age);
    ELSIF name = 'refresh_token' THEN
        SELECT c.refresh_cookie_path INTO STRICT path FROM private.auth_config c;
        RETURN pg_catalog.format('refresh_token=%s; Path=%s; Max-Age=%s; HttpOnly; Secure; SameSite=Strict',
                                 value, path, max_age);
    END IF;
    RAISE EXCEPTION 'unknown cookie %', name;
END $$;

-- Answer the request with an HTTP error: RAISE SQLSTATE 'PGRST' lets PostgREST take the
-- status and headers from the error (and rolls the transaction back). 401s carry
-- WWW-Authenticate: Bearer; clear_cookie names a cookie to delete with the answer.
CREATE FUNCTION private.http_error(status integer, code text, message text,
                                   clear_cookie text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    headers jsonb := '{}';
BEGIN
    IF status = 401 THEN
        headers := headers || pg_catalog.jsonb_build_object('WWW-Authenticate',
            pg_catalog.format('Bearer error="invalid_token", error_description="%s"', message));
    END IF;
    IF clear_cookie IS NOT NULL THEN
        headers := headers || pg_catalog.jsonb_build_object('Set-Cookie',
            private.cookie(clear_cookie, '', 0));
    END IF;
    RAISE SQLSTATE 'PGRST' USING
        message = pg_catalog.jsonb_build_object('code', code, 'message', message,
                                                'details', NULL, 'hint', NULL)::text,
        detail = pg_catalog.jsonb_build_object('status', status, 'headers', headers)::text;
END $$;

-- A new refresh token and access token for a session: stores the refresh token's hash,
-- signs the access token with the configured secret, sets both cookies through
-- response.headers and returns both tokens (for clients without cookies).
CREATE FUNCTION private.issue_tokens(session_id uuid) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, extensions, private, pg_temp AS $$
DECLARE
    cfg private.auth_config;
    s private.sessions;
    u private.users;
    iat bigint := pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.now()))::bigint;  -- whole seconds
    new_refresh text := private.base64url(extensions.gen_random_bytes(32));
    refresh_expires timestamptz;
    refresh_max_age integer;
    access text;
BEGIN
    SELECT * INTO STRICT cfg FROM private.auth_config;
    SELECT * INTO STRICT s FROM private.sessions WHERE id = issue_tokens.session_id;
    SELECT * INTO STRICT u FROM private.users WHERE id = s.user_id;

    refresh_expires := LEAST(pg_catalog.now() + pg_catalog.make_interval(secs => cfg.refresh_token_ttl),
                             s.expires_at);
    refresh_max_age := pg_catalog.floor(EXTRACT(epoch FROM refresh_expires - pg_catalog.now()))::integer;
    INSERT INTO private.refresh_tokens (token_hash, session_id, expires_at)
    VALUES (extensions.digest(new_refresh, 'sha256'), s.id, refresh_expires);

    access := extensions.jwt_sign(pg_catalog.jsonb_build_object(
        'role', u.role,
        'sub', u.id,
        'sid', s.id,
        'jti', pg_catalog.gen_random_uuid(),
        'iat', iat,
        'exp', iat + cfg.access_token_ttl));

    PERFORM pg_catalog.set_config('response.headers', pg_catalog.jsonb_build_array(
        pg_catalog.jsonb_build_object('Set-Cookie', private.cookie('access_token', access, cfg.access_token_ttl)),
        pg_catalog.jsonb_build_object('Set-Cookie', private.cookie('refresh_token', new_refresh, refresh_max_age)),
        pg_catalog.jsonb_build_object('Cache-Control', 'no-store'))::text, true);

    RETURN pg_catalog.jsonb_build_object(
        'access_token', access,
        'token_type', 'Bearer',
        'expires_in', cfg.access_token_ttl,
        'refresh_token', new_refresh,
        'refresh_expires_in', refresh_max_age);
END $$;

ALTER FUNCTION private.base64url(bytea) OWNER TO auth_owner;
ALTER FUNCTION private.cookie(text, text, integer) OWNER TO auth_owner;
ALTER FUNCTION private.http_error(integer, text, text, text) OWNER TO auth_owner;
ALTER FUNCTION private.issue_tokens(uuid) OWNER TO auth_owner;
REVOKE ALL ON FUNCTION private.base64url(bytea), private.cookie(text, text, integer),
    private.http_error(integer, text, text, text), private.issue_tokens(uuid) FROM PUBLIC;
