"""pg_dump of a PostgreSQL 15 database, pg_restore into PostgreSQL 18 (issue 19).

The 15 database has pgrst_jwt and the pgjwt drop-in (``CREATE EXTENSION pgrst_jwt_pgjwt
SCHEMA extensions CASCADE``), a secret configured with ``set_pgrst_secret_from_env()``, a
grant of ``jwt_sign(jsonb)`` to a login function's owner, that login function and a
``BEGIN ATOMIC`` function using the drop-in's ``verify``. No tables of its own: Debian 12's
PostgreSQL 15.20 writes a ``pg_attver`` attribute option on every column, which 16+ refuse.

The dump (by 18's pg_dump, as PostgreSQL recommends, and by 15's own) holds no secret: not the
value, not its hex or base64, no data entry of the secret table. The restore follows the
README's steps (RESTORE_STEPS below, run as they are): roles first, ``pg_restore``, then
``SELECT extensions.set_pgrst_secret_from_env();`` with the same JWT_SECRET in the new
server's environment. Afterwards ``jwt_secret_status()`` is the same row as on 15 (fingerprint,
source, exposures), tokens signed on 15 verify, signing gives the same bytes, ordinary roles
still cannot read the secret table, and the drop-in and what uses it work.

Runs once, in the PostgreSQL 18 pass (PG_BIN is 18): the restore target is the release build
pg_test/run just installed, and 15's was installed by the 15 pass before it. In the 15 pass of
``make test`` on a fresh machine 18 has no pgrst_jwt yet, so the test cannot run there.
PG_TEST_PG15_BIN overrides the 15 binaries (/usr/lib/postgresql/15/bin).
"""

from __future__ import annotations

import base64
import os
import subprocess

import pytest

from cluster import PG_BIN, Cluster, _as_server_user, literal

PG15_BIN = os.environ.get("PG_TEST_PG15_BIN", "/usr/lib/postgresql/15/bin")
SECRET = "dump-restore-secret-0123456789-abcdefghijklmnop"
DB = "app"

SETUP = """
CREATE ROLE anon NOLOGIN;
CREATE ROLE reader LOGIN;
CREATE ROLE login_owner NOLOGIN;
\\connect app
CREATE SCHEMA extensions;
CREATE EXTENSION pgrst_jwt_pgjwt SCHEMA extensions CASCADE;
SELECT extensions.set_pgrst_secret_from_env() IS NOT NULL AS configured;
GRANT USAGE ON SCHEMA extensions TO anon, reader, login_owner;
GRANT EXECUTE ON FUNCTION extensions.jwt_sign(jsonb) TO login_owner;
CREATE SCHEMA api;
GRANT USAGE ON SCHEMA api TO anon;
CREATE FUNCTION api.login(r name) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN extensions.jwt_sign(jsonb_build_object('role', r, 'exp', 4102444800));
END $$;
ALTER FUNCTION api.login(name) OWNER TO login_owner;
REVOKE EXECUTE ON FUNCTION api.login(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.login(name) TO anon;
CREATE FUNCTION api.legacy_valid(t text) RETURNS boolean LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT valid FROM extensions.verify(t, 'legacy-pgjwt-secret');
END;
"""

# The README's restore steps, run exactly as written there (psql, as a superuser, in the
# restored database, with the same JWT_SECRET in the new server's environment).
RESTORE_STEPS = "SELECT extensions.set_pgrst_secret_from_env();"

STATUS = ("SELECT configured, source, fingerprint, readable_by_public, exposures "
          "FROM extensions.jwt_secret_status()")


def pg_major(bin_dir: str) -> int:
    out = subprocess.run([os.path.join(bin_dir, "pg_config"), "--version"], capture_output=True,
                         text=True, check=True).stdout
    return int(out.split()[1].split(".")[0])


def extension_installed(bin_dir: str) -> bool:
    share = subprocess.run([os.path.join(bin_dir, "pg_config"), "--sharedir"], capture_output=True,
                           text=True, check=True).stdout.strip()
    return all(os.path.exists(os.path.join(share, "extension", f"{e}.control"))
               for e in ("pgrst_jwt", "pgrst_jwt_pgjwt"))


def missing(reason: str):
    """Absent prerequisites fail in CI and skip, with the reason, elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def run(args: list, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(_as_server_user(args), capture_output=True, text=True, timeout=180, **kw)
    assert p.returncode == 0, f"{' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
    return p


def conn(c) -> list:
    return ["-h", c.host, "-p", str(c.port), "-U", "postgres"]


@pytest.fixture
def clusters():
    made = []

    def make(bin_dir):
        c = Cluster(env={"JWT_SECRET": SECRET}, bin=bin_dir)
        made.append(c)
        return c.start()

    yield make
    for c in made:
        c.cleanup()


def test_dump_of_15_restores_into_18_without_the_secret(clusters):
    if pg_major(PG_BIN) != 18:
        pytest.skip("runs once, in the PostgreSQL 18 pass: a dump of 15 restored into PG_BIN's 18")
    if not os.path.exists(os.path.join(PG15_BIN, "pg_config")):
        missing(f"no PostgreSQL 15 in {PG15_BIN} (PG_TEST_PG15_BIN)")
    if not extension_installed(PG15_BIN):
        missing(f"pgrst_jwt is not installed in the PostgreSQL 15 of {PG15_BIN}: make install PG=15")

    old = clusters(PG15_BIN)
    old.createdb(DB)
    old.psql(SETUP)
    before = old.one(STATUS, db=DB)
    assert before.startswith("t|extension table|sha256:"), before
    token = old.one("SET ROLE anon; SELECT api.login('web_user')", db=DB).splitlines()[-1]
    legacy = old.one("SELECT extensions.sign('{\"sub\":\"legacy\"}', 'legacy-pgjwt-secret')", db=DB)
    assert old.one(f"SELECT api.legacy_valid({literal(legacy)})", db=DB) == "t"

    # the dumps: 18's pg_dump (custom format, restored below; its text for reading) and 15's
    new_bin = PG_BIN
    archive = os.path.join(old.base, "app.dump")
    run([os.path.join(new_bin, "pg_dump"), *conn(old), "-Fc", "-f", archive, DB])
    text18 = run([os.path.join(new_bin, "pg_restore"), "-f", "-", archive]).stdout
    listing = run([os.path.join(new_bin, "pg_restore"), "-l", archive]).stdout
    text15 = run([os.path.join(PG15_BIN, "pg_dump"), *conn(old), DB]).stdout
    roles = run([os.path.join(new_bin, "pg_dumpall"), *conn(old), "--roles-only"]).stdout
    for name, text in (("18's pg_dump", text18), ("15's pg_dump", text15)):
        assert "CREATE EXTENSION IF NOT EXISTS pgrst_jwt WITH SCHEMA extensions" in text, name
        assert "CREATE EXTENSION IF NOT EXISTS pgrst_jwt_pgjwt WITH SCHEMA extensions" in text, name
        for form in (SECRET, SECRET.encode().hex(), base64.b64encode(SECRET.encode()).decode()):
            assert form not in text, f"{name}: the dump holds the secret"
        assert "pgrst_jwt_secret" not in text, f"{name}: the dump names the secret table"
    assert "TABLE DATA" not in listing, listing
    assert SECRET not in roles

    # the restore: roles, pg_restore, then the README's step
    new = clusters(new_bin)
    assert pg_major(new_bin) == 18 and pg_major(PG15_BIN) == 15
    r = new.psql("\\set ON_ERROR_STOP 0\n" + roles, check=False)
    errors = [x for x in r.stderr.splitlines() if "ERROR:" in x]
    assert len(errors) == 1 and 'role "postgres" already exists' in errors[0], r.stderr
    new.createdb(DB)
    run([os.path.join(new_bin, "pg_restore"), *conn(new), "--exit-on-error", "-d", DB, archive])
    assert new.one("SELECT configured, fingerprint IS NULL FROM extensions.jwt_secret_status()",
                   db=DB) == "f|t", "a restored database has a secret before the restore steps ran"
    fingerprint = new.one(RESTORE_STEPS, db=DB)

    after = new.one(STATUS, db=DB)
    assert after == before, f"jwt_secret_status() differs after the restore:\n15: {before}\n18: {after}"
    assert fingerprint == before.split("|")[2]
    assert new.one(f"SET ROLE anon; SELECT extensions.jwt_verify({literal(token)}) ->> 'role'",
                   db=DB).splitlines()[-1] == "web_user", "a token signed on 15 does not verify on 18"
    assert new.one("SET ROLE anon; SELECT api.login('web_user')", db=DB).splitlines()[-1] == token, \
        "the restored login function signs other bytes"
    assert new.one(f"SELECT api.legacy_valid({literal(legacy)})", db=DB) == "t"
    assert new.one("SELECT extensions.sign('{\"sub\":\"legacy\"}', 'legacy-pgjwt-secret')", db=DB) == legacy
    e = new.psql("\\set VERBOSITY verbose\nSELECT secret FROM extensions.pgrst_jwt_secret",
                 db=DB, user="reader", check=False).error()
    assert e is not None and e.sqlstate == "42501", e
    assert new.one("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension "
                   "WHERE extname LIKE 'pgrst%'", db=DB) == "pgrst_jwt,pgrst_jwt_pgjwt"
    for c in (old, new):
        assert SECRET not in c.log_text()
