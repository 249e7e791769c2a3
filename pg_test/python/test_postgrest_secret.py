"""The PostgREST integration, end to end on real clusters: the secret configured from
the postmaster's environment by a migration run in one transaction, kept out of every
ordinary role's reach and out of the server log, surviving restarts, reaching a hot
standby, and verified by PostgREST's rules (PyJWT standing in for PostgREST)."""

from __future__ import annotations

import base64
import os
import subprocess
import time

import jwt as pyjwt
import pytest

from cluster import Cluster, _as_server_user, literal, wait_for

SECRET = "env-secret-for-pgrst-jwt-tests-0123456789-abcdef"
SECRET_NEXT = "the-next-secret-after-rotation-0123456789-xyz"
RAW_B64 = bytes(range(40, 80))  # 40 bytes, encodes with + and / characters
SECRET_B64 = base64.b64encode(RAW_B64).decode()
HERE = os.path.dirname(os.path.abspath(__file__))

ENV = {"JWT_SECRET": SECRET, "JWT_SECRET_NEXT": SECRET_NEXT, "JWT_SECRET_B64": SECRET_B64,
       "JWT_SECRET_SHORT": "only-twenty-characters"[:20],
       "JWT_SECRET_NOT_B64": "not base64 at all!! 0123456789 0123456789"}
# every statement logged: the secret must not appear even then
CONF = {"log_statement": "all", "log_min_messages": "info", "log_min_error_statement": "info"}

MIGRATION = """
CREATE SCHEMA extensions;
CREATE EXTENSION pgrst_jwt SCHEMA extensions;
SELECT extensions.set_pgrst_secret_from_env();
CREATE ROLE anon NOLOGIN;
CREATE ROLE web_user NOLOGIN;
CREATE ROLE authenticator LOGIN NOINHERIT;
GRANT anon, web_user TO authenticator;
CREATE ROLE login_owner NOLOGIN;
GRANT USAGE ON SCHEMA extensions TO anon, web_user, login_owner, authenticator;
GRANT EXECUTE ON FUNCTION extensions.jwt_sign(jsonb) TO login_owner;
CREATE SCHEMA api;
GRANT USAGE ON SCHEMA api TO anon, web_user, login_owner;
CREATE TABLE api.users (email text PRIMARY KEY, pass text NOT NULL, role name NOT NULL);
INSERT INTO api.users VALUES ('a@example.com', 'pw', 'web_user');
ALTER TABLE api.users OWNER TO login_owner;
CREATE FUNCTION api.login(email text, pass text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE r record;
BEGIN
  SELECT u.role, u.email INTO r FROM api.users u WHERE u.email = login.email AND u.pass = login.pass;
  IF NOT FOUND THEN RAISE invalid_password USING message = 'invalid user or password'; END IF;
  RETURN extensions.jwt_sign(jsonb_build_object('role', r.role, 'email', r.email,
         'exp', extract(epoch FROM now())::bigint + 3600));
END $$;
ALTER FUNCTION api.login(text, text) OWNER TO login_owner;
GRANT EXECUTE ON FUNCTION api.login(text, text) TO anon;
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    os.chmod(tmp_path, 0o755)
    os.chmod(p, 0o644)
    return str(p)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A cluster with JWT_SECRET in the postmaster's environment, migrated in one transaction."""
    tmp = tmp_path_factory.mktemp("migration")
    c = Cluster(env=ENV, conf=CONF)
    c.start()
    # the same migration, failing at its end, leaves nothing behind
    failing = write(tmp, "failing.sql", MIGRATION + "SELECT 1/0;\n")
    r = c.psql(file=failing, single_transaction=True, check=False)
    assert r.returncode != 0 and "division by zero" in r.stderr
    assert c.one("SELECT count(*) FROM pg_extension WHERE extname = 'pgrst_jwt'") == "0"
    assert c.one("SELECT count(*) FROM pg_namespace WHERE nspname = 'extensions'") == "0"
    assert c.one("SELECT count(*) FROM pg_roles WHERE rolname = 'authenticator'") == "0"
    # the real one
    c.psql(file=write(tmp, "migration.sql", MIGRATION), single_transaction=True)
    c.restart()
    yield c
    c.cleanup()


def anon(c, sql, setup="", **kw):
    """``sql`` as role anon; ``setup`` runs first, as the superuser."""
    return c.psql(setup + "SET ROLE anon;\nSET search_path = extensions, public;\n" + sql, **kw)


def error_of(c, sql, role="anon", setup=""):
    r = c.psql(f"\\set VERBOSITY verbose\n{setup}SET ROLE {role};\nSET search_path = extensions;\n"
               + sql, check=False)
    assert r.returncode != 0, r.stdout
    e = r.error()
    assert e is not None, r.stderr
    return e


def test_login_function_signs_for_anon_and_pyjwt_agrees(migrated):
    token = anon(migrated, "SELECT api.login('a@example.com', 'pw')").out
    claims = pyjwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["role"] == "web_user" and claims["email"] == "a@example.com"
    assert isinstance(claims["exp"], int)
    assert anon(migrated, f"SELECT jwt_verify({literal(token)}) ->> 'role'").out == "web_user"
    e = error_of(migrated, "SELECT api.login('a@example.com', 'wrong')")
    assert e.sqlstate == "28P01"


def test_signing_with_the_configured_secret_is_refused_to_ordinary_roles(migrated):
    for sig in ["'{\"role\":\"postgres\"}'::jsonb", "'{\"role\":\"postgres\"}'::json",
                "'{\"role\":\"postgres\"}'::text"]:
        e = error_of(migrated, f"SELECT jwt_sign({sig})")
        assert e.sqlstate == "42501" and "permission denied for function jwt_sign" in e.message
    e = error_of(migrated, "SELECT set_pgrst_secret_from_env()")
    assert e.sqlstate == "42501"


def test_the_secret_is_unreadable_by_every_route(migrated):
    routes = [
        "SELECT * FROM extensions.pgrst_jwt_secret",
        "SELECT pg_read_file('postgresql.auto.conf')",
        "SELECT pg_read_file('/proc/self/environ')",
        "COPY extensions.pgrst_jwt_secret TO STDOUT",
        "SELECT extensions.set_pgrst_secret_from_env('JWT_SECRET')",
        "SELECT pg_ls_dir('.')",
        "CREATE TEMP TABLE x AS SELECT * FROM extensions.pgrst_jwt_secret",
    ]
    for sql in routes:
        r = anon(migrated, sql, check=False)
        assert r.returncode != 0, sql
        assert SECRET not in r.stdout + r.stderr
    # what ordinary roles can read holds no trace of it
    reads = [
        "SELECT coalesce(current_setting('pgrst.jwt_secret', true), '<null>')",
        "SELECT string_agg(array_to_string(setconfig, ','), ';') FROM pg_db_role_setting",
        "SELECT string_agg(name || '=' || setting, ',') FROM pg_settings",
        "SELECT string_agg(prosrc, ',') FROM pg_proc",
        "SELECT string_agg(coalesce(query, ''), ',') FROM pg_stat_activity",
        "SELECT * FROM jwt_secret_status()",
        "SELECT jwt_public_jwks()",
        "SELECT string_agg(description, ',') FROM pg_description",
    ]
    for sql in reads:
        out = anon(migrated, sql).stdout
        assert SECRET not in out, sql
    status = anon(migrated, "SELECT configured, source, readable_by_public FROM jwt_secret_status()").out
    assert status == "t|extension table|f"


def test_restart_keeps_the_secret_and_the_log_never_has_it(migrated):
    migrated.restart()
    token = anon(migrated, "SELECT api.login('a@example.com', 'pw')").out
    assert anon(migrated, f"SELECT jwt_verify({literal(token)}) ->> 'email'").out == "a@example.com"
    # errors from our functions are logged without their statement text
    anon(migrated, f"SELECT jwt_verify({literal(token + 'x')})", check=False)
    log = migrated.log_text()
    assert "set_pgrst_secret_from_env" in log  # log_statement = all did log the migration
    assert SECRET not in log
    assert base64.b64encode(SECRET.encode()).decode() not in log


def test_verify_follows_postgrest_rules_on_a_token_matrix(migrated):
    """Each rule, both sides of each boundary, in one transaction (now() is fixed)."""
    sql = """
    BEGIN;
    SET search_path = extensions;
    CREATE TEMP TABLE cases(name text, claims jsonb);
    INSERT INTO cases SELECT c.name, c.claims FROM (SELECT floor(extract(epoch FROM now()))::bigint AS n) t,
    LATERAL (VALUES
      ('exp_edge_ok',      jsonb_build_object('role','web_user','exp', t.n - 30)),
      ('exp_past_edge',    jsonb_build_object('role','web_user','exp', t.n - 31)),
      ('nbf_edge_ok',      jsonb_build_object('role','web_user','nbf', t.n + 30)),
      ('nbf_past_edge',    jsonb_build_object('role','web_user','nbf', t.n + 31)),
      ('iat_edge_ok',      jsonb_build_object('role','web_user','iat', t.n + 30)),
      ('iat_past_edge',    jsonb_build_object('role','web_user','iat', t.n + 31)),
      ('no_times',         jsonb_build_object('role','web_user'))
    ) AS c(name, claims);
    SELECT name, (SELECT coalesce(reason, 'ok') FROM jwt_check(jwt_sign(claims)))
      FROM cases ORDER BY name;
    ROLLBACK;
    """
    out = dict(line.split("|") for line in migrated.psql(sql).lines if "|" in line)
    assert out == {
        "exp_edge_ok": "ok", "exp_past_edge": "expired",
        "nbf_edge_ok": "ok", "nbf_past_edge": "not_yet_valid",
        "iat_edge_ok": "ok", "iat_past_edge": "issued_in_future",
        "no_times": "ok",
    }


def pyjwt_token(claims, key=SECRET, alg="HS256", headers=None):
    return pyjwt.encode(claims, key, algorithm=alg, headers=headers)


@pytest.mark.parametrize("claims,headers,alg,message", [
    ({"role": "web_user", "exp": 1}, None, "HS256", "JWT expired"),
    ({"role": "web_user", "exp": "soon"}, None, "HS256", "The JWT 'exp' claim must be a number"),
    ({"role": "web_user", "nbf": [1]}, None, "HS256", "The JWT 'nbf' claim must be a number"),
    ({"role": "web_user", "exp": 4102444800.5}, None, "HS256", "JWT expired"),
    ({"role": "web_user"}, {"kid": "k1"}, "HS256", "No suitable key or wrong key type"),
    ({"role": "web_user"}, None, "HS384", "No suitable key or wrong key type"),
    ({"role": "web_user"}, None, "HS512", "No suitable key or wrong key type"),
])
def test_postgrest_refusals(migrated, claims, headers, alg, message):
    token = pyjwt_token(claims, alg=alg, headers=headers)
    e = error_of(migrated, f"SELECT jwt_verify({literal(token)})")
    assert e.message == message and e.sqlstate == "28000"
    assert SECRET not in (e.detail or "")


def test_whole_float_time_and_wrong_secret(migrated):
    ok = pyjwt_token({"role": "web_user", "exp": 4102444800.0})
    assert anon(migrated, f"SELECT jwt_verify({literal(ok)}) ->> 'role'").out == "web_user"
    bad = pyjwt_token({"role": "web_user"}, key="another-secret-of-sufficient-length-0000")
    e = error_of(migrated, f"SELECT jwt_verify({literal(bad)})")
    assert e.message == "No suitable key or wrong key type"
    none = pyjwt.encode({"role": "postgres"}, None, algorithm="none")
    e = error_of(migrated, f"SELECT jwt_verify({literal(none)})")
    assert e.message == "Wrong or unsupported encoding algorithm"


@pytest.mark.parametrize("aud_setting,claims_aud,accepted", [
    ("api", "api", True), ("api", ["x", "api"], True), ("api", None, True), ("api", [], True),
    ("api", "other", False), ("api", "", False), ("api", ["x"], False),
    ("api", 5, "The JWT 'aud' claim must be a string or an array of strings"),
    ("", "anything", True),
])
def test_audience_matrix_from_setting(migrated, aud_setting, claims_aud, accepted):
    claims = {"role": "web_user"}
    if claims_aud is not None:
        claims["aud"] = claims_aud
    token = pyjwt.api_jws.encode(__import__("json").dumps(claims).encode(), SECRET, algorithm="HS256")
    # the audience is configured by a superuser (PostgREST reads it from the
    # authenticator's role settings); the role the token authenticates cannot change it
    setup = f"SET pgrst.jwt_aud = {literal(aud_setting)};\n"
    sql = f"SELECT jwt_verify({literal(token)}) ->> 'role'"
    if accepted is True:
        assert anon(migrated, sql, setup=setup).out == "web_user"
    else:
        e = error_of(migrated, sql, setup=setup)
        assert e.message == (accepted if isinstance(accepted, str) else "JWT not in audience")


def test_change_takes_effect_in_a_running_session(migrated):
    """A backend that cached the old secret uses the new one from its next transaction."""
    m = migrated
    old = pyjwt_token({"role": "web_user"})
    new = pyjwt_token({"role": "web_user"}, key=SECRET_NEXT)
    other = " ".join([os.path.join(m.bin, "psql"), "-X", "-q", "-At", "-h", m.host, "-p",
                      str(m.port), "-U", "postgres", "-d", "postgres", "-c"])
    script = f"""
SET search_path = extensions;
SELECT 'before:' || (SELECT coalesce(reason, 'ok') FROM jwt_check({literal(old)}));
\\! {other} "SELECT extensions.set_pgrst_secret_from_env('JWT_SECRET_NEXT')" > /dev/null
SELECT 'after_old:' || (SELECT coalesce(reason, 'ok') FROM jwt_check({literal(old)}));
SELECT 'after_new:' || (SELECT coalesce(reason, 'ok') FROM jwt_check({literal(new)}));
\\! {other} "SELECT extensions.set_pgrst_secret_from_env('JWT_SECRET')" > /dev/null
SELECT 'back:' || (SELECT coalesce(reason, 'ok') FROM jwt_check({literal(old)}));
"""
    out = m.psql(script).lines
    assert out == ["before:ok", "after_old:bad_signature", "after_new:ok", "back:ok"]


def test_rolled_back_change_is_not_used(migrated):
    new = pyjwt_token({"role": "web_user"}, key=SECRET_NEXT)
    old = pyjwt_token({"role": "web_user"})
    out = migrated.psql(f"""
SET search_path = extensions;
BEGIN;
SELECT set_pgrst_secret_from_env('JWT_SECRET_NEXT') IS NOT NULL;
SELECT coalesce(reason, 'ok') FROM jwt_check({literal(new)});
ROLLBACK;
SELECT coalesce(reason, 'ok') FROM jwt_check({literal(new)});
SELECT coalesce(reason, 'ok') FROM jwt_check({literal(old)});
""").lines
    assert out == ["t", "ok", "bad_signature", "ok"]


@pytest.mark.parametrize("var,b64,message", [
    ("JWT_SECRET_UNSET_HERE", False, "The environment variable holding the JWT secret is not set or empty"),
    ("JWT_SECRET_SHORT", False, "The JWT secret must be at least 32 characters long."),
    ("JWT_SECRET_NOT_B64", True, "The JWT secret is not valid base64"),
])
def test_invalid_environment_values_store_nothing(migrated, var, b64, message):
    before = migrated.one("SELECT fingerprint FROM extensions.jwt_secret_status()")
    e = error_of(migrated, f"SELECT set_pgrst_secret_from_env({literal(var)}, {str(b64).lower()})",
                 role="postgres")
    assert e.message == message and e.sqlstate == "22023"
    assert var in (e.detail or "")
    for value in ENV.values():
        assert value not in (e.detail or "") + e.message
    assert migrated.one("SELECT fingerprint FROM extensions.jwt_secret_status()") == before


def test_base64_secret_and_postgrest_role_settings(migrated):
    m = migrated
    r = m.psql("SET search_path = extensions;\n"
               "SELECT set_pgrst_secret_from_env('JWT_SECRET_B64', true, 'authenticator');",
               check=False)
    assert r.returncode == 0, r.stderr
    assert "pg_db_role_setting is readable by every role" in r.stderr
    try:
        token = pyjwt_token({"role": "web_user"}, key=RAW_B64)
        assert anon(m, f"SELECT jwt_verify({literal(token)}) ->> 'role'").out == "web_user"
        # PostgREST's own read of its in-database configuration, as the authenticator
        rows = m.psql("""
WITH role_setting AS (
  SELECT setdatabase AS database, unnest(setconfig) AS setting FROM pg_catalog.pg_db_role_setting
  WHERE setrole = current_user::regrole::oid
    AND setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_catalog))),
kv AS (SELECT database, substr(setting, 1, strpos(setting, '=') - 1) AS k,
              substr(setting, strpos(setting, '=') + 1) AS v FROM role_setting)
SELECT DISTINCT ON (k) replace(k, 'pgrst.', '') || '=' || v FROM kv
WHERE k LIKE 'pgrst.%' ORDER BY k, database DESC;
""", user="authenticator").lines
        assert f"jwt_secret={SECRET_B64}" in rows and "jwt_secret_is_base64=true" in rows
        # the status now says ordinary roles can read it
        assert anon(m, "SELECT readable_by_public FROM jwt_secret_status()").out == "t"
        # the log still has neither form of it
        assert SECRET_B64 not in m.log_text()
    finally:
        m.psql("ALTER ROLE authenticator RESET pgrst.jwt_secret;"
               "ALTER ROLE authenticator RESET pgrst.jwt_secret_is_base64;"
               "SELECT extensions.set_pgrst_secret_from_env();")


def test_postgrest_pre_config_read_as_authenticator(migrated):
    """db-pre-config: PostgREST reads each pgrst.* name with current_setting(name, true)."""
    m = migrated
    m.psql("BEGIN; ALTER ROLE authenticator SET pgrst.jwt_aud = 'my-api';"
           "ALTER ROLE authenticator SET pgrst.jwt_role_claim_key = '.roles[0]';"
           "ALTER ROLE authenticator SET pgrst.db_schemas = 'api'; COMMIT;")
    try:
        out = m.psql("SELECT current_setting('pgrst.jwt_aud', true), "
                     "current_setting('pgrst.jwt_role_claim_key', true), "
                     "current_setting('pgrst.db_schemas', true), "
                     "coalesce(current_setting('pgrst.db_anon_role', true), '<null>');"
                     "SELECT extensions.jwt_role('{\"roles\":[\"web_user\"]}');",
                     user="authenticator").lines
        assert out == ["my-api|.roles[0]|api|<null>", "web_user"]
    finally:
        m.psql("ALTER ROLE authenticator RESET ALL")


def test_alter_database_set_works_in_a_transaction(migrated):
    m = migrated
    m.psql("BEGIN; SELECT extensions.jwt_secret_status() IS NOT NULL;"
           "ALTER DATABASE postgres SET pgrst.jwt_aud = 'db-aud'; COMMIT;")
    try:
        assert m.one("SELECT current_setting('pgrst.jwt_aud')") == "db-aud"
    finally:
        m.psql("ALTER DATABASE postgres RESET pgrst.jwt_aud")


def test_hot_standby_has_the_secret_and_follows_changes(migrated, tmp_path):
    m = migrated
    standby = Cluster(env={}, conf={})
    try:
        subprocess.run(_as_server_user([os.path.join(m.bin, "pg_basebackup"), "-h", m.host, "-p",
                                        str(m.port), "-U", "postgres", "-D", standby.datadir,
                                        "-R", "-X", "stream"]), check=True, capture_output=True)
        standby._initialized = True
        standby.start()
        assert standby.one("SELECT pg_is_in_recovery()") == "t"
        token = anon(m, "SELECT api.login('a@example.com', 'pw')").out
        q = f"SET ROLE anon; SELECT extensions.jwt_verify({literal(token)}) ->> 'role'"
        assert standby.psql(q).lines[-1] == "web_user"
        # a standby session that cached the secret follows a change on the primary
        new = pyjwt_token({"role": "web_user"}, key=SECRET_NEXT)
        other = " ".join([os.path.join(m.bin, "psql"), "-X", "-q", "-At", "-h", m.host, "-p",
                          str(m.port), "-U", "postgres", "-c"])
        out = standby.psql(f"""
SELECT coalesce(reason, 'ok') FROM extensions.jwt_check({literal(token)});
\\! {other} "SELECT extensions.set_pgrst_secret_from_env('JWT_SECRET_NEXT')" > /dev/null
\\! sleep 2
SELECT coalesce(reason, 'ok') FROM extensions.jwt_check({literal(new)});
""").lines
        assert out == ["ok", "ok"]
        assert SECRET not in standby.log_text() and SECRET_NEXT not in standby.log_text()
    finally:
        m.psql("SELECT extensions.set_pgrst_secret_from_env()")
        standby.cleanup()


def test_dump_restore_drop_and_update(migrated, tmp_path):
    m = migrated
    dump = subprocess.run([os.path.join(m.bin, "pg_dump"), "-h", m.host, "-p", str(m.port),
                           "-U", "postgres", "postgres"], capture_output=True, text=True, check=True)
    assert "CREATE EXTENSION IF NOT EXISTS pgrst_jwt" in dump.stdout
    assert SECRET not in dump.stdout
    m.createdb("restored")
    p = write(tmp_path, "dump.sql", dump.stdout)
    m.psql(file=p, db="restored")
    assert m.one("SELECT configured FROM extensions.jwt_secret_status()", db="restored") == "f"
    m.psql("SELECT extensions.set_pgrst_secret_from_env()", db="restored")
    assert m.one("SELECT fingerprint FROM extensions.jwt_secret_status()", db="restored") == \
        m.one("SELECT fingerprint FROM extensions.jwt_secret_status()")
    # DROP EXTENSION removes the stored secret with the table
    m.psql("DROP EXTENSION pgrst_jwt CASCADE; CREATE EXTENSION pgrst_jwt SCHEMA extensions;",
           db="restored")
    assert m.one("SELECT configured FROM extensions.jwt_secret_status()", db="restored") == "f"
    m.dropdb("restored")


def test_fallback_to_the_pgrst_jwt_secret_setting(fresh_cluster):
    """The old recipe (pgrst.jwt_secret in the configuration) keeps working, reported as such."""
    c = fresh_cluster(conf={"pgrst.jwt_secret": SECRET})
    c.psql("CREATE EXTENSION pgrst_jwt")
    token = pyjwt_token({"role": "web_user"})
    assert c.one(f"SELECT jwt_verify({literal(token)}) ->> 'role'") == "web_user"
    assert c.one("SELECT configured, source, readable_by_public FROM jwt_secret_status()") == \
        "t|pgrst.jwt_secret setting|t"
    # a stored secret takes precedence over the setting; the value left in the configuration
    # is still reported (every role reads it as a placeholder: the library is not preloaded)
    c.restart(env={"JWT_SECRET": SECRET_NEXT})
    c.psql("SELECT set_pgrst_secret_from_env()")
    assert c.one("SELECT source, readable_by_public FROM jwt_secret_status()") == "extension table|t"
    assert "the setting pgrst.jwt_secret has a value" in c.one(
        "SELECT array_to_string(exposures, E'\\n') FROM jwt_secret_status()")
    assert c.one(f"SELECT reason FROM jwt_check({literal(token)})") == "bad_signature"
    new = pyjwt_token({"role": "web_user"}, key=SECRET_NEXT)
    assert c.one(f"SELECT jwt_verify({literal(new)}) ->> 'role'") == "web_user"


def test_reload_notification_for_postgrest(migrated):
    m = migrated
    other = " ".join([os.path.join(m.bin, "psql"), "-X", "-q", "-At", "-h", m.host, "-p",
                      str(m.port), "-U", "postgres", "-c"])
    out = m.psql(f"""
LISTEN pgrst;
\\! {other} "SELECT extensions.set_pgrst_secret_from_env(postgrest_role => 'authenticator')" > /dev/null 2>&1
SELECT 1;
""")
    try:
        assert 'Asynchronous notification "pgrst" with payload "reload config" received' in out.stdout
    finally:
        m.psql("ALTER ROLE authenticator RESET ALL; SELECT extensions.set_pgrst_secret_from_env();")


def test_rls_policy_with_request_claims(migrated):
    """The README's RLS example: rows visible to the request's `email` claim only."""
    m = migrated
    m.psql("""
CREATE TABLE api.todos (id int, owner text, task text);
INSERT INTO api.todos VALUES (1, 'a@example.com', 'mine'), (2, 'b@example.com', 'theirs');
ALTER TABLE api.todos ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_todos ON api.todos USING (owner = extensions.jwt_claim('email'));
GRANT SELECT ON api.todos TO web_user;
""")
    try:
        token = anon(m, "SELECT api.login('a@example.com', 'pw')").out
        # what PostgREST does per request, transaction-local
        out = m.psql(f"""
BEGIN;
SELECT set_config('role', 'web_user', true) IS NOT NULL;
SELECT set_config('request.jwt.claims', extensions.jwt_verify({literal(token)})::text, true) IS NOT NULL;
SELECT string_agg(task, ',') FROM api.todos;
SELECT extensions.jwt_claims() ->> 'role', extensions.jwt_role(extensions.jwt_claims());
COMMIT;
SELECT coalesce(extensions.jwt_claim('email'), '<none outside a request>');
""").lines
        assert out == ["t", "t", "mine", "web_user|web_user", "<none outside a request>"]
    finally:
        m.psql("DROP TABLE api.todos")


def test_other_pgrst_settings_stay_free(migrated):
    """The pgrst prefix is not reserved: PostgREST's other settings still work."""
    out = migrated.psql("SELECT extensions.jwt_secret_status() IS NOT NULL;"
                        "SET pgrst.db_schemas = 'api'; SET pgrst.server_port = '3000';"
                        "SELECT current_setting('pgrst.db_schemas'), current_setting('pgrst.jwt_aud');"
                        ).lines
    assert out == ["t", "api|"]


REFRESH = """
CREATE FUNCTION api.refresh(token text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE c jsonb;
BEGIN
  c := extensions.jwt_verify(token);
  RETURN extensions.jwt_sign(c || jsonb_build_object('exp', extract(epoch FROM now())::bigint + 3600));
EXCEPTION WHEN invalid_authorization_specification THEN
  RAISE SQLSTATE 'PT401' USING message = SQLERRM;
END $$;
ALTER FUNCTION api.refresh(text) OWNER TO login_owner;
GRANT EXECUTE ON FUNCTION api.refresh(text) TO anon, web_user;
"""


def test_readme_refresh_function(migrated):
    """The README's refresh RPC: a valid token is renewed, a rejected one answers PT401."""
    m = migrated
    m.psql(REFRESH)
    try:
        token = anon(m, "SELECT api.login('a@example.com', 'pw')").out
        fresh = anon(m, f"SELECT api.refresh({literal(token)})").out
        claims = pyjwt.decode(fresh, SECRET, algorithms=["HS256"])
        assert claims["role"] == "web_user" and claims["email"] == "a@example.com"
        expired = pyjwt_token({"role": "web_user", "exp": 1})
        e = error_of(m, f"SELECT api.refresh({literal(expired)})")
        assert e.sqlstate == "PT401" and e.message == "JWT expired"
    finally:
        m.psql("DROP FUNCTION api.refresh(text)")


def test_postgrest_role_gets_only_public_keys_of_a_jwks(fresh_cluster):
    """An asymmetric configured secret: PostgREST is given the public JWK Set only."""
    c = fresh_cluster()
    c.psql("CREATE EXTENSION pgrst_jwt; CREATE ROLE authenticator LOGIN NOINHERIT;")
    key = c.one("SELECT jwt_generate_key('EC', 'ec-1')")
    c.restart(env={"JWT_SECRET": '{"keys":[' + key + "]}"})
    r = c.psql("SELECT set_pgrst_secret_from_env(postgrest_role => 'authenticator')")
    assert "readable by every role" not in r.stderr  # public keys only: no warning
    settings = c.one("SELECT array_to_string(setconfig, E'\\n') FROM pg_db_role_setting "
                     "WHERE setrole = 'authenticator'::regrole")
    lines = dict(line.split("=", 1) for line in settings.splitlines())
    assert lines["pgrst.jwt_secret_is_base64"] == "false"
    import json
    published = json.loads(lines["pgrst.jwt_secret"])
    assert [k["kid"] for k in published["keys"]] == ["ec-1"]
    assert all("d" not in k for k in published["keys"])
    # a token we sign verifies with what PostgREST was given
    token = c.one("SELECT jwt_sign('{\"role\":\"web_user\"}'::jsonb)")
    jwk = pyjwt.PyJWKSet.from_dict(published)["ec-1"]
    assert pyjwt.decode(token, jwk.key, algorithms=["ES256"])["role"] == "web_user"
    assert json.loads(key)["d"] not in c.log_text()
    # and jwt_secret_status() does not count that public set as a readable secret
    exposures = c.one("SELECT array_to_string(exposures, ' | ') FROM jwt_secret_status()")
    assert c.one("SELECT readable_by_public FROM jwt_secret_status()") == "f", exposures
    assert 'pgrst.jwt_secret is set for role "authenticator"; it holds public keys only' in exposures


def test_configured_secret_functions_in_parallel_workers(migrated):
    """PARALLEL SAFE holds: a worker reads the protected table (read-only) on its own."""
    token = anon(migrated, "SELECT api.login('a@example.com', 'pw')").out
    out = migrated.psql(f"""
-- force_parallel_mode, named debug_parallel_query from PostgreSQL 16 on
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000
                       THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'on', false) IS NULL;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
SET search_path = extensions;
SELECT jwt_verify({literal(token)}) ->> 'role';
SELECT valid FROM jwt_check({literal(token)});
SELECT configured, readable_by_public FROM jwt_secret_status();
SELECT jwt_public_jwks();
SELECT count(*) FROM (SELECT jwt_verify({literal(token)}) FROM generate_series(1, 1000)) s;
""").lines
    assert out == ["f", "web_user", "t", "t|f", '{"keys": []}', "1000"]
