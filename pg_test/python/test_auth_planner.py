"""The planner support function of pgrst_jwt_auth's helpers: a bare call in a statement
that reads a relation becomes an initplan (evaluated once per execution), never in a
statement with a volatile function (set_config() could change the settings between
rows), never with pgrst_jwt.auth_initplan off; the value always comes from the settings
of the execution (prepared statements, generic plans, functions). Also: Supabase's
functions swapped in place (renamed and made to call ours), as docs/rls.md describes."""

from __future__ import annotations

import uuid

import pytest

from auth_support import setup_auth_db

DB = "test_auth_planner"
U1, U2 = str(uuid.uuid4()), str(uuid.uuid4())


@pytest.fixture(scope="module")
def db(cluster):
    setup_auth_db(cluster, DB)
    cluster.psql(f"""
DO $$BEGIN CREATE ROLE planner_user NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$;
CREATE TABLE docs AS SELECT g AS id, CASE WHEN g % 10 = 0 THEN '{U1}'::uuid ELSE '{U2}'::uuid END AS owner
  FROM generate_series(1, 1000) g;
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON docs USING (owner = auth.uid());
GRANT SELECT, INSERT ON docs TO planner_user;
""", db=DB)
    yield cluster
    cluster.dropdb(DB)


def q(db, sql, claims_sub=U1, role="planner_user"):
    return db.psql(f"""BEGIN;
SET LOCAL ROLE {role};
SELECT set_config('request.jwt.claims', '{{"sub":"{claims_sub}"}}', true) \\g /dev/null
{sql}
COMMIT;""", db=DB).out


def plan(db, sql, **kw):
    return q(db, "EXPLAIN (COSTS OFF) " + sql, **kw)


def test_bare_policy_becomes_an_initplan(db):
    p = plan(db, "SELECT count(*) FROM docs")
    assert "InitPlan" in p and "auth.uid()" not in p, p
    assert q(db, "SELECT count(*) FROM docs") == "100"
    assert q(db, "SELECT count(*) FROM docs", claims_sub=U2) == "900"


def test_not_in_statements_with_volatile_functions(db):
    p = plan(db, "SELECT count(*), random() FROM docs")
    assert "InitPlan" not in p and "auth.uid()" in p, p
    # settings changed between rows are seen row by row, as with Supabase's helpers
    got = db.psql(f"""SELECT string_agg((auth.uid() = u::uuid)::text, ',')
  FROM (SELECT u, set_config('request.jwt.claims', format('{{"sub":"%s"}}', u), false)
          FROM unnest(ARRAY['{U1}', '{U2}', '{U1}']) u, docs WHERE docs.id = 1) x""", db=DB).out
    assert got == "true,true,true"


def test_setting_off_keeps_calls_per_row(db):
    p = plan(db, "SELECT count(*) FROM docs")
    assert "InitPlan" in p
    p = q(db, "SET LOCAL pgrst_jwt.auth_initplan = off;\nEXPLAIN (COSTS OFF) SELECT count(*) FROM docs")
    assert "InitPlan" not in p and "auth.uid()" in p, p


@pytest.mark.parametrize("initplan", ["on", "off"])
def test_parallel_workers_see_the_leaders_settings(db, initplan):
    """Per-row calls in parallel workers (initplan off), and the initplan's value passed
    to them (on), give the leader's result."""
    got = q(db, f"""SET LOCAL pgrst_jwt.auth_initplan = {initplan};
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT count(*) FROM docs WHERE auth.role() IS NULL;
SELECT count(*) FROM docs WHERE auth.role() IS NULL AND auth.email() IS NULL;""")
    assert "Gather" in got, got
    assert got.splitlines()[-1] == "100"


def test_without_from_nothing_changes(db):
    p = plan(db, "SELECT auth.uid(), auth.role()")
    assert "InitPlan" not in p, p
    assert q(db, "SELECT auth.uid()") == U1


@pytest.mark.parametrize("mode", ["force_generic_plan", "force_custom_plan"])
def test_prepared_statements_read_each_executions_settings(db, mode):
    got = db.psql(f"""SET plan_cache_mode = {mode};
SET ROLE planner_user;
PREPARE p AS SELECT count(*) FROM docs WHERE owner = auth.uid();
SELECT set_config('request.jwt.claims', '{{"sub":"{U1}"}}', false) \\g /dev/null
EXECUTE p;
SELECT set_config('request.jwt.claims', '{{"sub":"{U2}"}}', false) \\g /dev/null
EXECUTE p;
SELECT set_config('request.jwt.claims', '', false) \\g /dev/null
EXECUTE p;""", db=DB).out
    assert got.splitlines() == ["100", "900", "0"]


def test_functions_defaults_and_checks(db):
    got = db.psql(f"""
CREATE TABLE IF NOT EXISTS owned (id serial, owner uuid DEFAULT auth.uid(), CHECK (owner IS NOT NULL));
GRANT INSERT, SELECT ON owned TO planner_user;
GRANT USAGE ON SEQUENCE owned_id_seq TO planner_user;
CREATE OR REPLACE FUNCTION plpgsql_uid() RETURNS uuid LANGUAGE plpgsql STABLE AS
  $$ DECLARE v uuid; BEGIN v := auth.uid(); RETURN v; END $$;
CREATE OR REPLACE FUNCTION sql_count() RETURNS bigint LANGUAGE sql STABLE AS
  $$ SELECT count(*) FROM docs WHERE owner = auth.uid() $$;
BEGIN;
SELECT set_config('request.jwt.claims', '{{"sub":"{U2}"}}', true) \\g /dev/null
INSERT INTO owned DEFAULT VALUES RETURNING owner;
SELECT plpgsql_uid(), sql_count();
COMMIT;""", db=DB).out
    assert got.splitlines() == [U2, f"{U2}|900"]


def test_errors_are_still_raised_lazily(db):
    """An initplan runs at its first use: an empty result never evaluates it (as a
    per-row call on no rows), a non-empty one raises Supabase's error."""
    got = db.psql("""BEGIN;
SELECT set_config('request.jwt.claims', 'not json', true) \\g /dev/null
SELECT count(*) FROM docs WHERE id < 0 AND owner = auth.uid();
COMMIT;""", db=DB).out
    assert got == "0"
    r = db.psql("""\\set VERBOSITY verbose
BEGIN;
SELECT set_config('request.jwt.claims', 'not json', true) \\g /dev/null
SELECT count(*) FROM docs WHERE owner = auth.uid();""", db=DB, check=False)
    assert r.returncode != 0 and r.error().sqlstate == "22P02", r.stderr


def test_supabase_functions_swapped_in_place(cluster):
    """docs/rls.md's migration: a policy made with Supabase's auth.uid() keeps its oid;
    renamed and redefined to call ours, it is inlined and planned as our initplan."""
    name = "test_auth_planner_swap"
    cluster.createdb(name)
    try:
        from auth_support import reference_sql
        cluster.psql("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt SCHEMA extensions;"
                     "CREATE SCHEMA auth;" + reference_sql("auth") + f"""
CREATE TABLE notes AS SELECT g AS id, CASE WHEN g % 2 = 0 THEN '{U1}'::uuid ELSE '{U2}'::uuid END AS owner
  FROM generate_series(1, 10) g;
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON notes USING (owner = auth.uid());
DO $$BEGIN CREATE ROLE planner_user NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$;
GRANT SELECT ON notes TO planner_user;
GRANT USAGE ON SCHEMA auth TO planner_user;
BEGIN;
ALTER FUNCTION auth.uid() RENAME TO uid_supabase;
ALTER FUNCTION auth.role() RENAME TO role_supabase;
ALTER FUNCTION auth.email() RENAME TO email_supabase;
ALTER FUNCTION auth.jwt() RENAME TO jwt_supabase;
CREATE EXTENSION pgrst_jwt_auth CASCADE;
CREATE OR REPLACE FUNCTION auth.uid_supabase() RETURNS uuid LANGUAGE sql STABLE AS 'SELECT auth.uid()';
CREATE OR REPLACE FUNCTION auth.role_supabase() RETURNS text LANGUAGE sql STABLE AS 'SELECT auth.role()';
CREATE OR REPLACE FUNCTION auth.email_supabase() RETURNS text LANGUAGE sql STABLE AS 'SELECT auth.email()';
CREATE OR REPLACE FUNCTION auth.jwt_supabase() RETURNS jsonb LANGUAGE sql STABLE AS 'SELECT auth.jwt()';
COMMIT;""", db=name)
        out = cluster.psql(f"""BEGIN;
SET LOCAL ROLE planner_user;
SELECT set_config('request.jwt.claims', '{{"sub":"{U1}"}}', true) \\g /dev/null
SELECT count(*) FROM notes;
EXPLAIN (COSTS OFF) SELECT count(*) FROM notes;
COMMIT;""", db=name).out
        assert out.splitlines()[0] == "5"
        assert "InitPlan" in out and "current_setting" not in out, out
    finally:
        cluster.dropdb(name)
