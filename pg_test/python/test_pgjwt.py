"""The pgjwt drop-in (issue 10): CREATE EXTENSION pgrst_jwt_pgjwt CASCADE gives pgjwt's
``sign(json, text, text)`` and ``verify(text, text, text)`` with pgjwt 0.2's results,
checked against a model of pgjwt written here from its definitions (base64url of the
header text ``{"alg":"<alg>","typ":"JWT"}`` and of the payload's JSON text, HMAC of
pgcrypto; ``valid`` = signature AND ``tstzrange(to_timestamp(nbf), to_timestamp(exp)) @>
now``), and the two deliberate differences: ``valid`` is false when the header's ``alg``
is not the one asked for, and the signature comparison is constant-time (not observable
here; see src/pgjwt.rs)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import textwrap
import time

import pytest

from cluster import literal

HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
SETUP = ("CREATE SCHEMA IF NOT EXISTS extensions;\n"
         "CREATE EXTENSION IF NOT EXISTS pgrst_jwt_pgjwt SCHEMA extensions CASCADE;\n")
PATH = "SET search_path = extensions, public;\n"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pgjwt_sign(payload_text: str, secret: str, alg: str = "HS256") -> str:
    """pgjwt 0.2's sign(): the header and payload texts as they are, HMAC of pgcrypto."""
    signing = b64(('{"alg":"' + alg + '","typ":"JWT"}').encode()) + "." + b64(payload_text.encode())
    sig = hmac.new(secret.encode(), signing.encode(), HASHES[alg]).digest()
    return signing + "." + b64(sig)


@pytest.fixture(scope="module")
def db(cluster):
    from conftest import Database
    cluster.createdb("test_pgjwt")  # no pgrst_jwt yet: CASCADE creates it beside
    d = Database(cluster, "test_pgjwt")
    d.psql(SETUP)
    yield d
    cluster.dropdb("test_pgjwt")


def one(db, sql):
    return db.one(PATH + sql)


PAYLOADS = [
    '{"sub":"1234567890","name":"John Doe","admin":true}',
    '{ "role" : "web_user",\n  "exp" : 4102444800 }',
    '{"z":1,"a":[1,2.50,{"b":null}],"é":"\u00e9\u2603"}',
    '{"a":"\\u00e9\\n"}',
    "[1, 2]",
    '"just a string"',
]
SECRETS = ["secret", "", "k", "a-much-longer-secret-" * 20, "s\u00e9cr\u00e8t \u2603"]


@pytest.mark.parametrize("alg", sorted(HASHES))
def test_sign_is_byte_identical_to_pgjwt(db, alg):
    for payload in PAYLOADS:
        for secret in SECRETS:
            got = one(db, f"SELECT sign({literal(payload)}::json, {literal(secret)}, '{alg}')")
            assert got == pgjwt_sign(payload, secret, alg), (payload, secret)


def test_sign_defaults_to_hs256_and_signs_row_to_json_verbatim(db):
    got = one(db, "SELECT sign(row_to_json(r), 'secret') FROM (SELECT 'web_user' AS role, "
                  "'a@example.com' AS email, 4102444800 AS exp) r")
    assert got == pgjwt_sign('{"role":"web_user","email":"a@example.com","exp":4102444800}', "secret")
    # the well-known jwt.io example, which pgjwt's own tests use
    assert one(db, """SELECT sign('{"sub":"1234567890","name":"John Doe","admin":true}', 'secret')""") == (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwi"
        "YWRtaW4iOnRydWV9.TJVA95OrM7E2cBab30RMHrHDcEfxjoYZgeFONFh7HgQ")


@pytest.mark.parametrize("alg", ["hs256", "RS256", "none", "", "HS256 "])
def test_unknown_algorithm_is_22023(db, alg):
    for sql in (f"SELECT sign('{{}}', 's', {literal(alg)})",
                f"SELECT * FROM verify({literal(pgjwt_sign('{}', 's'))}, 's', {literal(alg)})"):
        e = db.error(PATH + sql)
        # pgjwt's own words (pgcrypto's, through its algorithm_sign): its test.sql expects them
        assert (e.sqlstate, e.message) == ("22023", 'Cannot use "": No such hash algorithm'), (sql, e)


def verify(db, token, secret="s", alg=None):
    args = f"{literal(token)}, {literal(secret) if secret is not None else 'NULL'}"
    if alg:
        args += f", {literal(alg)}"
    return one(db, f"SELECT header::text, payload::text, coalesce(valid::text, 'null') FROM verify({args})")


def test_verify_returns_the_texts_and_valid(db):
    payload = '{ "role" : "web_user", "exp" : 4102444800 }'
    t = pgjwt_sign(payload, "s", "HS384")
    assert verify(db, t, "s", "HS384") == f'{{"alg":"HS384","typ":"JWT"}}|{payload}|true'
    assert verify(db, t, "wrong", "HS384").endswith("|false")
    # pgjwt computes the signature with the algorithm asked for: HS256 does not match
    assert verify(db, t, "s").endswith("|false")


def test_header_alg_must_be_the_one_asked_for(db):
    """A difference from pgjwt on purpose: a header naming another algorithm than the
    one the signature was checked with makes the token invalid (pgjwt said valid)."""
    h = b64(b'{"alg":"HS512","typ":"JWT"}')
    p = b64(b'{"role":"admin"}')
    sig = hmac.new(b"s", f"{h}.{p}".encode(), hashlib.sha256).digest()
    assert verify(db, f"{h}.{p}.{b64(sig)}", "s", "HS256").endswith("|false")
    h2 = b64(b'["HS256"]')
    sig = hmac.new(b"s", f"{h2}.{p}".encode(), hashlib.sha256).digest()
    assert verify(db, f"{h2}.{p}.{b64(sig)}", "s", "HS256").endswith("|false")


def test_exp_and_nbf_follow_pgjwt_without_leeway(db):
    now = int(time.time())
    cases = {
        '{"exp": %d}' % (now + 3600): "true",
        '{"exp": %d}' % (now - 1): "false",          # no leeway
        '{"nbf": %d}' % (now + 5): "false",
        '{"nbf": %d, "exp": %d}' % (now - 5, now + 5): "true",
        '{"exp": "%d"}' % (now + 3600): "true",      # a numeric string is cast
        '{"exp": "%d"}' % (now - 3600): "false",
        '{"exp": "soon"}': "true",                   # not a number: unbounded
        '{"exp": true}': "true",
        '{"exp": null}': "true",
        '{"exp": %d.5}' % (now - 10): "false",
        '{"exp": 1e12}': "true",                     # year 33658: still a timestamp
        "[1, 2]": "true",                            # not an object: no bounds
    }
    for payload, want in cases.items():
        got = verify(db, pgjwt_sign(payload, "s"))
        assert got.endswith("|" + want), (payload, got)


def test_pgjwt_errors_are_kept(db):
    # nbf after exp: tstzrange's error
    inverted = literal(pgjwt_sign('{"nbf": 10, "exp": 5}', "s"))
    e = db.error(PATH + f"SELECT * FROM verify({inverted}, 's')")
    assert e.sqlstate == "22000" and "range lower bound" in e.message
    # beyond timestamps, as to_timestamp() says
    huge = literal(pgjwt_sign('{"exp": 1e300}', "s"))
    assert db.error(PATH + f"SELECT * FROM verify({huge}, 's')").sqlstate == "22008"
    # NaN cannot become a timestamp
    nan = literal(pgjwt_sign('{"exp": "NaN"}', "s"))
    e = db.error(PATH + f"SELECT * FROM verify({nan}, 's')")
    assert e.sqlstate == "22008", e
    # base64 and JSON errors are PostgreSQL's
    assert db.error(PATH + "SELECT * FROM verify('a.b.c', 's')").sqlstate == "22023"
    bad_json = b64(b"{not json") + "." + b64(b"{}") + ".x"
    assert db.error(PATH + f"SELECT * FROM verify({literal(bad_json)}, 's')").sqlstate == "22P02"


def test_nulls_and_missing_parts_as_pgjwt(db):
    t = pgjwt_sign('{"a":1}', "s")
    assert verify(db, t, None) == '{"alg":"HS256","typ":"JWT"}|{"a":1}|null'
    assert one(db, "SELECT count(*), bool_and(header IS NULL AND payload IS NULL AND valid IS NULL) "
                   "FROM verify(NULL, 's')") == "1|t"
    assert one(db, "SELECT sign(NULL, 's') IS NULL, sign('{}', NULL) IS NULL") == "t|t"
    # a fourth part is ignored, a missing signature gives NULL
    assert verify(db, t + ".extra").endswith("|true")
    two = t.rsplit(".", 1)[0]
    assert verify(db, two) == '{"alg":"HS256","typ":"JWT"}|{"a":1}|null'


def test_plpgsql_code_written_for_pgjwt_runs_unchanged(db):
    """The migration guide's promise: functions that call pgjwt's sign/verify keep working."""
    db.psql(PATH + """
CREATE TABLE IF NOT EXISTS public.users (email text PRIMARY KEY, role name);
INSERT INTO public.users VALUES ('a@example.com', 'web_user') ON CONFLICT DO NOTHING;
CREATE OR REPLACE FUNCTION public.login(email text) RETURNS text LANGUAGE plpgsql
SET search_path = extensions, public AS $$
DECLARE r record;
BEGIN
  SELECT u.role, u.email, extract(epoch FROM now())::integer + 3600 AS exp INTO r
    FROM users u WHERE u.email = login.email;
  RETURN sign(row_to_json(r), 'reallyreallyreallyreallyverysafe');
END $$;
""")
    token = one(db, "SELECT public.login('a@example.com')")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["role"] == "web_user"
    assert one(db, f"SELECT valid FROM verify({literal(token)}, 'reallyreallyreallyreallyverysafe')") == "t"


def test_companion_extension_lives_beside_pgrst_jwt(db):
    assert one(db, "SELECT string_agg(extname || ':' || extnamespace::regnamespace, ',' ORDER BY extname) "
                   "FROM pg_extension WHERE extname LIKE 'pgrst_jwt%'") == \
        "pgrst_jwt:extensions,pgrst_jwt_pgjwt:extensions"
    # dropping the companion leaves pgrst_jwt, and sign/verify are gone
    db.psql("DROP EXTENSION pgrst_jwt_pgjwt")
    assert one(db, "SELECT to_regprocedure('extensions.sign(json,text,text)') IS NULL") == "t"
    db.psql(SETUP)


# ---- the README's migration guide, run against a stand-in for pgjwt 0.2: an extension
# named pgjwt with pgjwt's sign()/verify() signatures and token format, written here (its
# HMAC from sha256()/sha512(), so that no pgcrypto is needed)
STANDIN_CONTROL = "comment = 'test stand-in for pgjwt 0.2'\ndefault_version = '0.2.0'\nrelocatable = false\n"
STANDIN_SQL = r"""
CREATE FUNCTION @extschema@.hmac_standin(msg bytea, key bytea, hash text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
DECLARE block int := CASE hash WHEN 'sha256' THEN 64 ELSE 128 END; k bytea := key; i bytea; o bytea;
BEGIN
  IF length(k) > block THEN k := CASE hash WHEN 'sha256' THEN sha256(k) WHEN 'sha384' THEN sha384(k) ELSE sha512(k) END; END IF;
  k := k || decode(repeat('00', block - length(k)), 'hex'); i := k; o := k;
  FOR n IN 0 .. block - 1 LOOP
    i := set_byte(i, n, get_byte(k, n) # 54); o := set_byte(o, n, get_byte(k, n) # 92);
  END LOOP;
  i := i || msg;
  i := CASE hash WHEN 'sha256' THEN sha256(i) WHEN 'sha384' THEN sha384(i) ELSE sha512(i) END;
  o := o || i;
  RETURN CASE hash WHEN 'sha256' THEN sha256(o) WHEN 'sha384' THEN sha384(o) ELSE sha512(o) END;
END $f$;
CREATE FUNCTION @extschema@.url_encode(data bytea) RETURNS text LANGUAGE sql IMMUTABLE
  AS $f$ SELECT translate(encode(data, 'base64'), E'+/=\n', '-_') $f$;
CREATE FUNCTION @extschema@.algorithm_sign(signables text, secret text, algorithm text)
RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT @extschema@.url_encode(@extschema@.hmac_standin(convert_to(signables, 'utf8'),
         convert_to(secret, 'utf8'), CASE algorithm WHEN 'HS256' THEN 'sha256'
         WHEN 'HS384' THEN 'sha384' WHEN 'HS512' THEN 'sha512' END)) $f$;
CREATE FUNCTION @extschema@.sign(payload json, secret text, algorithm text DEFAULT 'HS256')
RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT s || '.' || @extschema@.algorithm_sign(s, secret, algorithm) FROM (SELECT
    @extschema@.url_encode(convert_to('{"alg":"' || algorithm || '","typ":"JWT"}', 'utf8'))
    || '.' || @extschema@.url_encode(convert_to(payload::text, 'utf8')) AS s) x $f$;
CREATE FUNCTION @extschema@.verify(token text, secret text, algorithm text DEFAULT 'HS256')
RETURNS TABLE(header json, payload json, valid boolean) LANGUAGE sql IMMUTABLE AS $f$
  SELECT NULL::json, NULL::json,
         split_part(token, '.', 3) = @extschema@.algorithm_sign(split_part(token, '.', 1)
           || '.' || split_part(token, '.', 2), secret, algorithm) $f$;
"""
GUIDE = re.compile(r"^## Migrating from pgjwt\n(.*?)^## ", re.M | re.S)
BLOCK = re.compile(r"^ *```plpgsql\n(.*?)^ *```", re.M | re.S)


def test_the_readme_migration_guide_moves_pgjwt_users_over(cluster, tmp_path):
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")) as f:
        guide = GUIDE.search(f.read()).group(1)
    find, swap, check = [textwrap.dedent(b) for b in BLOCK.findall(guide)]
    ext = os.path.join(pg_sharedir(cluster), "extension")
    files = {os.path.join(ext, "pgjwt.control"): STANDIN_CONTROL,
             os.path.join(ext, "pgjwt--0.2.0.sql"): STANDIN_SQL}
    assert not any(os.path.exists(p) for p in files), "a real pgjwt is installed here"
    try:
        for path, text in files.items():
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o644)
        cluster.createdb("guide")
        run = lambda sql: cluster.psql(sql, db="guide")  # noqa: E731
        run("""CREATE SCHEMA extensions; CREATE EXTENSION pgjwt SCHEMA extensions;
CREATE FUNCTION public.login_token(who text) RETURNS text LANGUAGE plpgsql
SET search_path = extensions, public AS $$
BEGIN RETURN sign(json_build_object('role', 'web_user', 'sub', who), 'reallyreallyreallyreallyverysafe'); END $$;""")
        before = run("SELECT public.login_token('ada')").out
        assert before == pgjwt_sign('{"role" : "web_user", "sub" : "ada"}', "reallyreallyreallyreallyverysafe")
        # step 1 finds the function that calls sign()
        assert "login_token(text)" in run(find).out
        # step 3 swaps the extensions in one transaction
        run(swap)
        assert run("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension "
                   "WHERE extname LIKE 'pg%jwt%'").out == "pgrst_jwt,pgrst_jwt_pgjwt"
        # step 4, and the promise: same tokens from the same function, old tokens verify
        assert run(check).out == "t"
        assert run("SELECT public.login_token('ada')").out == before
        assert run(f"SELECT valid FROM extensions.verify({literal(before)}, "
                   "'reallyreallyreallyreallyverysafe')").out == "t"
    finally:
        for path in files:
            if os.path.exists(path):
                os.remove(path)
        cluster.dropdb("guide")


def pg_sharedir(cluster) -> str:
    import subprocess
    return subprocess.run([os.path.join(cluster.bin, "pg_config"), "--sharedir"],
                          capture_output=True, text=True, check=True).stdout.strip()
