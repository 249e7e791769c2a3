"""Attack: SQL hijacking through the caller's search_path (issue 7, finding 1).

mallory (LOGIN, not superuser) owns schema ``evil`` and plants functions, function-style
casts, operators, catalog-named views and tables there (see attack_support.plant_sql):
each records that it fired (a WARNING, a row in ``evil.fired``) and tries ``ALTER ROLE
mallory SUPERUSER``. Every function of the extension is then called, each in a NEW
session (cold per-backend cache), through every entry path: direct, inside a SECURITY
DEFINER function, in parallel workers, as a victim with mallory's objects in ``public``,
and by a superuser running set_pgrst_secret_from_env() with mallory's schema first.
Nothing planted may fire, mallory must stay an ordinary role, the token mallory signs
with the secret she planted must be refused, and the stored secret must still be used.
"""

from __future__ import annotations

import re

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from attack_support import (FIRED_MARK, FIRED_TABLE_SQL, ensure_roles, plant_sql, setup_db,
                            temp_table_sql)
from cluster import Cluster, literal

SECRET = "hijack-suite-real-secret-0123456789-abcdefgh"
MALLORY_SECRET = "mallory-planted-secret-0123456789-0123456789"
OTHER = "caller-given-secret-0123456789-0123456789-zz"
GOOD = pyjwt.encode({"role": "web_user"}, SECRET, algorithm="HS256")
FORGED = pyjwt.encode({"role": "postgres"}, MALLORY_SECRET, algorithm="HS256")
OTHER_TOKEN = pyjwt.encode({"role": "web_user"}, OTHER, algorithm="HS256")
EC_JWK = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()))
CLAIMS = literal('{"role":"web_user"}')
SAFE = "SET search_path = pg_catalog, pg_temp;\n"


def sample_calls() -> dict:
    """regprocedure (as printed under search_path = pg_catalog) -> [(tag, expression)]."""
    g, f, o, k = literal(GOOD), literal(FORGED), literal(OTHER_TOKEN), literal(OTHER)
    return {
        "extensions.jwt_check(text,text,text,integer,text)": [
            ("check_good", f"(extensions.jwt_check({g})).valid"),
            ("check_forged", f"(extensions.jwt_check({f})).valid"),
            ("check_given", f"(extensions.jwt_check({o}, {k})).valid")],
        "extensions.jwt_claim(text)": [("claim", "extensions.jwt_claim('role')")],
        "extensions.jwt_claims()": [("claims", "extensions.jwt_claims() ->> 'role'")],
        "extensions.jwt_decode(text)": [("decode", f"(extensions.jwt_decode({g})).claims ->> 'role'")],
        "extensions.jwt_generate_key(text,text)": [
            ("genkey", "extensions.jwt_generate_key('EC') ->> 'kty'")],
        "extensions.jwt_public_jwks()": [("jwks_conf", "extensions.jwt_public_jwks()")],
        "extensions.jwt_public_jwks(text)": [
            ("jwks_given", f"extensions.jwt_public_jwks({literal(EC_JWK)}) -> 'keys' -> 0 ->> 'kty'")],
        "extensions.jwt_role(jsonb)": [("role", f"extensions.jwt_role({CLAIMS}::jsonb)")],
        "extensions.jwt_secret_status()": [
            ("status", "(extensions.jwt_secret_status()).configured"),
            ("status_source", "(extensions.jwt_secret_status()).source")],
        "extensions.jwt_sign(json)": [("sign_json", f"extensions.jwt_sign({CLAIMS}::json)")],
        "extensions.jwt_sign(jsonb)": [("sign_jsonb", f"extensions.jwt_sign({CLAIMS}::jsonb)")],
        "extensions.jwt_sign(text)": [("sign_text", f"extensions.jwt_sign({CLAIMS}::text)")],
        "extensions.jwt_sign(json,text,text)": [
            ("sign_given_json", f"extensions.jwt_sign({CLAIMS}::json, {k}, 'HS256')")],
        "extensions.jwt_sign(jsonb,text,text)": [
            ("sign_given_jsonb", f"extensions.jwt_sign({CLAIMS}::jsonb, {k})")],
        "extensions.jwt_sign(text,text,text)": [
            ("sign_given_text", f"extensions.jwt_sign({CLAIMS}::text, {k}, 'HS256')")],
        "extensions.jwt_verify(text,text,text,integer,text)": [
            ("verify_given", f"extensions.jwt_verify({o}, {k}) ->> 'role'")],
        "extensions.jwt_verify(text)": [
            ("verify_good", f"extensions.jwt_verify({g}) ->> 'role'"),
            ("verify_forged", f"extensions.jwt_verify({f}) ->> 'role'")],
        # writes the table, which also runs the trigger function below
        "extensions.set_pgrst_secret_from_env(text,boolean,name)": [
            ("set_env", "extensions.set_pgrst_secret_from_env()")],
        # a trigger function: cannot be called directly; it runs through set_env above
        "extensions.pgrst_jwt_secret_changed()": [
            ("trigger", "extensions.pgrst_jwt_secret_changed()")],
        "extensions.pgrst_jwt_secret_write_guard()": [
            ("write_guard", "extensions.pgrst_jwt_secret_write_guard()")],
        "extensions.pgrst_jwt_secret_replicated()": [
            ("replicated", "extensions.pgrst_jwt_secret_replicated()")],
    }


def checked_calls(c, db) -> list:
    """The sample calls, after asserting they cover every function of the extension."""
    procs = c.psql(SAFE + """
SELECT p.oid::pg_catalog.regprocedure FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) d.objid
 WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
   AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
   AND d.deptype OPERATOR(pg_catalog.=) 'e'
   AND d.refobjid OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_extension
                                           WHERE extname OPERATOR(pg_catalog.=) 'pgrst_jwt')""",
                   db=db).lines
    calls = sample_calls()
    missing = sorted(set(procs) - set(calls))
    assert procs and not missing, f"extension functions without a hijack test call: {missing}"
    return [tc for p in procs for tc in calls[p]]


@pytest.fixture(scope="module")
def hc():
    c = Cluster(env={"JWT_SECRET": SECRET}, conf={"max_worker_processes": 16})
    c.start()
    ensure_roles(c, "mallory", "alice", "authenticator")
    ensure_roles(c, "signer", login=False)
    for db, where in (("hijack", "evil"), ("victim", "public")):
        setup_db(c, db)
        c.psql(f"""CREATE SCHEMA evil AUTHORIZATION mallory;
{FIRED_TABLE_SQL}
GRANT CREATE ON SCHEMA public TO mallory;
GRANT EXECUTE ON FUNCTION extensions.jwt_sign(jsonb) TO signer;
CREATE TABLE public.par AS SELECT 1 AS i;
GRANT SELECT ON public.par TO PUBLIC;
CREATE FUNCTION public.sd_run(q text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER PARALLEL SAFE
AS $$ DECLARE r text; BEGIN EXECUTE q INTO r; RETURN r; END $$;
ALTER FUNCTION public.sd_run(text) OWNER TO signer;""", db=db)
        c.psql(plant_sql(where, MALLORY_SECRET), db=db, user="mallory")
    # the traps are live: unqualified calls resolve to the planted objects
    for db, path in (("hijack", "evil, pg_catalog"), ("victim", "public")):
        r = c.psql(f"SET search_path = {path};\n"
                   "SELECT format('%I.%I', 'a'::name, 'b'::name), 1::oid = 1::oid;", db=db, user="alice")
        assert r.stderr.count(FIRED_MARK) == (2 if db == "hijack" else 1), r.stderr
        c.psql("TRUNCATE evil.fired", db=db)
    yield c
    c.cleanup()


def run_calls(c, db, user, preamble, wrap, calls):
    """Each call in a NEW session (\\c); returns ({tag: output}, stderr)."""
    lines = ["\\set ON_ERROR_STOP off", "\\set VERBOSITY verbose"]
    for tag, expr in calls:
        lines += ["\\c", preamble, wrap(tag, expr)]
    r = c.psql("\n".join(lines) + "\n", db=db, user=user, check=False, timeout=180)
    outs = {}
    for line in r.lines:
        m = re.match(r"^OUT:([a-z_]+):(.*)$", line)
        if m:
            outs[m.group(1)] = m.group(2)
    return outs, r.stderr


def direct(tag, expr):
    return f"SELECT pg_catalog.concat('OUT:{tag}:', ({expr})::text);"


def via_definer(tag, expr):
    inner = literal(f"SELECT ({expr})::text")
    return f"SELECT pg_catalog.concat('OUT:{tag}:', public.sd_run({inner}));"


def in_workers(tag, expr):
    return f"SELECT pg_catalog.concat('OUT:{tag}:', ({expr})::text) FROM public.par;"


def mallory_preamble(path, extra=""):
    return (temp_table_sql(MALLORY_SECRET) + "\nSET request.jwt.claims = " + CLAIMS + ";\n"
            + extra + f"SET search_path = {path};")


PATHS = ["evil, pg_catalog, extensions", "evil"]


def assert_nothing_fired(c, db, stderr, log_from, who):
    fired = sorted(set(c.psql(SAFE + "SELECT who || ' ran ' || what FROM evil.fired", db=db).lines))
    warnings = sorted({line for line in stderr.splitlines() if FIRED_MARK in line})
    log = [line for line in c.log_text()[log_from:].splitlines() if FIRED_MARK in line]
    su = c.one(SAFE + "SELECT rolsuper FROM pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'mallory'")
    assert not fired and not warnings and not log, (
        f"{who}: mallory's planted objects ran inside the extension: {fired or warnings or log[:5]}")
    assert su == "f", f"{who}: mallory became SUPERUSER through a planted object"


def assert_loaded(outs, who, can_sign):
    """The configured-secret functions used the stored secret (not mallory's)."""
    assert "verify_forged" not in outs, (
        f"{who}: jwt_verify(token) accepted a token signed with mallory's planted secret")
    assert outs.get("check_forged") == "false", (
        f"{who}: jwt_check(token) did not refuse mallory's token: {outs.get('check_forged')}")
    assert outs.get("verify_good") == "web_user", f"{who}: jwt_verify(token) did not load the stored secret"
    assert outs.get("check_good") == "true", f"{who}: jwt_check(token) did not load the stored secret"
    assert outs.get("status") == "true" and outs.get("status_source") == "extension table", (
        f"{who}: jwt_secret_status() did not see the stored secret: {outs}")
    assert outs.get("jwks_conf") == '{"keys": []}', f"{who}: jwt_public_jwks(): {outs.get('jwks_conf')}"
    if can_sign:
        token = outs.get("sign_jsonb")
        assert token, f"{who}: jwt_sign(claims) failed: {outs}"
        assert pyjwt.decode(token, SECRET, algorithms=["HS256"])["role"] == "web_user"
    else:
        assert "sign_jsonb" not in outs, f"{who}: jwt_sign(claims) signed for a role not granted it"


@pytest.fixture
def clean(hc):
    for db in ("hijack", "victim"):
        hc.psql(SAFE + "TRUNCATE evil.fired", db=db)
    yield hc
    hc.psql("ALTER ROLE mallory NOSUPERUSER")
    hc.psql("ALTER ROLE authenticator RESET ALL")


def test_direct_calls_by_mallory(clean):
    c = clean
    calls = checked_calls(c, "hijack")
    for path in PATHS:
        log_from = len(c.log_text())
        outs, err = run_calls(c, "hijack", "mallory", mallory_preamble(path), direct, calls)
        who = f"direct call, search_path = {path}"
        assert_nothing_fired(c, "hijack", err, log_from, who)
        assert_loaded(outs, who, can_sign=False)


def test_inside_a_security_definer_function(clean):
    c = clean
    calls = checked_calls(c, "hijack")
    for path in PATHS:
        log_from = len(c.log_text())
        outs, err = run_calls(c, "hijack", "mallory", mallory_preamble(path), via_definer, calls)
        who = f"SECURITY DEFINER (owner granted jwt_sign), search_path = {path}"
        assert_nothing_fired(c, "hijack", err, log_from, who)
        assert_loaded(outs, who, can_sign=True)


def parallel_settings(c) -> str:
    v = int(c.one("SHOW server_version_num"))
    name = "debug_parallel_query" if v >= 160000 else "force_parallel_mode"
    return (f"SET {name} = on; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;\n"
            "SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;\n")


def test_in_parallel_workers(clean):
    c = clean
    par = parallel_settings(c)
    plan = c.psql(par + "EXPLAIN (COSTS OFF) SELECT extensions.jwt_verify('x') FROM public.par;",
                  db="hijack", user="mallory").stdout
    assert "Gather" in plan, f"the parallel path does not run in workers: {plan}"
    calls = checked_calls(c, "hijack")
    for path in PATHS:
        for wrap, can_sign in ((in_workers, False),
                               (lambda t, e: via_definer(t, e).rstrip(";") + " FROM public.par;", True)):
            log_from = len(c.log_text())
            outs, err = run_calls(c, "hijack", "mallory", mallory_preamble(path, par), wrap, calls)
            who = f"parallel workers ({'definer' if can_sign else 'direct'}), search_path = {path}"
            assert_nothing_fired(c, "hijack", err, log_from, who)
            assert_loaded(outs, who, can_sign=can_sign)


def test_victims_with_the_default_search_path(clean):
    """mallory plants in public; alice, then a superuser, call everything."""
    c = clean
    calls = checked_calls(c, "victim")
    pre = "SET request.jwt.claims = " + CLAIMS + ";"
    for user, can_sign in (("alice", False), ("postgres", True)):
        log_from = len(c.log_text())
        outs, err = run_calls(c, "victim", user, pre, direct, calls)
        who = f"victim {user} with mallory's objects in public"
        assert_nothing_fired(c, "victim", err, log_from, who)
        assert_loaded(outs, who, can_sign=can_sign)
    assert c.one(SAFE + "SELECT count(*) FROM public.pgrst_jwt_secret", db="victim") == "1"


@pytest.mark.parametrize("path", ["evil, public", "evil, pg_catalog, public"])
def test_superuser_sets_the_secret_with_a_hostile_search_path(clean, path):
    c = clean
    log_from = len(c.log_text())
    r = c.psql(f"\\set VERBOSITY verbose\nSET search_path = {path};\n"
               "SELECT extensions.set_pgrst_secret_from_env();\n"
               "SELECT extensions.set_pgrst_secret_from_env('JWT_SECRET', false, 'authenticator');\n"
               "SELECT extensions.set_pgrst_secret_from_env(postgrest_role => 'authenticator');\n",
               db="hijack", check=False)
    who = f"superuser set_pgrst_secret_from_env() with search_path = {path}"
    assert_nothing_fired(c, "hijack", r.stderr, log_from, who)
    assert r.returncode == 0, f"{who} failed: {r.stderr}"
    assert c.one(SAFE + "SELECT count(*) || ':' || min(secret) FROM evil.pgrst_jwt_secret",
                 db="hijack") == f"1:{MALLORY_SECRET}", f"{who} wrote into mallory's table"
    outs, err = run_calls(c, "hijack", "alice", "", direct,
                          [tc for tc in sample_calls()["extensions.jwt_verify(text)"]])
    assert outs.get("verify_good") == "web_user" and "verify_forged" not in outs, (
        f"{who}: the stored secret is not the environment's: {outs} {err}")
    settings = c.one(SAFE + "SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting "
                     "WHERE setrole OPERATOR(pg_catalog.=) 'authenticator'::regrole")
    assert f"pgrst.jwt_secret={SECRET}" in settings, f"{who}: role settings not written: {settings}"
