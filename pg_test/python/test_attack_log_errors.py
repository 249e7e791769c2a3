"""Attack: a secret or token reaches the server log through an error's STATEMENT line or
the bound parameters of a failing call (issue 16).

With ``log_min_error_statement = error`` PostgreSQL logs the statement text of every
failing statement; with ``log_parameter_max_length_on_error`` it adds the bound parameters
(``CONTEXT: unnamed portal with parameters: $1 = …``). Every error of every function of
both extensions (bad base64, bad JSON, bad time claims, unknown algorithms, a cancel by
``statement_timeout`` in the middle of signing or verifying) must leave neither the secret
literal nor the parameters in the log, in a session that has used the extension. With the
library preloaded, also when the failing statement is a session's first.
"""

from __future__ import annotations

import os
import subprocess

import jwt as pyjwt
import pytest

from attack_support import Session, leaked, setup_db
from cluster import PG_BIN, Cluster, literal

SECRET = "logerr-suite-SECRET-literal-QWERTYUIOP-zxcvbnm"
TOKEN_SECRET = "logerr-suite-token-key-0123456789-abcdefghij"
GOOD = pyjwt.encode({"role": "web_user", "mark": "TOKENMARK-0123456789-abcdef"}, TOKEN_SECRET,
                    algorithm="HS256")
S = literal(SECRET)
CONF = {"log_min_error_statement": "error", "log_parameter_max_length_on_error": -1,
        "log_error_verbosity": "verbose", "log_min_messages": "warning"}

# name -> a failing statement that carries the secret literal (or a token)
CASES = {
    "jwt_sign unknown algorithm": f"SELECT extensions.jwt_sign('{{\"a\":1}}', {S}, 'HS999');",
    "jwt_sign bad json text": f"SELECT extensions.jwt_sign('{{\"a\":', {S});",
    "jwt_sign bad jsonb literal": f"SELECT extensions.jwt_sign('{{\"a\":'::jsonb, {S});",
    "jwt_sign bad time claim": f"SELECT extensions.jwt_sign('{{\"exp\":\"soon\"}}', {S});",
    "jwt_sign short secret": f"SELECT extensions.jwt_sign('{{}}', 'x' || {S} || 'x', 'HS999');",
    "jwt_verify malformed": f"SELECT extensions.jwt_verify('a.b', {S});",
    "jwt_verify bad base64": f"SELECT extensions.jwt_verify('###.###.###', {S});",
    "jwt_verify bad signature": f"SELECT extensions.jwt_verify({literal(GOOD)}, {S});",
    "jwt_verify configured": f"SELECT extensions.jwt_verify({literal(GOOD)});",
    "jwt_check unknown algorithm": f"SELECT * FROM extensions.jwt_check('a.b.c', {S}, 'HS999');",
    "jwt_public_jwks bad key": f"SELECT extensions.jwt_public_jwks('{{\"kty\":\"oct\",\"k\":' || {S});",
    "pgjwt sign unknown algorithm": f"SELECT extensions.sign('{{\"a\":1}}'::json, {S}, 'HS999');",
    "pgjwt sign empty algorithm": f"SELECT extensions.sign('{{\"a\":1}}'::json, {S}, '');",
    "pgjwt sign bad json literal": f"SELECT extensions.sign('{{\"a\":'::json, {S});",
    "pgjwt verify bad base64": f"SELECT * FROM extensions.verify('%%%.%%%.%%%', {S});",
    "pgjwt verify bad json": f"SELECT * FROM extensions.verify('e30.eyJh.x', {S});",
    "pgjwt verify bad time claims": "SELECT * FROM extensions.verify("
        + literal(pyjwt.encode({"nbf": 20, "exp": 10}, SECRET, algorithm="HS256")) + f", {S});",
    "pgjwt verify unknown algorithm": f"SELECT * FROM extensions.verify({literal(GOOD)}, {S}, 'HS999');",
    "error after the call": f"SELECT extensions.jwt_sign('{{}}', {S})::int;",
}
# long work cancelled by statement_timeout, inside the call (each row is a new call)
CANCELS = {
    "cancel while signing": "SET statement_timeout = '300ms';\n"
        f"SELECT count(extensions.jwt_sign(jsonb_build_object('i', g), {S})) FROM generate_series(1, 100000000) g;",
    "cancel while verifying": "SET statement_timeout = '300ms';\n"
        f"SELECT count(*) FROM generate_series(1, 100000000) g WHERE (SELECT valid FROM "
        f"extensions.jwt_check({literal(GOOD)} || repeat(' ', g % 2), {S}));",
    "cancel in the drop-in": "SET statement_timeout = '300ms';\n"
        f"SELECT count(extensions.sign(json_build_object('i', g), {S})) FROM generate_series(1, 100000000) g;",
}


def make(preload):
    conf = dict(CONF, **({"shared_preload_libraries": "pgrst_jwt"} if preload else {}))
    c = Cluster(env={"JWT_SECRET": TOKEN_SECRET + "-other"}, conf=conf)
    c.start()
    setup_db(c, "logerr")
    c.psql("CREATE EXTENSION pgrst_jwt_pgjwt SCHEMA extensions;", db="logerr")
    return c


@pytest.fixture(scope="module")
def lc():
    c = make(False)
    yield c
    c.cleanup()


def assert_clean(log, what, token=True):
    for value, name in ((SECRET, "secret"), (GOOD, "token"))[:2 if token else 1]:
        w = leaked(log, value, 16)
        assert w is None, f"{what}: the server log holds part of the {name}: {w!r}"


@pytest.mark.parametrize("case", sorted(CASES) + sorted(CANCELS))
def test_no_secret_in_the_log_of_a_failing_call(lc, case):
    sql = CASES.get(case) or CANCELS[case]
    start = len(lc.log_text())
    with Session(lc, "logerr") as s:
        s.ok("SELECT extensions.jwt_decode(" + literal(GOOD) + ");")  # the session has used it
        o = s.run(sql)
    assert o.error is not None, f"{case}: did not fail: {o}"
    if case in CANCELS:
        assert o.error.sqlstate == "57014", f"{case}: {o}"
    log = lc.log_text()[start:]
    assert "ERROR:" in log, f"{case}: nothing was logged"
    # (the cast's own message quotes the token our function returned: PostgreSQL's wording)
    assert_clean(log, case, token=case != "error after the call")


def pgbench_call(c, sql, params):
    """One call through the extended protocol with bound parameters (pgbench -M extended)."""
    script = os.path.join(c.base, "call.sql")
    with open(script, "w") as f:
        f.write(sql + "\n")
    os.chmod(script, 0o644)
    args = [os.path.join(PG_BIN, "pgbench"), "-n", "-M", "extended", "-t", "1", "-h", c.host,
            "-p", str(c.port), "-U", "postgres", "-f", script, "logerr"]
    for k, v in params.items():
        args += ["-D", f"{k}={v}"]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("sql", [
    "SELECT extensions.jwt_verify(:tok, :sec);",
    "SELECT extensions.jwt_sign(:claims, :sec, 'HS999');",
    "SELECT * FROM extensions.verify(:tok, :sec, 'HS999');",
])
def test_no_secret_in_the_parameters_of_a_failing_call(lc, sql):
    start = len(lc.log_text())
    p = pgbench_call(lc, sql, {"tok": "a.b", "sec": SECRET, "claims": '{"a":1}'})
    log = lc.log_text()[start:]
    assert "ERROR:" in log, f"the call did not fail: {p.stdout}{p.stderr}"
    assert_clean(log, sql)
    # the parameters line is gone, not only the secret
    assert "with parameters:" not in log, log


def test_parameters_of_other_statements_are_still_logged(lc):
    """The hook is precise: a failing statement of nobody's business keeps its parameters."""
    start = len(lc.log_text())
    pgbench_call(lc, "SELECT 1 / (:n::int - 1);", {"n": "1"})
    log = lc.log_text()[start:]
    assert "division by zero" in log and "with parameters:" in log, log


def test_preloaded_first_statement_of_a_session(fresh_cluster):
    c = make(True)
    try:
        for sql in (CASES["pgjwt sign bad json literal"], CASES["jwt_sign bad jsonb literal"]):
            start = len(c.log_text())
            with Session(c, "logerr") as s:
                o = s.run(sql)
            assert o.error is not None
            assert_clean(c.log_text()[start:], sql)
    finally:
        c.cleanup()
