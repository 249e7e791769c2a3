"""The companion extension pgrst_jwt_auth as an object: CREATE EXTENSION … CASCADE brings
pgrst_jwt, pgrst_jwt alone makes no auth schema, a schema auth that a non-superuser
owns is refused, DROP EXTENSION removes only the companion's functions, and a dump
restores with policies and defaults that call the helpers."""

from __future__ import annotations

import os
import subprocess

DB = "test_auth_extension"


def test_cascade_creates_pgrst_jwt_and_schema_auth(cluster):
    cluster.createdb(DB)
    try:
        cluster.psql("CREATE EXTENSION pgrst_jwt_auth CASCADE", db=DB)
        got = cluster.one("SELECT string_agg(extname || ':' || extnamespace::regnamespace::text, ',' "
                          "ORDER BY extname) FROM pg_extension WHERE extname LIKE 'pgrst%'", db=DB)
        assert got == "pgrst_jwt:public,pgrst_jwt_auth:auth"
        funcs = cluster.one("SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc "
                            "WHERE pronamespace = 'auth'::regnamespace", db=DB)
        assert funcs == "email,helper_support,init,jwt,jwt_session_init,role,session,uid,user_id"
        # every role may call them (USAGE on auth for PUBLIC)
        assert cluster.one("SELECT has_schema_privilege('public', 'auth', 'USAGE')", db=DB) == "t"
        cluster.psql("DROP EXTENSION pgrst_jwt_auth", db=DB)
        assert cluster.one("SELECT count(*) FROM pg_proc WHERE pronamespace = 'auth'::regnamespace", db=DB) == "0"
        assert cluster.one("SELECT count(*) FROM pg_extension WHERE extname = 'pgrst_jwt'", db=DB) == "1"
    finally:
        cluster.dropdb(DB)


def test_pgrst_jwt_alone_makes_no_auth_schema(cluster):
    cluster.createdb(DB, extension="pgrst_jwt")
    try:
        assert cluster.one("SELECT to_regnamespace('auth') IS NULL", db=DB) == "t"
    finally:
        cluster.dropdb(DB)


def test_schema_auth_of_a_non_superuser_is_refused(cluster):
    cluster.createdb(DB)
    try:
        cluster.psql("DO $$BEGIN CREATE ROLE auth_owner NOLOGIN; EXCEPTION WHEN duplicate_object "
                     "THEN NULL; END$$; CREATE SCHEMA auth AUTHORIZATION auth_owner;"
                     "CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt SCHEMA extensions;", db=DB)
        r = cluster.psql("\\set VERBOSITY verbose\nCREATE EXTENSION pgrst_jwt_auth;", db=DB, check=False)
        e = r.error()
        assert r.returncode != 0 and e.sqlstate == "42501", r.stderr
        assert 'owned by "auth_owner" who is not a superuser' in e.message
        cluster.psql("ALTER SCHEMA auth OWNER TO postgres; CREATE EXTENSION pgrst_jwt_auth;", db=DB)
        assert cluster.one("SELECT extversion FROM pg_extension WHERE extname = 'pgrst_jwt_auth'", db=DB) == "0.4.0"
    finally:
        cluster.dropdb(DB)


def test_other_schemas_are_refused(cluster):
    cluster.createdb(DB)
    try:
        cluster.psql("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt SCHEMA extensions;", db=DB)
        r = cluster.psql("CREATE EXTENSION pgrst_jwt_auth SCHEMA extensions;", db=DB, check=False)
        assert r.returncode != 0 and 'must be installed in schema "auth"' in r.stderr, r.stderr
    finally:
        cluster.dropdb(DB)


def test_dump_and_restore_keep_policies_working(cluster, tmp_path):
    """pg_dump / pg_restore of a database whose policy and column default call auth.uid()."""
    src, dst = "test_auth_dump_src", "test_auth_dump_dst"
    u = "6f1c4b9e-2a3d-4c5e-8f70-91a2b3c4d5e6"
    cluster.createdb(src)
    cluster.createdb(dst)
    try:
        cluster.psql(f"""
DO $$BEGIN CREATE ROLE dump_user NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$;
CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt SCHEMA extensions;
CREATE EXTENSION pgrst_jwt_auth;
CREATE TABLE notes (owner uuid DEFAULT auth.uid(), body text);
INSERT INTO notes VALUES ('{u}', 'mine'), (gen_random_uuid(), 'theirs');
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON notes USING (owner = auth.uid()) WITH CHECK (owner = auth.uid());
GRANT SELECT, INSERT ON notes TO dump_user;""", db=src)
        dump = str(tmp_path / "auth.dump")
        env = dict(os.environ, PGHOST=cluster.host, PGPORT=str(cluster.port), PGUSER="postgres")
        for args in (["pg_dump", "-Fc", "-f", dump, src], ["pg_restore", "--exit-on-error", "-d", dst, dump]):
            p = subprocess.run([os.path.join(cluster.bin, args[0]), *args[1:]], env=env,
                               capture_output=True, text=True, timeout=300)
            assert p.returncode == 0, p.stderr
        got = cluster.psql(f"""BEGIN;
SET LOCAL ROLE dump_user;
SELECT set_config('request.jwt.claims', '{{"sub":"{u}"}}', true) \\g /dev/null
INSERT INTO notes (body) VALUES ('new');
SELECT string_agg(body, ',' ORDER BY body) FROM notes;
COMMIT;""", db=dst).out
        assert got == "mine,new"
    finally:
        cluster.dropdb(src)
        cluster.dropdb(dst)
