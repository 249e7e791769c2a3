"""Shared helpers of the pgrst_jwt_auth tests (test_auth_*.py, test_pg_session_jwt_cases.py).

* ``REFERENCE_SQL``: Supabase's own SQL definitions of auth.uid(), auth.role(),
  auth.email() and auth.jwt() (pg_test/reference/supabase_auth_functions.sql, verbatim
  from github supabase/auth), installed by ``setup_auth_db`` in schema ``supabase_ref`` of
  the same database as the reference.
* ``evaluate``: a SQL function ``pg_temp``-free ``public.eval_text(expr)`` that returns an
  expression's value as text, ``<NULL>``, or ``ERROR <sqlstate>: <message>``.
* ``token``: an HS256 token signed with the test cluster's configured secret.
"""

from __future__ import annotations

import os
import time

from attack_support import hs256

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE_FILE = os.path.join(HERE, "..", "reference", "supabase_auth_functions.sql")
NAMESPACE = '{{ index .Options "Namespace" }}'


def reference_sql(schema: str = "supabase_ref") -> str:
    with open(REFERENCE_FILE) as f:
        text = f.read()
    assert NAMESPACE in text, "the reference file lost its namespace placeholder"
    return text.replace(NAMESPACE, schema)


EVAL_SQL = """
CREATE FUNCTION public.eval_text(expr text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r text;
BEGIN
  EXECUTE 'SELECT (' || expr || ')::text' INTO r;
  RETURN coalesce(r, '<NULL>');
EXCEPTION WHEN OTHERS THEN
  RETURN 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
END $f$;
"""


def setup_auth_db(cluster, db: str, store_secret: bool = True, reference: bool = True) -> None:
    """A database with pgrst_jwt in ``extensions``, pgrst_jwt_auth in ``auth``, Supabase's
    definitions in ``supabase_ref`` and ``public.eval_text``."""
    cluster.createdb(db)
    sql = ("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt SCHEMA extensions;"
           "GRANT USAGE ON SCHEMA extensions TO PUBLIC;"
           "CREATE EXTENSION pgrst_jwt_auth;")
    if store_secret:
        sql += "SELECT extensions.set_pgrst_secret_from_env();"
    if reference:
        sql += "CREATE SCHEMA supabase_ref; GRANT USAGE ON SCHEMA supabase_ref TO PUBLIC;"
        sql += reference_sql("supabase_ref")
    sql += EVAL_SQL
    cluster.psql(sql, db=db)


def token(secret: str, claims: dict) -> str:
    return hs256(claims, secret)


def now() -> int:
    return int(time.time())
