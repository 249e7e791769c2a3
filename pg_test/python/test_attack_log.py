"""Attack: read the secret from the server log, pg_stat_statements or an error message
(issue 7, findings 3 and 9).

A cluster logs everything it can (auto_explain of nested statements with verbose output
and analyze, log_statement = all, debug2, verbose errors, parse/plan dumps, full bound
parameters, pg_stat_statements tracking nested statements) while the secret is configured
from the environment in every form (plain, base64, private JWK Set, also written to
PostgREST's role settings) and used by every function, successfully and not. No 12-character
window of any secret form may appear in the log or in pg_stat_statements. Errors about a
malformed configured secret, and about malformed caller-given keys, never quote it.
"""

from __future__ import annotations

import base64
import json
import os
import random
import string

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from attack_support import Session, b64url, ensure_roles, leaked, setup_db
from cluster import Cluster, PG_BIN, literal

rng = random.SystemRandom()


def marker(n=40, alphabet=string.ascii_letters + string.digits):
    return "".join(rng.choice(alphabet) for _ in range(n))


PLAIN = marker(24) + "!." + marker(24)  # not valid base64: read as base64 it is refused
RAW = os.urandom(40)
B64 = base64.b64encode(RAW).decode()
EC_PRIV = dict(json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()))), kid="ec-log")
RSA_PRIV = dict(json.loads(RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048))),
                kid="rsa-log")
JWKS = json.dumps({"keys": [EC_PRIV, RSA_PRIV]})


def secret_forms() -> dict:
    """name -> text that must never be seen (each checked by 12-character windows)."""
    forms = {"plain secret": PLAIN, "plain secret, hex": PLAIN.encode().hex(),
             "plain secret, base64": base64.b64encode(PLAIN.encode()).decode(),
             "base64 secret": B64, "base64 secret, base64url": b64url(RAW), "base64 secret, hex": RAW.hex()}
    for kid, jwk in (("EC", EC_PRIV), ("RSA", RSA_PRIV)):
        for m in ("d", "p", "q", "dp", "dq", "qi"):
            if m in jwk:
                forms[f"{kid} private member {m}"] = jwk[m]
                forms[f"{kid} private member {m}, hex"] = base64.urlsafe_b64decode(jwk[m] + "==").hex()
    return forms


MARKS = {v: marker(40) for v in ("KTY", "CRV", "ALG", "USE", "JWKS_KTY", "RSA_N")}
MARKS["PEM"] = marker(24, string.ascii_uppercase)
XY = b64url(b"\x01" * 32)


def malformed(m) -> dict:
    return {
        "KTY": '{"kty":"%s","k":"AAAA"}' % m["KTY"],
        "CRV": '{"kty":"EC","crv":"%s","x":"%s","y":"%s"}' % (m["CRV"], XY, XY),
        "ALG": '{"kty":"oct","k":"AAAA","alg":"%s"}' % m["ALG"],
        "USE": '{"kty":"oct","k":"AAAA","use":"%s"}' % m["USE"],
        "JWKS_KTY": '{"keys":[{"kty":"%s","k":"AAAA"}]}' % m["JWKS_KTY"],
        "RSA_N": '{"kty":"RSA","n":"%s","e":"AQAB"}' % m["RSA_N"],
        "PEM": "-----BEGIN %s-----\nAAAA\n-----END %s-----\n" % (m["PEM"], m["PEM"]),
    }


ENV = {"JWT_SECRET": PLAIN, "JWT_SECRET_B64": B64, "JWT_SECRET_JWKS": JWKS}
ENV.update({f"JWT_BAD_{k}": v for k, v in malformed(MARKS).items()})
PSS = os.path.exists(os.path.join(os.path.dirname(PG_BIN), "lib", "pg_stat_statements.so"))
CONF = {
    "shared_preload_libraries": "auto_explain" + (",pg_stat_statements" if PSS else ""),
    "auto_explain.log_min_duration": 0, "auto_explain.log_nested_statements": True,
    "auto_explain.log_verbose": True, "auto_explain.log_analyze": True,
    "log_statement": "all", "log_min_messages": "debug2", "log_error_verbosity": "verbose",
    "log_min_error_statement": "debug2", "log_parameter_max_length": -1,
    "log_parameter_max_length_on_error": -1, "debug_print_parse": True,
    "debug_print_rewritten": True, "debug_print_plan": True,
}
if PSS:
    CONF.update({"compute_query_id": "on", "pg_stat_statements.track": "all",
                 "pg_stat_statements.track_utility": True})


@pytest.fixture(scope="module")
def lc():
    c = Cluster(env=ENV, conf=CONF)
    c.start()
    ensure_roles(c, "anon", "authenticator")
    ensure_roles(c, "login_owner", login=False)
    setup_db(c, "logs", store_secret=False)
    c.psql(("CREATE EXTENSION pg_stat_statements;" if PSS else "") + """
GRANT EXECUTE ON FUNCTION extensions.jwt_sign(jsonb) TO login_owner;
CREATE FUNCTION public.sign_helper(c jsonb) RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$ BEGIN RETURN extensions.jwt_sign(c); END $$;
ALTER FUNCTION public.sign_helper(jsonb) OWNER TO login_owner;""", db="logs")
    yield c
    c.cleanup()


def exercise(c, var, b64, key, alg, role=None):
    """Configure from ``var`` and use every function, as a superuser and as anon."""
    with Session(c, "logs") as su:
        for other in ("SELECT extensions.set_pgrst_secret_from_env('JWT_SECRET_UNSET_HERE');",
                      f"SELECT extensions.set_pgrst_secret_from_env({literal(var)}, {'false' if b64 else 'true'});"):
            su.run(other)  # fails, or (base64 text read as plain) is replaced just below
        args = f"{literal(var)}, {'true' if b64 else 'false'}" + (f", {literal(role)}" if role else "")
        su.ok(f"SELECT extensions.set_pgrst_secret_from_env({args});")
        signed = su.value("SELECT public.sign_helper('{\"role\":\"web_user\",\"exp\":4102444800}'::jsonb);")
    claims = pyjwt.decode(signed, key, algorithms=[alg]) if alg.startswith("HS") else None
    good = signed
    expired = pyjwt.encode({"role": "web_user", "exp": 1}, key, algorithm=alg) if claims else good + "x"
    with Session(c, "logs", "anon") as s:
        assert s.value(f"SELECT extensions.jwt_verify({literal(good)}) ->> 'role';") == "web_user"
        for sql in (f"SELECT * FROM extensions.jwt_check({literal(good)});",
                    f"SELECT * FROM extensions.jwt_check({literal(expired)});",
                    f"SELECT extensions.jwt_verify({literal(expired)});",
                    f"SELECT extensions.jwt_verify({literal(good + 'A')});",
                    "SELECT extensions.jwt_verify('a.b.c');",
                    "SELECT * FROM extensions.jwt_secret_status();",
                    "SELECT extensions.jwt_public_jwks();",
                    "SELECT extensions.jwt_sign('{\"role\":\"postgres\"}'::jsonb);",
                    "SELECT extensions.set_pgrst_secret_from_env();"):
            s.run(sql)
    if role:
        c.psql(f"ALTER ROLE {role} RESET ALL")


def test_the_secret_never_reaches_the_log_or_pg_stat_statements(lc):
    ec_public = pyjwt.PyJWK(EC_PRIV).key.public_key()
    for role in (None, "authenticator"):
        exercise(lc, "JWT_SECRET", False, PLAIN, "HS256", role)
        exercise(lc, "JWT_SECRET_B64", True, RAW, "HS256", role)
        exercise(lc, "JWT_SECRET_JWKS", False, ec_public, "ES256", role)
    log = lc.log_text()
    assert "set_pgrst_secret_from_env" in log and "Query Text" in log, "the logging under test is not on"
    stats = lc.one("SELECT string_agg(query, E'\\n') FROM pg_stat_statements", db="logs") if PSS else ""
    for name, value in secret_forms().items():
        w = leaked(log, value)
        assert w is None, f"the server log holds part of the {name}: {w!r}"
        w = leaked(stats, value)
        assert w is None, f"pg_stat_statements holds part of the {name}: {w!r}"


def assert_not_quoted(text, mark, where):
    w = leaked(text, mark, 8)
    assert w is None, f"{where} quotes part of the secret text: {w!r}"


@pytest.mark.parametrize("which", sorted(malformed(MARKS)))
def test_errors_about_the_configured_secret_never_quote_it(lc, which):
    var, mark = f"JWT_BAD_{which}", MARKS[which]
    log_from = len(lc.log_text())
    with Session(lc, "logs") as s:
        o = s.run(f"SELECT extensions.set_pgrst_secret_from_env({literal(var)});")
    assert o.error is not None, f"{var} was accepted as a secret"
    assert (o.error.sqlstate, o.error.message) == ("22023", "Invalid JWT key"), str(o)
    assert_not_quoted(o.stderr, mark, f"the error for {var} (message, DETAIL, HINT)")
    assert_not_quoted(lc.log_text()[log_from:], mark, f"the server log after {var}")


CALLER = {k: marker(40 if k != "PEM" else 24, string.ascii_letters + string.digits if k != "PEM"
                    else string.ascii_uppercase) for k in MARKS}
TOKEN = pyjwt.encode({"role": "x"}, "caller-key-test-secret-0123456789-abcdef", algorithm="HS256")


@pytest.mark.parametrize("which", sorted(malformed(CALLER)))
def test_errors_about_a_caller_given_key_never_quote_it(lc, which):
    text, mark = malformed(CALLER)[which], CALLER[which]
    with Session(lc, "logs", "anon") as s:
        for sql in (f"SELECT extensions.jwt_verify({literal(TOKEN)}, {literal(text)});",
                    f"SELECT valid FROM extensions.jwt_check({literal(TOKEN)}, {literal(text)});",
                    f"SELECT extensions.jwt_public_jwks({literal(text)});",
                    f"SELECT extensions.jwt_sign('{{}}'::jsonb, {literal(text)}, NULL);"):
            o = s.run(sql)
            if "jwt_verify" in sql:
                assert o.error is not None, f"{which}: a token verified with a malformed key: {o}"
            assert_not_quoted(o.stderr, mark, f"the error of {sql[:40]}... for a {which} key")
