"""PostgREST's own rules, point by point (issue 18), from its source (src/library/PostgREST/
Auth/Jwt.hs and Config.hs, PostgREST 14+): jwt_verify(token) and the settings read as
PostgREST reads them.

* ``aud`` is type-checked even when ``pgrst.jwt_aud`` is unset (a string or an array of
  strings; ``null`` and ``[]`` allowed), its value only when it is set;
* ``exp``/``nbf``/``iat`` that are ``null`` count as absent (aeson's ``.:?``);
* ``pgrst.jwt_aud`` holding ``:`` must be a URI (PostgREST refuses others at load);
* ``pgrst.jwt_secret_is_base64`` takes PostgREST's boolean spellings only;
* ``pg_settings.boot_val`` of ``pgrst.jwt_role_claim_key`` is ``$.role``;
* the environment variable's bytes are read as they are;
* JWK Sets: a token's ``kid`` selects that key only, without ``kid`` every key of the
  family is tried, in sets mixing oct, RSA, EC and OKP keys.
"""

from __future__ import annotations

import base64
import json

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from attack_support import b64url
from cluster import literal

SECRET = "postgrest-rules-secret-0123456789-abcdefgh"
AUD_TYPE = "The JWT 'aud' claim must be a string or an array of strings"


@pytest.fixture(scope="module")
def db(cluster):
    cluster.psql("DROP DATABASE IF EXISTS rules WITH (FORCE); CREATE DATABASE rules;")
    cluster.psql("CREATE EXTENSION pgrst_jwt;", db="rules")
    yield cluster
    cluster.dropdb("rules")


def verify(c, claims, aud_setting=None):
    token = pyjwt.encode(claims, SECRET, algorithm="HS256")
    pre = f"SET pgrst.jwt_aud = {literal(aud_setting)}; " if aud_setting else ""
    return c.psql(f"\\set VERBOSITY verbose\n{pre}SELECT jwt_verify({literal(token)}, {literal(SECRET)}) IS NOT NULL",
                  db="rules", check=False)


@pytest.mark.parametrize("aud", [1, {"a": 1}, ["api", 1], True, 1.5])
def test_aud_of_the_wrong_type_is_refused_without_a_configured_audience(db, aud):
    r = verify(db, {"role": "x", "aud": aud})
    e = r.error()
    assert e is not None and (e.sqlstate, e.message) == ("28000", AUD_TYPE), r.stdout + r.stderr


@pytest.mark.parametrize("aud", ["anything", ["a", "b"], [], None])
def test_aud_of_the_right_type_passes_without_a_configured_audience(db, aud):
    r = verify(db, {"role": "x", "aud": aud})
    assert r.returncode == 0 and r.stdout.strip().endswith("t"), r.stderr


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_null_time_claims_are_absent(db, claim):
    r = verify(db, {"role": "x", claim: None})
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("value,ok", [
    ("my-api", True), ("https://api.example.com", True), ("urn:example:api", True),
    ("foo://%%$$^^.com", False), ("https://x^y", False), ("http://a b", False),
])
def test_jwt_aud_is_what_postgrest_accepts(db, value, ok):
    r = db.psql(f"\\set VERBOSITY verbose\nLOAD 'pgrst_jwt';\n"
                f"ALTER ROLE postgres IN DATABASE rules SET pgrst.jwt_aud = {literal(value)};",
                db="rules", check=False)
    try:
        if ok:
            assert r.returncode == 0, r.stderr
        else:
            e = r.error()
            assert e is not None and e.sqlstate == "22023", r.stderr
            assert "RFC 3986" in (e.detail or ""), e
    finally:
        db.psql("ALTER ROLE postgres IN DATABASE rules RESET pgrst.jwt_aud;", db="rules")


@pytest.mark.parametrize("value,is_base64", [("true", True), ("TRUE", True), ("1", True),
                                          ("false", False), ("0", False)])
def test_secret_is_base64_reads_as_postgrest_reads_it(fresh_cluster, value, is_base64):
    raw = b"\x00\x01binary secret bytes of at least 32\xff"
    c = fresh_cluster(conf={"pgrst.jwt_secret": base64.b64encode(raw).decode(),
                            "pgrst.jwt_secret_is_base64": value})
    c.psql("CREATE EXTENSION pgrst_jwt")
    token = pyjwt.encode({"role": "x"}, raw, algorithm="HS256")
    ok = c.psql(f"SELECT jwt_verify({literal(token)}) ->> 'role'", check=False)
    assert (ok.returncode == 0 and ok.out == "x") == is_base64, ok.stdout + ok.stderr


@pytest.mark.parametrize("value", ["on", "yes", "t", "y", "off"])
def test_secret_is_base64_refuses_spellings_postgrest_reads_otherwise(db, value):
    r = db.psql(f"\\set VERBOSITY verbose\nLOAD 'pgrst_jwt';\nSET pgrst.jwt_secret_is_base64 = {literal(value)};",
                db="rules", check=False)
    e = r.error()
    assert e is not None and e.sqlstate == "22023", r.stderr


def test_a_bad_value_set_before_the_library_loaded_is_discarded(db):
    """A placeholder value PostgREST would read otherwise: refused with a WARNING when the
    library defines the setting, which then reads as unset."""
    r = db.psql("SET pgrst.jwt_secret_is_base64 = 'on'; SET pgrst.jwt_aud = 'foo://%%$$^^.com';"
                "LOAD 'pgrst_jwt'; SELECT current_setting('pgrst.jwt_secret_is_base64') || '|' || "
                "current_setting('pgrst.jwt_aud')", db="rules")
    assert r.out.splitlines()[-1] == "|", r.stdout
    assert r.stderr.count("WARNING") == 2, r.stderr


def test_role_claim_key_boots_as_postgrests_default(db):
    assert db.one("LOAD 'pgrst_jwt'; SELECT boot_val FROM pg_settings WHERE name = 'pgrst.jwt_role_claim_key'",
                  db="rules").splitlines()[-1] == "$.role"


def test_a_binary_environment_variable_gets_its_own_error(fresh_cluster):
    c = fresh_cluster(env={"JWT_BIN": "\udcff\udcfe" + "b" * 40, "JWT_EMPTY": "  "})
    c.psql("CREATE EXTENSION pgrst_jwt")
    e = c.psql("\\set VERBOSITY verbose\nSELECT set_pgrst_secret_from_env('JWT_BIN')", check=False).error()
    assert e is not None and e.sqlstate == "22023", e
    assert e.message == "The environment variable holding the JWT secret is not UTF-8 text", e
    assert "base64" in (e.detail or ""), e
    e = c.psql("\\set VERBOSITY verbose\nSELECT set_pgrst_secret_from_env('JWT_EMPTY')", check=False).error()
    assert e.message == "The environment variable holding the JWT secret is not set or empty", e


def test_jwks_kid_selects_the_key_and_no_kid_tries_every_key_of_the_family(db):
    ec_key, rsa_key = ec.generate_private_key(ec.SECP256R1()), rsa.generate_private_key(65537, 2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    other_ec = ec.generate_private_key(ec.SECP256R1())
    jwks = {"keys": [
        {"kty": "oct", "k": b64url(SECRET.encode()), "kid": "hmac"},
        dict(json.loads(RSAAlgorithm.to_jwk(rsa_key.public_key())), kid="rsa"),
        dict(json.loads(ECAlgorithm.to_jwk(other_ec.public_key())), kid="ec-other"),
        dict(json.loads(ECAlgorithm.to_jwk(ec_key.public_key())), kid="ec"),
        dict(json.loads(OKPAlgorithm.to_jwk(ed_key.public_key())), kid="ed"),
    ]}
    keys = literal(json.dumps(jwks))

    def role(token):
        r = db.psql(f"SELECT jwt_verify({literal(token)}, {keys}) ->> 'role'", db="rules", check=False)
        return r.out if r.returncode == 0 else None

    claims = {"role": "x"}
    assert role(pyjwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "ec"})) == "x"
    assert role(pyjwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "rsa"})) == "x"
    assert role(pyjwt.encode(claims, ed_key, algorithm="EdDSA", headers={"kid": "ed"})) == "x"
    assert role(pyjwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "hmac"})) == "x"
    # without kid: every key of the family is tried (ec-other first, then ec)
    assert role(pyjwt.encode(claims, ec_key, algorithm="ES256")) == "x"
    assert role(pyjwt.encode(claims, SECRET, algorithm="HS256")) == "x"
    # a kid selects that key only: another key of the family that would verify is not tried
    assert role(pyjwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "ec-other"})) is None
    assert role(pyjwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "unknown"})) is None


# PostgREST's docs (references/auth.rst, "JWT Role Extraction"): each RFC 9535 path of
# PostgREST 16, its v14 JSPath form, the claims, and the role
ROLE_PATHS = [
    ("$.postgrest.roles[1]", ".postgrest.roles[1]", {"postgrest": {"roles": ["other", "author"]}}, "author"),
    ("$['https://www.example.com/role'].key", '."https://www.example.com/role".key',
     {"https://www.example.com/role": {"key": "author"}}, "author"),
    ("$.postgrest.roles[?(@ == 'author')]", '.postgrest.roles[?(@ == "author")]',
     {"postgrest": {"roles": ["other", "author"]}}, "author"),
    ("$.postgrest.roles[?search(@, '^au')]", '.postgrest.roles[?(@ ^== "au")]',
     {"postgrest": {"roles": ["other", "author"]}}, "author"),
    ("$.postgrest.roles[?search(@, 'or$')]", '.postgrest.roles[?(@ ==^ "or")]',
     {"postgrest": {"roles": ["other", "author"]}}, "author"),
    ("$.postgrest.roles[?search(@, 'uth')]", '.postgrest.roles[?(@ *== "uth")]',
     {"postgrest": {"roles": ["other", "author"]}}, "author"),
    ("$.role", ".role", {"role": "web_user"}, "web_user"),
]


@pytest.mark.parametrize("new,old,claims,role", ROLE_PATHS)
def test_role_paths_of_both_syntaxes_give_the_same_role(db, new, old, claims, role):
    got = {}
    for path in (new, old):
        r = db.psql(f"LOAD 'pgrst_jwt'; SET pgrst.jwt_role_claim_key = {literal(path)}; "
                    f"SELECT jwt_role({literal(json.dumps(claims))}::jsonb)", db="rules")
        got[path] = (r.out.splitlines()[-1], "deprecated JSPath syntax" in r.stderr)
    assert got[new] == (role, False), got
    assert got[old] == (role, True), got
