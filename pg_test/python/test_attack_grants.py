"""Attack: privileges the install inherits, and writes to the secret table (issue 16).

* Default privileges made before ``CREATE EXTENSION`` (what Supabase-like platforms do for
  ``anon`` and ``authenticated``) must not survive on the configured signers,
  ``set_pgrst_secret_from_env``, the trigger functions and the secret table.
* A role with INSERT/UPDATE/DELETE/TRUNCATE on the secret table (a routine
  ``GRANT … ON ALL TABLES IN SCHEMA``) must not replace or delete the secret; holders of
  those privileges and of TRIGGER are reported, and so is every non-superuser that can
  execute a configured signer.
"""

from __future__ import annotations

import jwt as pyjwt
import pytest

from attack_support import Session, ensure_roles
from cluster import Cluster, literal

SECRET = "grants-suite-real-secret-0123456789-abcdefgh"
EVIL = "grants-suite-attacker-key-0123456789-zzzzzzzz"
T = "extensions.pgrst_jwt_secret"
SIGNERS = ["jwt_sign(jsonb)", "jwt_sign(json)", "jwt_sign(text)"]
PROTECTED = SIGNERS + ["set_pgrst_secret_from_env(text,boolean,name)", "pgrst_jwt_secret_changed()"]


@pytest.fixture(scope="module")
def gc():
    c = Cluster(env={"JWT_SECRET": SECRET})
    c.start()
    ensure_roles(c, "web_anon", "writer", "anon", "auth_owner", "trig")
    yield c
    c.cleanup()


def status(c, db):
    """readable_by_public|the exposures one per line, as an ordinary role sees them."""
    with Session(c, db, "anon") as s:
        return s.value("SELECT readable_by_public, array_to_string(exposures, E'\\n') "
                       "FROM extensions.jwt_secret_status();")


def fresh_db(c, name, before=""):
    c.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE); CREATE DATABASE {name};")
    c.psql("CREATE SCHEMA extensions; GRANT USAGE ON SCHEMA extensions TO PUBLIC;" + before
           + "CREATE EXTENSION pgrst_jwt SCHEMA extensions;"
           "SELECT extensions.set_pgrst_secret_from_env();", db=name)


DEFAULT_PRIVS = [
    "ALTER DEFAULT PRIVILEGES IN SCHEMA extensions GRANT EXECUTE ON FUNCTIONS TO web_anon;",
    "ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO web_anon;",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA extensions GRANT ALL ON TABLES TO web_anon;",
    "ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO web_anon;",
]


def test_default_privileges_do_not_reach_the_protected_objects(gc):
    fresh_db(gc, "defprivs", "".join(DEFAULT_PRIVS))
    for f in PROTECTED:
        acl = gc.one(f"SELECT coalesce(proacl::text, 'default') FROM pg_proc "
                     f"WHERE oid = 'extensions.{f}'::regprocedure", db="defprivs")
        assert "web_anon" not in acl and not acl.startswith("{=") and "default" != acl, (
            f"{f} has ACL {acl} after CREATE EXTENSION under default privileges")
        assert gc.one(f"SELECT has_function_privilege('web_anon', 'extensions.{f}', 'EXECUTE')",
                      db="defprivs") == "f", f"web_anon may execute {f}"
    acl = gc.one(f"SELECT coalesce(relacl::text, 'default') FROM pg_class WHERE oid = '{T}'::regclass",
                 db="defprivs")
    assert "web_anon" not in acl, f"the secret table's ACL is {acl}"
    # the attack itself: web_anon mints a token for postgres with the configured secret
    r = gc.psql("SELECT extensions.jwt_sign('{\"role\":\"postgres\"}'::jsonb)", db="defprivs",
                user="web_anon", check=False)
    assert r.returncode != 0 and "permission denied" in r.stderr, f"web_anon minted: {r.stdout}"
    r = gc.psql(f"SELECT secret FROM {T}", db="defprivs", user="web_anon", check=False)
    assert SECRET not in r.stdout
    assert status(gc, "defprivs") == "f|"
    # other functions keep their default (PUBLIC may execute them)
    assert gc.one("SELECT has_function_privilege('anon', 'extensions.jwt_verify(text)', 'EXECUTE')",
                  db="defprivs") == "t"


@pytest.mark.parametrize("f", SIGNERS)
def test_every_role_that_can_execute_a_configured_signer_is_reported(gc, f):
    fresh_db(gc, "signers")
    gc.psql(f"GRANT EXECUTE ON FUNCTION extensions.{f} TO auth_owner;", db="signers")
    st = status(gc, "signers")
    assert '"auth_owner"' in st and "jwt_sign" in st, f"{f}: {st}"
    # a signer is no reader: readable_by_public stays false
    assert st.startswith("f|"), st
    gc.psql(f"REVOKE EXECUTE ON FUNCTION extensions.{f} FROM auth_owner;"
            f"GRANT EXECUTE ON FUNCTION extensions.{f} TO PUBLIC;", db="signers")
    st = status(gc, "signers")
    assert "PUBLIC" in st, st


@pytest.mark.parametrize("write", [
    f"UPDATE {T} SET secret = {literal(EVIL)}",
    f"DELETE FROM {T}",
    f"TRUNCATE {T}",
    f"INSERT INTO {T} (secret, fingerprint, env_var) VALUES ({literal(EVIL)}, 'x', 'x') "
    "ON CONFLICT (id) DO UPDATE SET secret = excluded.secret",
])
def test_writes_by_a_non_superuser_are_refused(gc, write):
    fresh_db(gc, "writes")
    gc.psql(f"GRANT SELECT (id), INSERT, UPDATE, DELETE, TRUNCATE ON {T} TO writer;", db="writes")
    before = gc.one("SELECT fingerprint FROM extensions.jwt_secret_status()", db="writes")
    r = gc.psql("\\set VERBOSITY verbose\n" + write, db="writes", user="writer", check=False)
    e = r.error()
    assert e is not None, f"writer could run: {write}"
    assert e.sqlstate == "42501", e
    assert gc.one("SELECT fingerprint FROM extensions.jwt_secret_status()", db="writes") == before
    token = pyjwt.encode({"role": "postgres"}, EVIL, algorithm="HS256")
    r = gc.psql(f"SELECT extensions.jwt_verify({literal(token)})", db="writes", user="anon", check=False)
    assert r.returncode != 0, "a token of the attacker's key verifies"
    st = status(gc, "writes")
    assert '"writer"' in st and all(p in st for p in ("INSERT", "UPDATE", "DELETE", "TRUNCATE")), st


def test_a_superusers_own_writes_still_work_and_apply(gc):
    fresh_db(gc, "su_writes")
    gc.psql(f"UPDATE {T} SET secret = {literal(EVIL)};", db="su_writes")
    token = pyjwt.encode({"role": "x"}, EVIL, algorithm="HS256")
    assert gc.one(f"SELECT extensions.jwt_verify({literal(token)}) ->> 'role'", db="su_writes") == "x"


def test_trigger_privilege_is_reported(gc):
    fresh_db(gc, "trig")
    gc.psql(f"GRANT TRIGGER ON {T} TO trig;", db="trig")
    st = status(gc, "trig")
    assert '"trig"' in st and "TRIGGER" in st, st
    gc.psql(f"REVOKE TRIGGER ON {T} FROM trig;", db="trig")
    assert status(gc, "trig") == "f|"
