"""Attack: an ordinary role loosens, in its own session, the settings that decide what a
token proves (issue 7, finding 6).

``pgrst.jwt_aud``, ``pgrst.jwt_role_claim_key``, ``pgrst.jwt_secret_is_base64`` and
``pgrst.jwt_secret`` are superuser-only (PGC_SUSET; the secret also GUC_SUPERUSER_ONLY):
every way an ordinary role has to set them fails with 42501 once the library is loaded,
and a value set before it loads is discarded, never used as a key or an audience.
"""

from __future__ import annotations

import jwt as pyjwt
import pytest

from attack_support import Session, ensure_roles, setup_db
from cluster import Cluster, literal

SECRET = "settings-suite-real-secret-0123456789-abcdef"
MALLORY_SECRET = "mallory-session-secret-0123456789-0123456789"
FORGED = pyjwt.encode({"role": "postgres"}, MALLORY_SECRET, algorithm="HS256")
LOAD = "SELECT extensions.jwt_claims() IS NULL;"
DENIED = "42501"
PARAMS = {
    "pgrst.jwt_aud": "other",
    "pgrst.jwt_role_claim_key": "$.sub",
    "pgrst.jwt_secret_is_base64": "true",
    "pgrst.jwt_secret": MALLORY_SECRET,
}


def definers(owner: str, prefix: str) -> str:
    return f"""
CREATE FUNCTION public.{prefix}_verify(t text) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$ BEGIN RETURN extensions.jwt_verify(t); END $$;
CREATE FUNCTION public.{prefix}_check(t text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$ DECLARE r text; BEGIN
  SELECT valid || ':' || coalesce(reason, '') INTO r FROM extensions.jwt_check(t); RETURN r; END $$;
ALTER FUNCTION public.{prefix}_verify(text) OWNER TO {owner};
ALTER FUNCTION public.{prefix}_check(text) OWNER TO {owner};
"""


@pytest.fixture(scope="module")
def sc():
    c = Cluster(env={"JWT_SECRET": SECRET})
    c.start()
    ensure_roles(c, "mallory", "authenticator")
    ensure_roles(c, "signer", login=False)
    setup_db(c, "nosecret", store_secret=False)
    c.psql("GRANT EXECUTE ON FUNCTION extensions.jwt_sign(jsonb) TO signer;"
           + definers("postgres", "su") + definers("signer", "signer"), db="nosecret")
    setup_db(c, "withsecret")
    c.psql("CREATE SCHEMA m AUTHORIZATION mallory;", db="withsecret")
    c.psql("ALTER DATABASE withsecret SET pgrst.jwt_aud = 'api';"
           "ALTER DATABASE withsecret SET pgrst.jwt_role_claim_key = '$.app_role';")
    yield c
    c.cleanup()


def as_mallory(c, db, *statements):
    """Run statements in ONE new session of mallory; the outcome of each."""
    with Session(c, db, "mallory") as s:
        return [s.run(x) for x in statements]


# ---------------------------------------------------------------- every route is closed

METHODS = {
    "SET": ["SET {p} = {v};"],
    "SET LOCAL": ["BEGIN;", "SET LOCAL {p} = {v};", "ROLLBACK;"],
    "set_config session": ["SELECT pg_catalog.set_config('{p}', {v}, false);"],
    "set_config local": ["BEGIN;", "SELECT pg_catalog.set_config('{p}', {v}, true);", "ROLLBACK;"],
    "RESET": ["RESET {p};"],
    "ALTER ROLE self": ["ALTER ROLE mallory SET {p} = {v};"],
    "function SET clause": ["CREATE FUNCTION m.f() RETURNS int LANGUAGE sql SET {p} = {v} AS 'SELECT 1';",
                            "SELECT m.f();"],
}


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("param", sorted(PARAMS))
def test_ordinary_role_cannot_set(sc, param, method):
    steps = [x.format(p=param, v=literal(PARAMS[param])) for x in METHODS[method]]
    try:
        outs = as_mallory(sc, "withsecret", LOAD, *steps)
    finally:
        sc.psql("ALTER ROLE mallory RESET ALL; DROP FUNCTION IF EXISTS m.f();", db="withsecret")
    errors = [o.error for o in outs[1:] if o.error is not None and o.error.sqlstate != "25P02"]
    assert errors, f"mallory changed {param} with {method}: {[str(o) for o in outs]}"
    e = errors[0]
    assert e.sqlstate == DENIED and e.message == f'permission denied to set parameter "{param}"', (
        f"{method} of {param} by mallory was not refused as a privilege failure: {e}")


# ---------------------------------------------------------------- a session secret is no key

CALLS = {
    "superuser's SECURITY DEFINER jwt_verify": (f"SELECT public.su_verify({literal(FORGED)});", "55000"),
    "superuser's SECURITY DEFINER jwt_check": (f"SELECT public.su_check({literal(FORGED)});", "false:no_secret"),
    "signer's SECURITY DEFINER jwt_verify": (f"SELECT public.signer_verify({literal(FORGED)});", "55000"),
    "signer's SECURITY DEFINER jwt_check": (f"SELECT public.signer_check({literal(FORGED)});", "false:no_secret"),
    "jwt_verify(token)": (f"SELECT extensions.jwt_verify({literal(FORGED)});", "55000"),
    "jwt_check(token)": (f"SELECT valid || ':' || reason FROM extensions.jwt_check({literal(FORGED)});",
                         "false:no_secret"),
    "jwt_secret_status()": ("SELECT configured FROM extensions.jwt_secret_status();", "f"),
}
SETS = {
    "SET": (["SET pgrst.jwt_secret = {v};"], []),
    "set_config": (["SELECT pg_catalog.set_config('pgrst.jwt_secret', {v}, false);"], []),
    "SET LOCAL": (["BEGIN;", "SET LOCAL pgrst.jwt_secret = {v};"], ["ROLLBACK;"]),
    "set_config local": (["BEGIN;", "SELECT pg_catalog.set_config('pgrst.jwt_secret', {v}, true);"],
                         ["ROLLBACK;"]),
}


@pytest.mark.parametrize("order", ["before the library loads", "after the library loaded"])
@pytest.mark.parametrize("how", sorted(SETS))
def test_session_secret_is_never_a_key(sc, how, order):
    """No stored secret: mallory's own pgrst.jwt_secret must not verify her own token."""
    before, after = SETS[how]
    setting = [x.format(v=literal(MALLORY_SECRET)) for x in before]
    loaded = order.startswith("after")
    for name, (call, expected) in CALLS.items():
        pre = ([LOAD] if loaded else []) + setting
        outs = as_mallory(sc, "nosecret", *pre, call, *after, call)
        if loaded:
            refused = outs[len(pre) - 1]
            assert refused.error is not None and refused.error.sqlstate == DENIED, (
                f"mallory set pgrst.jwt_secret ({how}) after the library was loaded: {refused}")
        for o in (outs[len(pre)], outs[-1]):
            if o.error is not None and o.error.sqlstate == "25P02":
                continue  # inside the transaction the refused SET aborted
            if expected == "55000":
                assert o.error is not None, (
                    f"{name} accepted mallory's self-minted token with her session secret ({how}, {order})")
                assert (o.error.sqlstate, o.error.message) == ("55000", "Server lacks JWT secret"), (
                    f"{name} ({how}, {order}): {o}")
            else:
                assert o.error is None and o.out == expected, (
                    f"{name} used mallory's session secret ({how}, {order}): {o}")


# ---------------------------------------------------------------- audience and role claim

AUD_OTHER = pyjwt.encode({"role": "web_user", "aud": "other"}, SECRET, algorithm="HS256")
LOOSEN = ["SET pgrst.jwt_aud = '';", "SET pgrst.jwt_aud = 'other';", "RESET pgrst.jwt_aud;",
          "SELECT pg_catalog.set_config('pgrst.jwt_aud', '', false);"]


@pytest.mark.parametrize("loosen", LOOSEN)
@pytest.mark.parametrize("loaded", [False, True], ids=["set before loading", "set after loading"])
def test_database_audience_cannot_be_loosened(sc, loosen, loaded):
    outs = as_mallory(sc, "withsecret", *([LOAD] if loaded else []), loosen,
                      f"SELECT extensions.jwt_verify({literal(AUD_OTHER)}) ->> 'role';")
    if loaded:
        assert outs[-2].error is not None and outs[-2].error.sqlstate == DENIED, (
            f"mallory ran {loosen!r} after the library was loaded: {outs[-2]}")
    v = outs[-1]
    assert v.error is not None, f"jwt_verify accepted aud 'other' after mallory's {loosen!r}"
    assert (v.error.sqlstate, v.error.message) == ("28000", "JWT not in audience"), str(v)


CLAIMS = literal('{"app_role":"web_user","role":"postgres","sub":"postgres"}')
REDIRECT = ["SET pgrst.jwt_role_claim_key = '$.sub';", "RESET pgrst.jwt_role_claim_key;",
            "SELECT pg_catalog.set_config('pgrst.jwt_role_claim_key', '$.role', false);"]


@pytest.mark.parametrize("redirect", REDIRECT)
@pytest.mark.parametrize("loaded", [False, True], ids=["set before loading", "set after loading"])
def test_role_claim_key_cannot_be_redirected(sc, redirect, loaded):
    outs = as_mallory(sc, "withsecret", *([LOAD] if loaded else []), redirect,
                      f"SELECT extensions.jwt_role({CLAIMS}::jsonb);")
    if loaded:
        assert outs[-2].error is not None and outs[-2].error.sqlstate == DENIED, (
            f"mallory ran {redirect!r} after the library was loaded: {outs[-2]}")
    assert outs[-1].out == "web_user", (
        f"mallory's {redirect!r} made another claim the role: {outs[-1]}")


def test_secret_setting_is_unreadable(sc):
    sc.psql("ALTER DATABASE withsecret SET pgrst.jwt_secret = " + literal(SECRET))
    try:
        outs = as_mallory(sc, "withsecret", LOAD, "SHOW pgrst.jwt_secret;",
                          "SELECT pg_catalog.current_setting('pgrst.jwt_secret');",
                          "SELECT pg_catalog.current_setting('pgrst.jwt_secret', true);",
                          "SELECT pg_catalog.string_agg(name || '=' || setting, ',') FROM pg_catalog.pg_settings;")
    finally:
        sc.psql("ALTER DATABASE withsecret RESET pgrst.jwt_secret")
    for o, what in zip(outs[1:4], ["SHOW", "current_setting", "current_setting(missing_ok)"]):
        assert o.error is not None and o.error.sqlstate == DENIED, f"mallory read pgrst.jwt_secret by {what}: {o}"
        assert SECRET not in o.out
    assert SECRET not in outs[4].out, "pg_settings shows pgrst.jwt_secret to mallory"


def test_superuser_still_configures_authenticator(sc):
    token = pyjwt.encode({"role": "web_user", "aud": "api2"}, SECRET, algorithm="HS256")
    sc.psql(LOAD + "ALTER ROLE authenticator SET pgrst.jwt_aud = 'api2';"
            "ALTER ROLE authenticator SET pgrst.jwt_role_claim_key = '.roles[0]';"
            "SET pgrst.jwt_secret_is_base64 = true; SET pgrst.jwt_secret = " + literal(SECRET) + ";"
            "SELECT pg_catalog.set_config('pgrst.jwt_aud', 'x', false);"
            "ALTER ROLE authenticator SET pgrst.jwt_secret_is_base64 = false;",
            db="withsecret")
    try:
        out = sc.psql(f"SELECT extensions.jwt_verify({literal(token)}) ->> 'role';"
                      "SHOW pgrst.jwt_aud;"
                      "SELECT extensions.jwt_role('{\"roles\":[\"web_user\"]}');",
                      db="withsecret", user="authenticator").lines
        assert out == ["web_user", "api2", "web_user"]
    finally:
        sc.psql("ALTER ROLE authenticator RESET ALL")
