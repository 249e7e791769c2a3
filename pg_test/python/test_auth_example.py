"""examples/postgrest-auth end to end: its migrations applied one by one with ``psql -1 -f``
on a fresh cluster whose postmaster has JWT_SECRET, then signup, login, authenticated
requests, refresh with rotation and reuse detection, logout and every failure path, each
run the way PostgREST runs a request (auth_example_support.PostgREST), every access token
verified with PyJWT and the env secret as PostgREST would; and its Caddyfile run for real."""

from __future__ import annotations

import json
import os
import re
import time

import jwt as pyjwt
import pytest

from auth_example_support import (EXAMPLE, NO_PGCRYPTO, UUID, Browser, PostgREST,
                                  migration_files, pgcrypto_available)
from caddy_support import caddy_validate, run_caddy_with_upstream
from cluster import Cluster, literal

SECRET = "auth-example-test-secret-0123456789-never-use-it"
AUTH_PASSWORD = "authenticator-test-password-42"
PASSWORD = "correct horse battery staple"
# everything a server can log: statements, plans with their values (auto_explain, nested
# statements too), failing statements with their parameters
CONF = {"log_statement": "all", "track_functions": "all", "log_min_error_statement": "error",
        "log_parameter_max_length_on_error": -1, "shared_preload_libraries": "auto_explain",
        "auto_explain.log_min_duration": 0, "auto_explain.log_nested_statements": True,
        "auto_explain.log_analyze": True, "auto_explain.log_verbose": True}


@pytest.fixture(scope="module")
def example():
    c = Cluster(env={"JWT_SECRET": SECRET}, conf=CONF)
    c.start()
    if not pgcrypto_available(c):
        c.cleanup()
        pytest.skip(NO_PGCRYPTO)
    c.createdb("app")
    files = migration_files()
    assert [os.path.basename(f)[:3] for f in files] == ["00-", "01-", "02-", "03-", "04-"]
    assert os.path.basename(files[0]) == "00-init_postgrest.sql"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUTHENTICATOR_PASSWORD", AUTH_PASSWORD)  # 01-roles.sql reads it with \getenv
        for f in files:
            c.psql(file=f, db="app", single_transaction=True)
    api = PostgREST(c, "app", SECRET)
    yield c, api
    api.close()
    c.cleanup()


def verify(token: str) -> dict:
    """What PostgREST does with an access token; and the claims our login promises."""
    claims = pyjwt.decode(token, SECRET, algorithms=["HS256"], leeway=30)
    assert set(claims) == {"role", "sub", "sid", "jti", "iat", "exp"}, claims
    assert all(type(claims[k]) is int for k in ("iat", "exp"))
    assert claims["exp"] - claims["iat"] == 900 and abs(claims["iat"] - time.time()) < 120
    assert claims["role"] == "web_user"
    assert all(UUID.match(claims[k]) for k in ("sub", "sid", "jti"))
    return claims


def signup_and_login(api, email, password=PASSWORD):
    r = api.rpc("signup", {"email": email, "password": password})
    assert r.status == 200, r
    b = Browser(api)
    r = b.rpc("login", {"email": email, "password": password})
    assert r.status == 200, r
    return b, r


def assert_401(r, code=None):
    """401 with a Bearer challenge: from PostgREST itself (PGRST301, no SQL ran), from a
    RAISE SQLSTATE 'PGRST' (rolled back), or, for reuse, from response.status (committed)."""
    assert r.status == 401, r
    (www,) = r.header("WWW-Authenticate")
    assert www.startswith("Bearer"), www
    if code:
        assert r.body["code"] == code, r
    if r.body["code"] == "PGRST301" or r.body["code"] == "refresh_token_reused":
        assert r.error is None, r
    else:
        assert r.error.sqlstate == "PGRST", r


def sql_one(c, sql):
    return c.one(sql, db="app")


# ------------------------------------------------------------------ the migrations

def test_first_migration_needs_pgcrypto(fresh_cluster):
    """Where pgcrypto exists, 00-init_postgrest.sql installs it beside pgrst_jwt; where it
    does not, the migration stops at once with PostgreSQL's clear error and, run with -1,
    leaves nothing behind."""
    c = fresh_cluster(env={"JWT_SECRET": SECRET})
    r = c.psql(file=migration_files()[0], single_transaction=True, check=False, verbose_errors=True)
    if pgcrypto_available(c):
        assert r.returncode == 0, r.stderr
        assert c.one("SELECT string_agg(extname || ':' || extnamespace::regnamespace, ',' "
                     "ORDER BY extname) FROM pg_extension WHERE extname <> 'plpgsql'") == \
            "pgcrypto:extensions,pgrst_jwt:extensions"
    else:
        e = r.error()
        assert r.returncode != 0 and e is not None, r.stderr
        assert 'extension "pgcrypto" is not available' in e.message, e
        assert c.one("SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'") == "0"
        assert c.one("SELECT count(*) FROM pg_namespace WHERE nspname = 'extensions'") == "0"


def test_migrations_leave_no_superuser_owned_or_unsafe_function(example):
    c, _ = example
    rows = sql_one(c, """
      SELECT string_agg(format('%s|%s|%s|%s|%s', n.nspname, p.proname, r.rolname, r.rolsuper,
                               p.prosecdef) || '|' || array_to_string(p.proconfig, ','), E'\\n')
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles r ON r.oid = p.proowner
       WHERE n.nspname IN ('api', 'auth', 'private')""").splitlines()
    assert len(rows) == 9, rows
    for row in rows:
        schema, name, owner, superuser, definer, config = row.split("|")
        assert owner == "auth_owner" and superuser == "f", row
        assert config.startswith("search_path=pg_catalog"), row
        if schema in ("api", "auth"):
            assert definer == "t" and "extensions" in config and "private" in config, row
    roles = sql_one(c, "SELECT string_agg(format('%s:%s:%s:%s', rolname, rolcanlogin, rolinherit, "
                       "rolsuper), ' ' ORDER BY rolname) FROM pg_roles WHERE rolname IN "
                       "('anon','web_user','authenticator','auth_owner')")
    assert roles == "anon:f:t:f auth_owner:f:t:f authenticator:t:f:f web_user:f:t:f"
    assert sql_one(c, "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid "
                      "WHERE rolname = 'authenticator'") == "t"
    privs = sql_one(c, """SELECT string_agg(format('%s:%s:%s', r, has_function_privilege(r,
        'extensions.jwt_sign(jsonb)', 'EXECUTE'), has_schema_privilege(r, 'private', 'USAGE')), ' ')
        FROM unnest(ARRAY['anon','web_user','authenticator','auth_owner']) r""")
    assert privs == "anon:f:f web_user:f:f authenticator:f:f auth_owner:t:t"
    # the secret is stored, and no statement of the migrations put it (or the password) in the log
    assert sql_one(c, "SELECT configured FROM extensions.jwt_secret_status()") == "t"
    log = c.log_text()
    assert "ALTER ROLE authenticator PASSWORD" not in log and "set_pgrst_secret_from_env" in log
    assert SECRET not in log and AUTH_PASSWORD not in log


def test_postgrest_conf_names_what_the_migrations_create(example):
    c, _ = example
    conf = {}
    with open(os.path.join(EXAMPLE, "postgrest.conf")) as f:
        for line in f:
            m = re.match(r'^([a-z0-9-]+)\s*=\s*"?([^"]*?)"?$', line.strip())
            if m:
                conf[m.group(1)] = m.group(2)
    assert conf["db-schemas"] == "api" and conf["db-anon-role"] == "anon"
    assert conf["jwt-secret"] == "$(JWT_SECRET)" and conf["jwt-secret-is-base64"] == "false"
    assert conf["db-uri"] == "$(PGRST_DB_URI)"
    assert sql_one(c, f"SELECT to_regprocedure({literal(conf['db-pre-request'] + '()')}) IS NOT NULL "
                      f"AND to_regrole({literal(conf['db-anon-role'])}) IS NOT NULL") == "t"


# ------------------------------------------------------------------ the browser flow

def test_browser_flow_login_todos_refresh_logout(example):
    c, api = example
    b, r = signup_and_login(api, "Alice@Example.com")
    assert r.header("Cache-Control") == ["no-store"]
    claims = verify(r.body["access_token"])
    assert claims["sub"] == sql_one(c, "SELECT id FROM private.users WHERE email = 'alice@example.com'")
    ck = r.cookies()
    assert ck["access_token"].value == r.body["access_token"]
    assert ck["access_token"].attrs == {"path": "/", "max-age": "900", "httponly": "",
                                        "secure": "", "samesite": "Lax"}
    assert ck["refresh_token"].value == r.body["refresh_token"]
    assert ck["refresh_token"].attrs == {"path": "/auth", "max-age": "604800",
                                         "httponly": "", "secure": "", "samesite": "Strict"}
    # the database verifies the same token the same way
    assert sql_one(c, f"SELECT valid FROM extensions.jwt_check({literal(r.body['access_token'])})") == "t"

    # authenticated requests: the access cookie travels as Authorization (Caddy)
    r = b.add_todo("write the example")
    assert r.status == 201 and r.role == "web_user" and r.body[0]["owner_id"] == claims["sub"], r
    r = b.get_todos()
    assert r.status == 200 and [t["task"] for t in r.body] == ["write the example"], r
    other, _ = signup_and_login(api, "bob@example.com")
    assert other.get_todos().body == [], "RLS: bob sees none of alice's rows"

    # refresh: the refresh cookie goes only under /auth (refresh and logout)
    assert "refresh_token" not in b.cookies_for("/todos") and "refresh_token" not in b.cookies_for("/rpc/login")
    assert "refresh_token" in b.cookies_for("/auth/refresh") and "refresh_token" in b.cookies_for("/auth/logout")
    old_access = b.jar[("access_token", "/")]
    r = b.rpc("refresh")
    assert r.status == 200, r
    new = verify(r.body["access_token"])
    assert new["sid"] == claims["sid"] and new["jti"] != claims["jti"]
    assert b.jar[("access_token", "/")] == r.body["access_token"] != old_access
    assert b.jar[("refresh_token", "/auth")] == r.body["refresh_token"]
    assert b.get_todos().status == 200
    last_access, last_refresh = r.body["access_token"], r.body["refresh_token"]

    # logout: session revoked, both cookies cleared with the paths they were set with
    r = b.rpc("logout")
    assert r.status == 200 and r.body == {"revoked": True}, r
    cleared = r.cookies()
    assert cleared["access_token"].value == "" and cleared["access_token"].attrs["max-age"] == "0"
    assert cleared["refresh_token"].attrs["path"] == "/auth"
    assert b.jar == {}
    # logout without a token (the access cookie had expired): nothing to revoke, cookies cleared
    r = b.rpc("logout")
    assert r.status == 200 and r.body == {"revoked": False} and r.role == "anon", r
    assert len(r.cookies()) == 2
    assert sql_one(c, f"SELECT revoked_reason FROM private.sessions WHERE id = '{claims['sid']}'") == "logout"
    # GET after logout: without cookies anonymous, which may not read todos
    r = b.get_todos()
    assert r.status == 401 and r.role == "anon" and r.error.sqlstate == "42501", r
    # the last access token is still unexpired, but its session is over: the pre-request refuses it
    r = b.get_todos(authorization="Bearer " + last_access)
    assert_401(r, "session_revoked")
    assert r.cookies()["access_token"].attrs["max-age"] == "0"
    r = api.rpc("refresh", {"refresh_token": last_refresh})
    assert_401(r, "session_revoked")
    # bob's session is untouched
    assert other.get_todos().status == 200



def test_logout_with_only_the_refresh_cookie_ends_the_session(example):
    """The access cookie has expired (the browser dropped it: Max-Age); the refresh cookie,
    sent to /auth/logout, names the session: logout revokes it, and refresh fails after."""
    c, api = example
    b, r = signup_and_login(api, "judy@example.com")
    claims = verify(r.body["access_token"])
    refresh = r.body["refresh_token"]
    del b.jar[("access_token", "/")]
    r = b.rpc("logout")
    assert r.status == 200 and r.role == "anon" and r.body == {"revoked": True}, r
    assert b.jar == {}
    assert sql_one(c, f"SELECT revoked_reason FROM private.sessions WHERE id = '{claims['sid']}'") == "logout"
    assert_401(api.rpc("refresh", {"refresh_token": refresh}), "session_revoked")
    # a client without cookies passes its refresh token to logout instead
    _, r = signup_and_login(api, "judy2@example.com")
    sid = verify(r.body["access_token"])["sid"]
    assert api.rpc("logout", {"refresh_token": r.body["refresh_token"]}).body == {"revoked": True}
    assert sql_one(c, f"SELECT revoked_reason FROM private.sessions WHERE id = '{sid}'") == "logout"


def test_revocation_keys_on_claims_not_on_the_token_text(example):
    """Another text of the same token (surrounding whitespace) verifies with the same claims;
    after logout the pre-request refuses it too, because it checks the sid claim."""
    c, api = example
    b, r = signup_and_login(api, "ken@example.com")
    token = r.body["access_token"]
    variant = f"  {token}\n"
    assert c.one(f"SELECT extensions.jwt_verify({literal(variant)}) ->> 'sid'", db="app") == verify(token)["sid"]
    assert b.rpc("logout").body == {"revoked": True}
    claims = c.one(f"SELECT extensions.jwt_verify({literal(variant)})::text", db="app")
    e = c.psql(f"\\set VERBOSITY verbose\nSET ROLE web_user; SELECT set_config('request.jwt.claims', "
               f"{literal(claims)}, false); SELECT auth.pre_request();", db="app", check=False).error()
    assert e is not None and e.sqlstate == "PGRST" and "session_revoked" in e.message, e


# ------------------------------------------------------------------ refresh token rotation

def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(example):
    c, api = example
    b, first = signup_and_login(api, "carol@example.com")
    spare, _ = signup_and_login(api, "carol2@example.com")
    second_login = Browser(api).rpc("login", {"email": "carol@example.com", "password": PASSWORD})
    assert second_login.status == 200
    rt1 = first.body["refresh_token"]
    # a client without cookies passes the refresh token as the argument
    r = api.rpc("refresh", {"refresh_token": rt1})
    assert r.status == 200, r
    access2, rt2 = r.body["access_token"], r.body["refresh_token"]
    sid = verify(access2)["sid"]
    assert rt2 != rt1 and sid == verify(first.body["access_token"])["sid"]
    assert b.get_todos(authorization="Bearer " + access2).status == 200

    # rt1 again (a thief's copy, or the owner's after the thief refreshed): 401, and the
    # session is revoked in a transaction that commits (response.status, not an error)
    r = api.rpc("refresh", {"refresh_token": rt1})
    assert_401(r, "refresh_token_reused")
    assert r.error is None, "an error would roll the revocation back"
    assert {k: v.attrs["max-age"] for k, v in r.cookies().items()} == {"access_token": "0",
                                                                       "refresh_token": "0"}
    assert sql_one(c, f"SELECT revoked_reason FROM private.sessions WHERE id = '{sid}'") == \
        "refresh token reuse"
    # everything of that session is dead: the rotated-to refresh token and its access token
    assert_401(api.rpc("refresh", {"refresh_token": rt2}), "session_revoked")
    assert_401(b.get_todos(authorization="Bearer " + access2), "session_revoked")
    assert_401(b.get_todos(authorization="Bearer " + first.body["access_token"]), "session_revoked")
    # the same user's other session and other users are not affected
    r = api.rpc("refresh", {"refresh_token": second_login.body["refresh_token"]})
    assert r.status == 200, r
    assert spare.get_todos().status == 200


def test_refresh_failures_answer_401_with_bearer_challenge(example):
    c, api = example
    b, r = signup_and_login(api, "dave@example.com")
    sid = verify(r.body["access_token"])["sid"]
    # no token at all, a token that was never issued
    assert_401(api.rpc("refresh"), "refresh_token_missing")
    assert_401(api.rpc("refresh", {"refresh_token": "x" * 43}), "refresh_token_invalid")
    bogus = api.rpc("refresh", {"refresh_token": "not-a-token-we-issued"})
    assert "not-a-token-we-issued" not in json.dumps(bogus.body) + json.dumps(bogus.headers)
    # the refresh cookie is cleared with the same Path it was set with
    assert bogus.cookies()["refresh_token"].attrs["path"] == "/auth"
    # an expired refresh token (idle longer than refresh_token_ttl)
    c.psql(f"UPDATE private.refresh_tokens SET expires_at = now() - interval '1 second' "
           f"WHERE session_id = '{sid}'", db="app")
    r = b.rpc("refresh")
    assert_401(r, "refresh_token_expired")
    assert ("refresh_token", "/auth") not in b.jar, "the browser drops the dead cookie"
    # a session past its absolute lifetime: its unexpired access token is refused too
    b2, r2 = signup_and_login(api, "erin@example.com")
    sid2 = verify(r2.body["access_token"])["sid"]
    assert b2.get_todos().status == 200
    c.psql(f"UPDATE private.sessions SET expires_at = now() - interval '1 second' WHERE id = '{sid2}'",
           db="app")
    assert_401(b2.get_todos(), "session_revoked")
    assert_401(api.rpc("refresh", {"refresh_token": r2.body["refresh_token"]}), "refresh_token_expired")


# ------------------------------------------------------------------ bad credentials, bad tokens

def test_unknown_email_and_wrong_password_take_the_same_path(example):
    c, api = example
    assert api.rpc("signup", {"email": "frank@example.com", "password": PASSWORD}).status == 200
    wrong = api.rpc("login", {"email": "frank@example.com", "password": "wrong password"})
    unknown = api.rpc("login", {"email": "nobody@example.com", "password": "wrong password"})
    for r in (wrong, unknown):
        assert r.status == 400 and r.error.sqlstate == "PGRST", r
        assert r.body == {"code": "invalid_credentials", "message": "invalid e-mail or password",
                          "details": None, "hint": None}
        assert r.headers == [] and "wrong password" not in r.error.message + (r.error.detail or "")
    # one bcrypt (crypt) in both cases: an unknown e-mail is checked against the dummy hash
    for email in ("frank@example.com", "nobody@example.com"):
        out = c.psql(f"""
            SET track_functions = 'all';
            BEGIN;
            DO $$BEGIN PERFORM api.login({literal(email)}, 'wrong password');
                  EXCEPTION WHEN sqlstate 'PGRST' THEN NULL; END$$;
            SELECT calls FROM pg_stat_xact_user_functions
             WHERE schemaname = 'extensions' AND funcname = 'crypt';
            COMMIT;""", db="app", check=False)
        assert out.stdout.strip() == "1", (email, out.stdout, out.stderr)
    # other refusals of signup and login
    assert api.rpc("signup", {"email": "FRANK@example.com", "password": PASSWORD}).status == 409
    assert api.rpc("signup", {"email": "no-at-sign", "password": PASSWORD}).status == 400
    assert api.rpc("signup", {"email": "g@example.com", "password": "short"}).status == 400
    assert api.rpc("login", {"email": " FRANK@example.com ", "password": PASSWORD}).status == 200


def forge(claims: dict, key: str = SECRET) -> str:
    return pyjwt.encode(claims, key, algorithm="HS256")


def test_bad_and_expired_access_tokens(example):
    c, api = example
    b, r = signup_and_login(api, "grace@example.com")
    claims = verify(r.body["access_token"])
    now = int(time.time())
    # expired: PostgREST itself answers 401 before any SQL; the database agrees
    expired = forge({**claims, "iat": now - 3600, "exp": now - 1800})
    assert_401(b.get_todos(authorization="Bearer " + expired))
    assert sql_one(c, f"SELECT reason FROM extensions.jwt_check({literal(expired)})") == "expired"
    # a bad signature
    bad = forge(claims, "another-secret-of-enough-length-0123456789")
    assert_401(b.get_todos(authorization="Bearer " + bad))
    assert sql_one(c, f"SELECT reason FROM extensions.jwt_check({literal(bad)})") == "bad_signature"
    # validly signed, but naming a session that does not exist, or no session id at all
    for sid in ("00000000-0000-0000-0000-000000000000", "not-a-uuid", ""):
        assert_401(b.get_todos(authorization="Bearer " + forge({**claims, "sid": sid})),
                   "session_revoked")
    # a token without sid (a service token an administrator signed) is not a session token
    service = {k: v for k, v in claims.items() if k != "sid"}
    r = b.get_todos(authorization="Bearer " + forge(service))
    assert r.status == 200 and r.body == [], r


def test_tokens_and_passwords_are_stored_only_as_hashes(example):
    c, api = example
    b, r = signup_and_login(api, "heidi@example.com")
    r2 = b.rpc("refresh")
    assert r2.status == 200
    dump = c.psql("SELECT row_to_json(t)::text FROM private.users t; "
                  "SELECT row_to_json(t)::text FROM private.refresh_tokens t; "
                  "SELECT row_to_json(t)::text FROM private.sessions t;", db="app").stdout
    for s in (PASSWORD, r.body["refresh_token"], r2.body["refresh_token"], r2.body["access_token"]):
        assert s not in dump
    assert sql_one(c, "SELECT count(*) FROM private.refresh_tokens WHERE token_hash = "
                      f"extensions.digest({literal(r.body['refresh_token'])}, 'sha256') "
                      "AND rotated_at IS NOT NULL") == "1"
    assert sql_one(c, "SELECT bool_and(password_hash LIKE '$2a$10$%') FROM private.users") == "t"
    assert SECRET not in c.log_text()


def test_no_token_reaches_the_log(example):
    """With every statement, every plan (auto_explain, nested, with values) and the parameters
    of failing statements logged server-wide, no access or refresh token of the example's
    flow reaches the server log: the login role's sessions log no statements or plans."""
    c, api = example
    start = len(c.log_text())
    b, r = signup_and_login(api, "ivan@example.com")
    tokens = [r.body["access_token"], r.body["refresh_token"]]
    assert b.get_todos().status == 200
    r = b.rpc("refresh")
    assert r.status == 200, r
    tokens += [r.body["access_token"], r.body["refresh_token"]]
    assert_401(api.rpc("refresh", {"refresh_token": tokens[1]}))  # reuse: an error path too
    assert_401(b.get_todos(authorization="Bearer " + tokens[2]), "session_revoked")
    log = c.log_text()
    assert "Query Text:" in log and "statement: " in log, "the logging under test is not on"
    flow = log[start:]
    assert "api.login" in flow or "ERROR:" in flow, "the flow left no trace at all: is the log read?"
    for t in tokens:
        for part in [t] + t.split(".")[1:]:
            assert part not in flow, f"a token of the flow is in the server log: {part[:20]}..."


# ------------------------------------------------------------------ Caddy

def test_caddyfile_validates(tmp_path):
    caddy_validate(os.path.join(EXAMPLE, "Caddyfile"), str(tmp_path))


def test_caddy_turns_the_access_cookie_into_the_authorization_header(tmp_path):
    token = forge({"role": "web_user", "sub": "~?_-", "exp": int(time.time()) + 600})
    seen = run_caddy_with_upstream(os.path.join(EXAMPLE, "Caddyfile"), str(tmp_path), [
        {"Cookie": f"theme=dark; access_token={token}; lang=en"},
        {"Cookie": f"access_token={token}", "Authorization": "Bearer own.token.here"},
        {},
        {"Cookie": "xaccess_token=zzz; refresh_token=rrr"},
        {"Cookie": f"access_token={token}"},
    ])
    assert [s.get("authorization") for s in seen] == [
        [f"Bearer {token}"], ["Bearer own.token.here"], None, None, [f"Bearer {token}"]]
    # what arrives is the token PostgREST verifies
    assert pyjwt.decode(seen[0]["authorization"][0][7:], SECRET, algorithms=["HS256"])["role"] == "web_user"
