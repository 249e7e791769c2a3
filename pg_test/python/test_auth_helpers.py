"""pgrst_jwt_auth's Supabase helpers (auth.uid(), auth.role(), auth.email(), auth.jwt())
side by side with Supabase's own SQL definitions (pg_test/reference/, verbatim from
github supabase/auth, installed in schema supabase_ref of the same database), over a
matrix of settings states: never set, set empty, set to valid and invalid values, the
legacy per-claim settings first, session-level and transaction-local (as PostgREST sets
them). Results and errors (SQLSTATE and message) must be identical."""

from __future__ import annotations

import itertools

import pytest

from auth_support import setup_auth_db
from cluster import literal

DB = "test_auth_helpers"
FUNCS = ["uid", "role", "email", "jwt"]
UNSET = object()

U1 = "6f1c4b9e-2a3d-4c5e-8f70-91a2b3c4d5e6"
U2 = "0b7e2d4c-1111-4222-8333-944455556666"

CLAIMS_VALUES = [
    UNSET, "", " ", "{}", "null", "[1, 2]", '"text"', "not json", "{",
    f'{{"sub":"{U1}","role":"authenticated","email":"a@example.com"}}',
    f'{{"sub":"{U1.upper()}"}}',
    f'{{"sub":"{{{U1}}}"}}',
    f'{{"sub":"{U1.replace("-", "")}"}}',
    f'{{"sub":" {U1}"}}',
    '{"sub":"not-a-uuid","role":"anon"}',
    '{"sub":null,"role":null,"email":null}',
    '{"sub":123,"role":1.50,"email":true}',
    '{"sub":{"a":1},"role":[1,"x"],"email":{"b":[]}}',
    f'{{"sub":"{U1}","sub":"{U2}"}}',
    '{"sub":"\\u0000"}',
    '{"role":"caf\\u00e9 \\ud83d\\ude00","email":"\u00e9l\u00e8ve@example.com"}',
    '{"role":"","email":""}',
    '  {"role" : "spaced"}  ',
]

LEGACY_VALUES = {
    "request.jwt.claim.sub": [UNSET, "", " ", U2, U2.upper(), "abc"],
    "request.jwt.claim.role": [UNSET, "", "service_role", " "],
    "request.jwt.claim.email": [UNSET, "", "legacy@example.com"],
    "request.jwt.claim": [UNSET, "", '{"sub":"x","legacy":true}', "bad json", "[]"],
}


def states():
    """(legacy settings, claims) combinations: every claims value with the legacy
    settings unset and set empty, and every legacy value with a few claims values."""
    out = []
    for c in CLAIMS_VALUES:
        out.append(({}, c))
        out.append(({k: "" for k in LEGACY_VALUES}, c))
    few = [UNSET, "", CLAIMS_VALUES[9], "not json"]
    for name, values in LEGACY_VALUES.items():
        for v, c in itertools.product(values, few):
            out.append(({name: v}, c))
    return out


@pytest.fixture(scope="module")
def db(cluster):
    setup_auth_db(cluster, DB)
    yield cluster
    cluster.dropdb(DB)


def state_sql(legacy: dict, claims, local: bool) -> str:
    sets = dict((k, v) for k, v in legacy.items() if v is not UNSET)
    if claims is not UNSET:
        sets["request.jwt.claims"] = claims
    flag = "true" if local else "false"
    return "".join(f"SELECT set_config({literal(k)}, {literal(v)}, {flag}) \\g /dev/null\n"
                   for k, v in sets.items())


def compare_sql() -> str:
    rows = []
    for f in FUNCS:
        rows.append(f"SELECT {literal(f)}, eval_text('auth.{f}()'), eval_text('supabase_ref.{f}()');")
    return "\n".join(rows)


def run_state(db, legacy, claims, local):
    sql = state_sql(legacy, claims, local) + compare_sql()
    if local:
        sql = "BEGIN;\n" + sql + "\nCOMMIT;"
    out = db.psql(sql, db=DB).out
    return [line.split("|", 2) for line in out.splitlines()]


@pytest.mark.parametrize("local", [False, True], ids=["session", "transaction-local"])
def test_every_settings_state_matches_supabase(db, local):
    checked = errors = 0
    mismatches = []
    for legacy, claims in states():
        for f, ours, theirs in run_state(db, legacy, claims, local):
            checked += 1
            errors += theirs.startswith("ERROR")
            if ours != theirs:
                mismatches.append((f, legacy, claims, ours, theirs))
    assert not mismatches, "\n".join(map(repr, mismatches[:20]))
    # the matrix exercises values, NULLs and errors alike
    assert checked >= 4 * len(states())
    assert errors > 20


def test_errors_are_supabases(db):
    """The error cases named by the issue: invalid JSON and a sub that is no uuid."""
    cases = [("not json", "uid", "ERROR 22P02: invalid input syntax for type json"),
             ('{"sub":"nope"}', "uid", 'ERROR 22P02: invalid input syntax for type uuid: "nope"'),
             ("not json", "jwt", "ERROR 22P02: invalid input syntax for type json")]
    for claims, f, expected in cases:
        rows = {r[0]: r for r in run_state(db, {}, claims, True)}
        assert rows[f][1] == expected, rows[f]
        assert rows[f][2] == expected, rows[f]


def test_values_in_a_postgrest_like_request(db):
    claims = f'{{"sub":"{U1}","role":"authenticated","email":"a@example.com","aud":"x"}}'
    rows = {r[0]: r[1] for r in run_state(db, {}, claims, True)}
    assert rows["uid"] == U1
    assert rows["role"] == "authenticated"
    assert rows["email"] == "a@example.com"
    assert rows["jwt"] == f'{{"aud": "x", "sub": "{U1}", "role": "authenticated", "email": "a@example.com"}}'


def test_declared_stable_parallel_safe_c_with_search_path_pinned(db):
    got = db.psql("SELECT p.proname, p.provolatile, p.proparallel, l.lanname, p.prosecdef, "
                  "array_to_string(p.proconfig, ',') FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
                  "WHERE p.pronamespace = 'auth'::regnamespace AND p.proname IN "
                  "('uid','role','email','jwt') ORDER BY 1", db=DB).out
    assert got.splitlines() == [f"{f}|s|s|c|f|search_path=pg_catalog" for f in sorted(FUNCS)]


def test_search_path_does_not_matter(db):
    """C functions that run no SQL: a caller's search_path with look-alike objects
    changes nothing (no SET search_path needed; see bench/rls for its per-call cost)."""
    claims = '{"sub":"%s","role":"r"}' % U1
    got = db.psql(f"""
CREATE SCHEMA IF NOT EXISTS lookalike;
CREATE OR REPLACE FUNCTION lookalike.current_setting(text, boolean) RETURNS text
  LANGUAGE sql AS $$ SELECT '{{"sub":"{U2}"}}' $$;
CREATE OR REPLACE FUNCTION lookalike.nullif(text, text) RETURNS text LANGUAGE sql AS $$ SELECT NULL::text $$;
BEGIN;
SELECT set_config('request.jwt.claims', {literal(claims)}, true) \\g /dev/null
SET LOCAL search_path = lookalike, pg_catalog;
SELECT auth.uid(), auth.role();
COMMIT;
""", db=DB).out
    assert got == f"{U1}|r"


def test_usable_by_an_ordinary_role_in_a_policy(db):
    got = db.psql(f"""
DO $$BEGIN CREATE ROLE helper_user NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$;
CREATE TABLE IF NOT EXISTS public.notes (owner uuid, body text);
TRUNCATE public.notes;
INSERT INTO public.notes VALUES ('{U1}', 'mine'), ('{U2}', 'theirs');
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own ON public.notes;
CREATE POLICY own ON public.notes USING (owner = auth.uid());
GRANT SELECT ON public.notes TO helper_user;
BEGIN;
SET LOCAL ROLE helper_user;
SELECT set_config('request.jwt.claims', '{{"sub":"{U1}"}}', true) \\g /dev/null
SELECT string_agg(body, ',') FROM public.notes;
COMMIT;
""", db=DB).out
    assert got == "mine"
