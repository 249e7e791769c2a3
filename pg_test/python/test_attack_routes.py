"""Attack: read the secret by a route jwt_secret_status() did not report (issue 16).

Each route is opened, shown to be real (the role reads the secret, or the value is where
the route says), checked to be listed in ``exposures`` with the role(s) that have it, and
closed again; afterwards nothing is reported. Routes: a leftover ``pgrst.jwt_secret`` or
the secret under another name in a setting source (ALTER SYSTEM, ALTER DATABASE/ROLE SET),
roles with CREATEROLE, members of the predefined roles that read files or run programs,
EXECUTE on the file-reading functions, and views, rules and SECURITY DEFINER functions
owned by a superuser that read the secret table and are granted to others.
"""

from __future__ import annotations

import pytest

from attack_support import Session, ensure_roles, setup_db
from cluster import Cluster, literal, wait_for

SECRET = "routes-suite-real-secret-0123456789-abcdefgh"
T = "extensions.pgrst_jwt_secret"
STATUS = ("SELECT readable_by_public, array_to_string(exposures, E'\\n') "
          "FROM extensions.jwt_secret_status();")


def status(c, db="routes"):
    """(readable_by_public, the exposures one per line) as an ordinary role sees them."""
    with Session(c, db, "anon") as s:
        readable, exposures = s.value(STATUS).split("|", 1)
    return readable, exposures


def server_version(c):
    return int(c.one("SHOW server_version_num")) // 10000


def make(preload):
    conf = {"shared_preload_libraries": "pgrst_jwt"} if preload else {}
    c = Cluster(env={"JWT_SECRET": SECRET}, conf=conf)
    c.start()
    ensure_roles(c, "alice", "bob", "anon", "monitor", "creator", "filer", "runner", "reader")
    setup_db(c, "routes")
    c.psql("GRANT pg_monitor TO monitor;")
    return c


@pytest.fixture(scope="module")
def rc():
    c = make(preload=False)
    yield c
    c.cleanup()


@pytest.fixture(scope="module")
def pc():
    c = make(preload=True)
    yield c
    c.cleanup()


def check_route(c, opening, closing, names, proof=None, db="routes"):
    c.psql(opening, db=db)
    try:
        if proof:
            proof()
        readable, exposures = status(c, db)
        assert readable == "t", f"readable_by_public = {readable}; exposures {exposures}"
        for n in names:
            assert n.lower() in exposures.lower(), f"exposures {exposures} do not name {n}"
    finally:
        c.psql(closing, db=db)
    assert status(c, db) == ("f", ""), "still reported after the route was closed"


def test_baseline(rc, pc):
    assert status(rc) == ("f", "")
    assert status(pc) == ("f", "")


# ------------------------------------------------------------------ setting sources

def alter_system(c, name, value):
    """ALTER SYSTEM (the session sets the placeholder first, as PostgreSQL 15 requires), reload."""
    c.psql(f"SET {name} = ''; " + (f"ALTER SYSTEM SET {name} = {literal(value)};" if value is not None
                                   else f"ALTER SYSTEM RESET {name};"))
    c.psql("SELECT pg_reload_conf();")
    want = value or ""
    assert wait_for(lambda: c.one(f"SELECT coalesce(current_setting({literal(name)}, true), '')") == want)


# (a configuration file holds names with one dot only: app.settings.jwt_secret can only be a
# role or database setting, tested below)
@pytest.mark.parametrize("name", ["pgrst.jwt_secret", "app.jwt_secret"])
def test_alter_system_leftover_without_preloading(rc, name):
    alter_system(rc, name, SECRET)
    try:
        # real: any role reads it with current_setting() (the library is not loaded)
        assert rc.one(f"SELECT current_setting({literal(name)}, true)", db="routes", user="alice") == SECRET
        readable, exposures = status(rc)
        assert readable == "t", exposures
        assert name in exposures and "every role" in exposures, exposures
    finally:
        alter_system(rc, name, None)
    assert status(rc) == ("f", "")


def test_alter_system_leftover_with_preloading_names_settings_readers(pc):
    alter_system(pc, "pgrst.jwt_secret", SECRET)
    try:
        r = pc.psql("SELECT current_setting('pgrst.jwt_secret', true)", db="routes", user="alice", check=False)
        assert SECRET not in r.stdout, "an ordinary role reads the preloaded superuser-only setting"
        assert pc.one("SELECT current_setting('pgrst.jwt_secret')", db="routes", user="monitor") == SECRET
        readable, exposures = status(pc)
        assert readable == "t" and "pgrst.jwt_secret" in exposures, exposures
        assert '"monitor"' in exposures, f"the pg_monitor member is not named: {exposures}"
    finally:
        alter_system(pc, "pgrst.jwt_secret", None)
    assert status(pc) == ("f", "")


@pytest.mark.parametrize("scope", ["DATABASE routes", "ROLE alice", "ROLE alice IN DATABASE routes"])
@pytest.mark.parametrize("name", ["app.settings.jwt_secret", "app.jwt_secret", "app.secret_copy"])
def test_the_secret_under_another_name_in_role_and_database_settings(rc, scope, name):
    def proof():
        assert rc.one("SELECT count(*) FROM pg_db_role_setting WHERE "
                      f"array_to_string(setconfig, ',') LIKE '%{SECRET}%'", user="bob") == "1"
    check_route(rc, f"ALTER {scope} SET {name} = {literal(SECRET)};", f"ALTER {scope} RESET {name};",
                [name, "pg_db_role_setting"], proof)


# ------------------------------------------------------------------ roles

def test_createrole(rc):
    v16 = server_version(rc) >= 16
    # 16+: CREATEROLE grants only roles it holds ADMIN on, so the route is that ADMIN: it
    # makes a login role of its own, grants it pg_read_all_data and logs in as it
    opening = "CREATE ROLE cr LOGIN CREATEROLE;" + (
        " GRANT pg_read_all_data TO cr WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;" if v16 else "")

    def proof():
        who = "cr_helper" if v16 else "cr"
        if v16:
            rc.psql("CREATE ROLE cr_helper LOGIN;", user="cr", db="routes")
        rc.psql(f"GRANT pg_read_all_data TO {who};", user="cr", db="routes")
        try:
            assert rc.one(f"SELECT secret FROM {T}", db="routes", user=who) == SECRET
        finally:
            rc.psql("DROP ROLE cr_helper;" if v16 else "REVOKE pg_read_all_data FROM cr;")

    check_route(rc, opening, "DROP ROLE cr;", ['"cr"', "createrole"], proof)


def test_membership_without_inherit_is_still_a_route(rc):
    def proof():
        assert rc.one(f"SET ROLE pg_read_all_data; SELECT secret FROM {T}", db="routes", user="bob") == SECRET
    opening = ("GRANT pg_read_all_data TO bob WITH INHERIT FALSE;" if server_version(rc) >= 16
               else "ALTER ROLE bob NOINHERIT; GRANT pg_read_all_data TO bob;")
    closing = "REVOKE pg_read_all_data FROM bob; ALTER ROLE bob INHERIT;"
    check_route(rc, opening, closing, ['"bob"'], proof)


def test_createrole_without_a_way_to_read_is_not_reported_on_16_and_later(rc):
    if server_version(rc) < 16:
        pytest.skip("PostgreSQL 15 and older: every CREATEROLE role can grant itself pg_read_all_data")
    rc.psql("CREATE ROLE cr2 LOGIN CREATEROLE;")
    try:
        r = rc.psql("GRANT pg_read_all_data TO cr2;", user="cr2", db="routes", check=False)
        assert r.returncode != 0, "CREATEROLE granted pg_read_all_data on 16+"
        assert status(rc) == ("f", "")
    finally:
        rc.psql("DROP ROLE cr2;")


def heap_file_proof(c, role, fn):
    def proof():
        c.psql("CHECKPOINT;")
        path = c.one(f"SELECT pg_relation_filepath('{T}')", db="routes")
        out = c.one(f"SELECT encode({fn}({literal(path)}), 'escape')", db="routes", user=role)
        assert SECRET in out, f"{role} could not read the heap file with {fn}"
    return proof


def test_pg_read_server_files(rc):
    check_route(rc, "GRANT pg_read_server_files TO filer;", "REVOKE pg_read_server_files FROM filer;",
                ['"filer"'])


def test_pg_execute_server_program(rc):
    check_route(rc, "GRANT pg_execute_server_program TO runner;",
                "REVOKE pg_execute_server_program FROM runner;", ['"runner"'])


@pytest.mark.parametrize("fn", ["pg_read_binary_file", "pg_read_file"])
def test_execute_on_file_reading_functions(rc, fn):
    # (pg_read_file refuses the heap file's zero bytes as text: the proof reads it as bytes)
    proof = heap_file_proof(rc, "reader", fn) if fn == "pg_read_binary_file" else None
    check_route(rc, f"GRANT EXECUTE ON FUNCTION pg_catalog.{fn}(text) TO reader;",
                f"REVOKE EXECUTE ON FUNCTION pg_catalog.{fn}(text) FROM reader;",
                ['"reader"', fn], proof)


# ------------------------------------------------------------------ objects that read the table

def test_a_view_granted_to_others(rc):
    def proof():
        assert rc.one("SELECT s FROM public.leaky_view", db="routes", user="alice") == SECRET
    check_route(rc, f"CREATE VIEW public.leaky_view AS SELECT secret AS s FROM {T};"
                    "GRANT SELECT ON public.leaky_view TO alice;",
                "DROP VIEW public.leaky_view;", ["leaky_view", '"alice"'], proof)


def test_a_view_of_a_view(rc):
    def proof():
        assert rc.one("SELECT s FROM public.outer_view", db="routes", user="bob") == SECRET
    check_route(rc, f"CREATE VIEW public.inner_view AS SELECT secret AS s FROM {T};"
                    "CREATE VIEW public.outer_view AS SELECT s FROM public.inner_view;"
                    "GRANT SELECT ON public.outer_view TO bob;",
                "DROP VIEW public.outer_view; DROP VIEW public.inner_view;", ["outer_view", '"bob"'], proof)


def test_a_rule_on_a_table_others_write(rc):
    def proof():
        rc.psql("INSERT INTO public.t VALUES ('x');", db="routes", user="alice")
        assert rc.one("SELECT s FROM public.sink", db="routes", user="alice") == SECRET
    check_route(rc, "CREATE TABLE public.t (x text); CREATE TABLE public.sink (s text);"
                    "GRANT INSERT ON public.t TO alice; GRANT SELECT ON public.sink TO alice;"
                    f"CREATE RULE leak_rule AS ON INSERT TO public.t DO ALSO INSERT INTO public.sink SELECT secret FROM {T};",
                "DROP TABLE public.t, public.sink;", ["leak_rule", '"alice"'], proof)


@pytest.mark.parametrize("body", ["plpgsql", "sql", "atomic"])
def test_a_security_definer_function(rc, body):
    src = {"plpgsql": f"LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT secret FROM {T}); END $$",
           "sql": f"LANGUAGE sql AS $$ SELECT secret FROM {T} $$",
           "atomic": f"LANGUAGE sql BEGIN ATOMIC SELECT secret FROM {T}; END"}[body]

    def proof():
        assert rc.one("SELECT public.leak_fn()", db="routes", user="alice") == SECRET
    check_route(rc, f"CREATE FUNCTION public.leak_fn() RETURNS text SECURITY DEFINER {src};",
                "DROP FUNCTION public.leak_fn();", ["leak_fn", "public"], proof)


def test_a_security_invoker_function_is_no_route(rc):
    rc.psql(f"CREATE FUNCTION public.harmless() RETURNS text LANGUAGE sql AS $$ SELECT secret FROM {T} $$;",
            db="routes")
    try:
        assert rc.psql("SELECT public.harmless()", db="routes", user="alice", check=False).returncode != 0
        assert status(rc) == ("f", "")
    finally:
        rc.psql("DROP FUNCTION public.harmless();", db="routes")
