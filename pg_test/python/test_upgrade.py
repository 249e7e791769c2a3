"""Versioned upgrades (issues 10, 16): ALTER EXTENSION pgrst_jwt UPDATE from every released
version keeps the stored secret and gives exactly the catalog of a fresh install of the
current version; the update from 0.1.0 removes the role and database settings that any role
could store under 0.1.0 and that decide what a token proves."""

from __future__ import annotations

import re

import jwt as pyjwt
import pytest

from attack_support import Session
from cluster import literal

SECRET = "upgrade-test-secret-0123456789-abcdefghijkl"
CURRENT = "0.4.0"
RELEASED = ["0.1.0", "0.2.0", "0.3.0"]

# every object of the extension, described so that two databases can be compared
CATALOG = r"""
SET search_path = pg_catalog;
SELECT 'member ' || pg_describe_object(d.classid, d.objid, 0)
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'pgrst_jwt'
UNION ALL
SELECT 'function ' || p.oid::regprocedure || ' -> ' || pg_get_function_result(p.oid)
       || ' args ' || pg_get_function_arguments(p.oid)
       || ' vol ' || p.provolatile::text || ' par ' || p.proparallel::text || ' strict ' || p.proisstrict
       || ' secdef ' || p.prosecdef || ' cost ' || p.procost || ' rows ' || p.prorows
       || ' lang ' || l.lanname || ' src ' || p.prosrc || ' bin ' || coalesce(p.probin, '-')
       || ' acl ' || coalesce(p.proacl::text, 'default')
       || ' config ' || coalesce(p.proconfig::text, '-')
       || ' comment ' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgrst_jwt'
UNION ALL
SELECT 'table ' || c.relname || ' acl ' || coalesce(c.relacl::text, 'default')
       || ' comment ' || coalesce(obj_description(c.oid, 'pg_class'), '-')
  FROM pg_class c WHERE c.relname = 'pgrst_jwt_secret'
UNION ALL
SELECT 'column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' notnull '
       || a.attnotnull || ' default ' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-')
  FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE a.attrelid = (SELECT oid FROM pg_class WHERE relname = 'pgrst_jwt_secret')
   AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint ' || pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = (SELECT oid FROM pg_class WHERE relname = 'pgrst_jwt_secret')
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(oid) || ' enabled ' || tgenabled::text FROM pg_trigger
 WHERE tgrelid = (SELECT oid FROM pg_class WHERE relname = 'pgrst_jwt_secret')
ORDER BY 1;
"""


@pytest.mark.parametrize("start", RELEASED)
def test_update_keeps_the_secret_and_matches_a_fresh_install(fresh_cluster, start):
    c = fresh_cluster(env={"JWT_SECRET": SECRET})
    versions = c.one("SELECT string_agg(version, ',' ORDER BY version) "
                     "FROM pg_available_extension_versions WHERE name = 'pgrst_jwt'")
    assert versions == ",".join(RELEASED + [CURRENT]), versions
    assert c.one("SELECT default_version FROM pg_available_extensions WHERE name = 'pgrst_jwt'") == CURRENT

    c.createdb("upgraded")
    c.psql("CREATE SCHEMA extensions;\n"
           f"CREATE EXTENSION pgrst_jwt VERSION '{start}' SCHEMA extensions;\n"
           "SELECT extensions.set_pgrst_secret_from_env();", db="upgraded")
    token = c.one("SELECT extensions.jwt_sign('{\"role\":\"web_user\"}'::jsonb)", db="upgraded")
    before = c.one("SELECT fingerprint FROM extensions.jwt_secret_status()", db="upgraded")
    old = c.psql(CATALOG, db="upgraded").lines

    c.psql(f"ALTER EXTENSION pgrst_jwt UPDATE TO '{CURRENT}'", db="upgraded")
    assert c.one("SELECT extversion FROM pg_extension WHERE extname = 'pgrst_jwt'",
                 db="upgraded") == CURRENT
    # the secret is kept: same fingerprint, the token signed before verifies, PyJWT agrees
    assert c.one("SELECT configured, fingerprint, exposures FROM extensions.jwt_secret_status()",
                 db="upgraded") == f"t|{before}|{{}}"
    assert c.one(f"SELECT extensions.jwt_verify({literal(token)}) ->> 'role'", db="upgraded") == "web_user"
    assert pyjwt.decode(token, SECRET, algorithms=["HS256"]) == {"role": "web_user"}

    c.createdb("fresh")
    c.psql("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt SCHEMA extensions;", db="fresh")
    upgraded = c.psql(CATALOG, db="upgraded").lines
    fresh = c.psql(CATALOG, db="fresh").lines
    assert upgraded == fresh, "\n".join(
        [f"- {x}" for x in fresh if x not in upgraded] + [f"+ {x}" for x in upgraded if x not in fresh])
    # and the update did change something: the old catalog was not already the current one
    assert old != upgraded


def test_update_from_0_1_0_removes_settings_any_role_could_store(fresh_cluster):
    c = fresh_cluster(env={"JWT_SECRET": SECRET})
    c.psql("CREATE ROLE web_user LOGIN; CREATE ROLE authenticator LOGIN;")
    c.createdb("old")
    c.psql("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt VERSION '0.1.0' SCHEMA extensions;"
           "GRANT USAGE ON SCHEMA extensions TO PUBLIC;"
           "SELECT extensions.set_pgrst_secret_from_env();", db="old")
    # what web_user and the database owner could do for themselves under 0.1.0 (its settings
    # were USERSET; today's library makes them superuser-only, so a superuser stands in)
    c.psql("ALTER ROLE web_user SET pgrst.jwt_role_claim_key = '$.claimed_role';"
           "ALTER ROLE web_user IN DATABASE old SET pgrst.jwt_aud = 'anything';"
           "ALTER DATABASE old SET pgrst.jwt_secret_is_base64 = 'true';"
           "ALTER ROLE authenticator SET statement_timeout = '5s';")
    token = pyjwt.encode({"role": "web_user", "claimed_role": "postgres"}, SECRET, algorithm="HS256")
    assert c.one(f"SELECT extensions.jwt_role(extensions.jwt_verify({literal(token)}))",
                 db="old", user="web_user") == "postgres", "setup: the stored setting is not in effect"
    r = c.psql(f"ALTER EXTENSION pgrst_jwt UPDATE TO '{CURRENT}'", db="old")
    assert r.stderr.count("WARNING:") == 3, r.stderr
    for s in ("pgrst.jwt_role_claim_key", "pgrst.jwt_aud", "pgrst.jwt_secret_is_base64"):
        assert s in r.stderr, r.stderr
    assert c.one("SELECT string_agg(array_to_string(setconfig, ','), ';') FROM pg_db_role_setting") \
        == "statement_timeout=5s", "the update removed an unrelated setting, or left one"
    assert c.one(f"SELECT extensions.jwt_role(extensions.jwt_verify({literal(token)}))",
                 db="old", user="web_user") == "web_user"


def test_the_pgjwt_dropin_updates_from_0_2_0_keeping_what_uses_it(fresh_cluster):
    """0.3.0 turns verify() into an inlinable SQL function with the same signature: a view
    and a function that use it survive the update, and the result is a fresh install's."""
    c = fresh_cluster()
    describe = ("SELECT string_agg(p.oid::regprocedure::text || ' ' || l.lanname || ' ' || p.provolatile::text, ', ' "
                "ORDER BY p.oid::regprocedure::text) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
                "JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e' "
                "JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgrst_jwt_pgjwt'")
    c.createdb("old_dropin")
    c.psql("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt_pgjwt VERSION '0.2.0' SCHEMA extensions CASCADE;"
           "CREATE VIEW public.checked AS SELECT valid FROM extensions.verify("
           "extensions.sign('{\"a\":1}', 'secret'), 'secret');"
           # what an administrator set on the drop-in's functions
           "CREATE ROLE verifier; REVOKE EXECUTE ON FUNCTION extensions.verify(text, text, text) FROM PUBLIC;"
           "GRANT EXECUTE ON FUNCTION extensions.verify(text, text, text) TO verifier;", db="old_dropin")
    acl = "SELECT proacl FROM pg_proc WHERE oid = 'extensions.verify(text, text, text)'::regprocedure"
    acl_before = c.one(acl, db="old_dropin")
    assert "verifier=X/" in acl_before
    before = c.one(describe, db="old_dropin")
    c.psql("ALTER EXTENSION pgrst_jwt_pgjwt UPDATE;", db="old_dropin")
    assert c.one("SELECT extversion FROM pg_extension WHERE extname = 'pgrst_jwt_pgjwt'", db="old_dropin") == CURRENT
    assert c.one("SELECT valid FROM public.checked", db="old_dropin") == "t"
    assert c.one(acl, db="old_dropin") == acl_before
    c.createdb("new_dropin")
    c.psql("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt_pgjwt SCHEMA extensions CASCADE;", db="new_dropin")
    after, fresh = c.one(describe, db="old_dropin"), c.one(describe, db="new_dropin")
    assert after == fresh and after != before, (before, after, fresh)
    assert "verify(text,text,text) sql s" in after


# the privileges of every function of the extension, by signature
ACLS = r"""
SELECT p.oid::pg_catalog.regprocedure::text || ' ' || coalesce(p.proacl::text, 'default')
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_depend d
    ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgrst_jwt'
 ORDER BY 1
"""

# what an administrator sets on a released version: a REVOKE from PUBLIC with grants to
# named roles (one WITH GRANT OPTION), and a signer granted to the login function's owner
ADMINISTRATOR = """
GRANT USAGE ON SCHEMA extensions TO PUBLIC;
REVOKE EXECUTE ON FUNCTION extensions.jwt_secret_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION extensions.jwt_secret_status() TO auditor WITH GRANT OPTION;
GRANT EXECUTE ON FUNCTION extensions.jwt_secret_status() TO dbowner;
GRANT EXECUTE ON FUNCTION extensions.jwt_sign(jsonb) TO login_owner;
REVOKE EXECUTE ON FUNCTION extensions.jwt_decode(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION extensions.jwt_decode(text) TO dbowner;
"""


@pytest.mark.parametrize("start", RELEASED)
def test_update_keeps_grants_and_dependent_views(fresh_cluster, start):
    """Issue 19: ALTER EXTENSION UPDATE from every released version keeps the privileges an
    administrator set (PUBLIC does not regain EXECUTE on jwt_secret_status()), and views
    built on the extension's functions (the database owner's, and another session's
    temporary view) neither make the update fail nor stop working."""
    c = fresh_cluster(env={"JWT_SECRET": SECRET})
    c.psql("CREATE ROLE auditor; CREATE ROLE login_owner; CREATE ROLE dbowner LOGIN;"
           "CREATE ROLE web_user LOGIN IN ROLE auditor; CREATE ROLE outsider LOGIN;")
    c.psql("CREATE DATABASE upgraded OWNER dbowner;")
    c.psql("CREATE SCHEMA extensions;\n"
           f"CREATE EXTENSION pgrst_jwt VERSION '{start}' SCHEMA extensions;\n"
           "SELECT extensions.set_pgrst_secret_from_env();" + ADMINISTRATOR, db="upgraded")
    # the database owner's views, and a temporary view of a session that stays open
    c.psql("CREATE VIEW public.status_v AS SELECT * FROM extensions.jwt_secret_status();"
           "CREATE VIEW public.decoded AS SELECT claims FROM extensions.jwt_decode("
           "'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoid2ViX3VzZXIifQ.x');",
           db="upgraded", user="dbowner")
    s = Session(c, db="upgraded", user="web_user")
    try:
        s.ok("CREATE TEMP VIEW mine AS SELECT * FROM extensions.jwt_secret_status();")
        before = c.psql(ACLS, db="upgraded").lines
        fp = c.one("SELECT fingerprint FROM public.status_v", db="upgraded", user="dbowner")

        r = c.psql(f"ALTER EXTENSION pgrst_jwt UPDATE TO '{CURRENT}'", db="upgraded")
        assert c.one("SELECT extversion FROM pg_extension WHERE extname = 'pgrst_jwt'",
                     db="upgraded") == CURRENT, r.stderr
        after = c.psql(ACLS, db="upgraded").lines
        kept = [x for x in before if x.split(" ")[0] in {a.split(" ")[0] for a in after}]
        # every function that still exists has exactly the privileges it had
        assert [a for a in after if a.split(" ")[0] in {k.split(" ")[0] for k in kept}] == kept, \
            (before, after)
        status_acl = next(a for a in after if a.startswith("extensions.jwt_secret_status() "))
        assert not re.search(r"[{,]=X", status_acl) and "auditor=X*/" in status_acl, status_acl

        # PUBLIC did not get EXECUTE back
        e = c.psql("SELECT * FROM extensions.jwt_secret_status()", db="upgraded",
                   user="outsider", check=False, verbose_errors=True).error()
        assert e is not None and e.sqlstate == "42501", e
        # the current function has the current columns, for those granted it
        assert c.one("SELECT fingerprint, exposures FROM extensions.jwt_secret_status()",
                     db="upgraded", user="web_user") == \
            f'{fp}|{{"EXECUTE on jwt_sign(jsonb): signs tokens with the configured secret: \\"login_owner\\""}}'
        # the views still work, with what they showed before
        assert c.one("SELECT configured, fingerprint FROM public.status_v", db="upgraded",
                     user="dbowner") == f"t|{fp}"
        assert c.one("SELECT claims ->> 'role' FROM public.decoded", db="upgraded",
                     user="dbowner") == "web_user"
        assert s.value("SELECT configured || ' ' || fingerprint FROM mine;") == f"true {fp}"
        if start == "0.1.0":
            # 0.1.0's four-column function is kept for its users, outside the extension, and
            # the WARNING names them
            assert "kept 0.1.0's jwt_secret_status()" in r.stderr, r.stderr
            assert "status_v" in r.stderr and "mine" in r.stderr, r.stderr
            assert c.one("SELECT count(*) FROM pg_depend WHERE deptype = 'e' AND objid = "
                         "'extensions.jwt_secret_status_0_1_0()'::regprocedure", db="upgraded") == "0"
        else:
            assert "WARNING" not in r.stderr, r.stderr
    finally:
        s.close()


def test_update_from_0_1_0_without_users_drops_the_old_status_function(fresh_cluster):
    """Without views on it, 0.1.0's jwt_secret_status() is replaced outright, its privileges
    carried over to the new one."""
    c = fresh_cluster(env={"JWT_SECRET": SECRET})
    c.psql("CREATE ROLE auditor; CREATE ROLE login_owner; CREATE ROLE dbowner;")
    c.createdb("plain")
    c.psql("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt VERSION '0.1.0' SCHEMA extensions;"
           + ADMINISTRATOR, db="plain")
    status_before = c.one("SELECT proacl FROM pg_proc WHERE oid = "
                          "'extensions.jwt_secret_status()'::regprocedure", db="plain")
    r = c.psql(f"ALTER EXTENSION pgrst_jwt UPDATE TO '{CURRENT}'", db="plain")
    assert "WARNING: pgrst_jwt 0.2.0: kept" not in r.stderr, r.stderr
    assert c.one("SELECT to_regprocedure('extensions.jwt_secret_status_0_1_0()') IS NULL",
                 db="plain") == "t"
    assert c.one("SELECT proacl FROM pg_proc WHERE oid = "
                 "'extensions.jwt_secret_status()'::regprocedure", db="plain") == status_before
