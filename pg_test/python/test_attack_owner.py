"""Attack: the database owner (in hosted setups the customer's own login, not a superuser)
becomes superuser through the schema the extension lives in (issue 16).

A role that owns the extension's schema can rename or drop it and plant objects with the
extension's names; the next documented step a superuser runs (rotation, configuration)
then runs the owner's code with superuser rights. So the extension refuses to be created
in, or updated in, a schema whose owner is not a superuser (``public`` of PostgreSQL 15+,
owned by ``pg_database_owner``, counts as owned by the database's owner), the example and
the pgjwt guide create their schema so that adoption cannot happen, and
``jwt_secret_status()`` reports what remains (a schema given away later, CREATE on it).
"""

from __future__ import annotations

import os

import pytest

from attack_support import ensure_roles
from cluster import Cluster, literal

SECRET = "owner-suite-real-secret-0123456789-abcdefgh"
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE_00 = os.path.normpath(os.path.join(HERE, "..", "..", "examples", "postgrest-auth",
                                           "migrations", "00-init_postgrest.sql"))
PLANT = """
CREATE FUNCTION extensions.set_pgrst_secret_from_env(env_var text DEFAULT 'JWT_SECRET',
    is_base64 boolean DEFAULT false, postgrest_role name DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$ BEGIN
  BEGIN EXECUTE 'ALTER ROLE dbowner SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
  RETURN 'sha256:planted';
END $$;
"""


@pytest.fixture(scope="module")
def oc():
    c = Cluster(env={"JWT_SECRET": SECRET})
    c.start()
    ensure_roles(c, "dbowner", "mallory", "anon")
    yield c
    c.cleanup()


def owned_db(c, name):
    """A database owned by dbowner (a customer's login), who made schema extensions first."""
    c.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE); CREATE DATABASE {name} OWNER dbowner;")
    c.psql("CREATE SCHEMA extensions;", db=name, user="dbowner")


def is_superuser(c, role):
    return c.one(f"SELECT rolsuper FROM pg_roles WHERE rolname = {literal(role)}") == "t"


def test_the_attack_an_adopted_schema_would_make_the_owner_superuser(oc):
    """Why the refusal matters: had the install adopted dbowner's schema, dbowner could
    plant a function of the extension's name, and the superuser's next documented step
    runs it. (Shown with a plain schema of dbowner's, without the extension.)"""
    owned_db(oc, "adopt_demo")
    oc.psql(PLANT, db="adopt_demo", user="dbowner")
    try:
        oc.psql("SELECT extensions.set_pgrst_secret_from_env();", db="adopt_demo")
        assert is_superuser(oc, "dbowner"), "the planted function did not run as the superuser"
    finally:
        oc.psql("ALTER ROLE dbowner NOSUPERUSER")


def test_create_extension_refuses_a_schema_owned_by_a_non_superuser(oc):
    owned_db(oc, "adopt")
    e = oc.psql("\\set VERBOSITY verbose\nCREATE EXTENSION pgrst_jwt SCHEMA extensions;",
                db="adopt", check=False).error()
    assert e is not None, "pgrst_jwt was installed into a schema that dbowner owns"
    assert e.sqlstate == "42501", e
    assert 'schema "extensions"' in e.message and '"dbowner"' in e.message, e
    hint = oc.psql("CREATE EXTENSION pgrst_jwt SCHEMA extensions;", db="adopt", check=False).stderr
    assert "AUTHORIZATION" in hint, f"the error does not say what to do: {hint}"
    assert oc.one("SELECT count(*) FROM pg_extension WHERE extname = 'pgrst_jwt'", db="adopt") == "0"
    # the companion extension too (CASCADE would otherwise install both there)
    r = oc.psql("CREATE EXTENSION pgrst_jwt_pgjwt SCHEMA extensions CASCADE;", db="adopt", check=False)
    assert r.returncode != 0 and "dbowner" in r.stderr, r.stderr


def test_public_of_a_database_owned_by_a_non_superuser_is_refused(oc):
    """PostgreSQL 15+: public belongs to pg_database_owner, i.e. to the database's owner."""
    oc.psql("DROP DATABASE IF EXISTS pub WITH (FORCE); CREATE DATABASE pub OWNER dbowner;")
    r = oc.psql("CREATE EXTENSION pgrst_jwt;", db="pub", check=False)
    owner = oc.one("SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'public'", db="pub")
    if owner in ("pg_database_owner", "dbowner"):
        assert r.returncode != 0, f"pgrst_jwt was installed into public (owned by {owner})"
        assert 'schema "public"' in r.stderr, r.stderr
    else:  # PostgreSQL 14 and older: public belongs to the bootstrap superuser
        assert r.returncode == 0, r.stderr
    r = oc.psql("CREATE EXTENSION pgrst_jwt_pgjwt CASCADE;", db="pub", check=False)
    assert (r.returncode != 0) == (owner in ("pg_database_owner", "dbowner")), r.stderr


def test_public_of_a_database_owned_by_a_superuser_is_accepted(oc):
    oc.psql("DROP DATABASE IF EXISTS pub_su WITH (FORCE); CREATE DATABASE pub_su;")
    oc.psql("CREATE EXTENSION pgrst_jwt;", db="pub_su")
    assert oc.one("SELECT exposures FROM jwt_secret_status()", db="pub_su") == "{}"


def test_a_superusers_schema_is_accepted_and_nothing_is_reported(oc):
    oc.psql("DROP DATABASE IF EXISTS safe WITH (FORCE); CREATE DATABASE safe OWNER dbowner;")
    oc.psql("CREATE SCHEMA extensions AUTHORIZATION postgres;"
            "CREATE EXTENSION pgrst_jwt SCHEMA extensions;"
            "GRANT USAGE ON SCHEMA extensions TO PUBLIC;"
            "SELECT extensions.set_pgrst_secret_from_env();", db="safe")
    assert oc.one("SELECT readable_by_public, exposures FROM extensions.jwt_secret_status()",
                  db="safe", user="anon") == "f|{}"
    # the database owner can neither rename, drop nor plant in it
    for sql in ("ALTER SCHEMA extensions RENAME TO ext_old;", "DROP SCHEMA extensions CASCADE;",
                PLANT):
        r = oc.psql(sql, db="safe", user="dbowner", check=False)
        assert r.returncode != 0, f"dbowner could run: {sql}"


@pytest.mark.parametrize("route,opening,closing,names", [
    ("schema given to the database owner", "ALTER SCHEMA extensions OWNER TO dbowner;",
     "ALTER SCHEMA extensions OWNER TO postgres;", ["dbowner", "owns"]),
    ("CREATE on the schema", "GRANT CREATE ON SCHEMA extensions TO mallory;",
     "REVOKE CREATE ON SCHEMA extensions FROM mallory;", ["mallory", "create"]),
    ("CREATE on the schema for PUBLIC", "GRANT CREATE ON SCHEMA extensions TO PUBLIC;",
     "REVOKE CREATE ON SCHEMA extensions FROM PUBLIC;", ["public", "create"]),
])
def test_what_remains_is_reported(oc, route, opening, closing, names):
    oc.psql("DROP DATABASE IF EXISTS later WITH (FORCE); CREATE DATABASE later OWNER dbowner;")
    oc.psql("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt SCHEMA extensions;"
            "GRANT USAGE ON SCHEMA extensions TO PUBLIC;"
            "SELECT extensions.set_pgrst_secret_from_env();", db="later")
    status = "SELECT array_to_string(exposures, E'\\n') FROM extensions.jwt_secret_status()"
    assert oc.one(status, db="later", user="anon") == ""
    oc.psql(opening, db="later")
    try:
        exposures = oc.one(status, db="later", user="anon").lower()
        for n in names:
            assert n in exposures, f"{route}: {exposures} does not mention {n}"
        assert "extensions" in exposures, exposures
    finally:
        oc.psql(closing, db="later")
    assert oc.one(status, db="later", user="anon") == ""


def test_the_update_refuses_a_schema_owned_by_a_non_superuser(oc):
    oc.psql("DROP DATABASE IF EXISTS upd WITH (FORCE); CREATE DATABASE upd;")
    oc.psql("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt VERSION '0.2.0' SCHEMA extensions;"
            "ALTER SCHEMA extensions OWNER TO dbowner;", db="upd")
    r = oc.psql("ALTER EXTENSION pgrst_jwt UPDATE;", db="upd", check=False)
    assert r.returncode != 0, "the update ran in a schema that dbowner owns"
    assert 'schema "extensions"' in r.stderr and "dbowner" in r.stderr, r.stderr
    assert oc.one("SELECT extversion FROM pg_extension WHERE extname = 'pgrst_jwt'", db="upd") == "0.2.0"
    oc.psql("ALTER SCHEMA extensions OWNER TO postgres; ALTER EXTENSION pgrst_jwt UPDATE;", db="upd")


def test_the_example_migration_does_not_adopt_an_existing_schema(oc):
    owned_db(oc, "example_adopt")
    with open(EXAMPLE_00) as f:
        sql = f.read()
    r = oc.psql(sql, db="example_adopt", single_transaction=True, check=False)
    assert r.returncode != 0, "the example's first migration adopted dbowner's schema"
    assert "extensions" in r.stderr, r.stderr
    assert oc.one("SELECT count(*) FROM pg_extension WHERE extname = 'pgrst_jwt'",
                  db="example_adopt") == "0"
