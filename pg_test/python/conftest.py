"""pytest fixtures for the pgrst_jwt SQL-level tests (run through pg_test/run).

* ``cluster``: the shared cluster pg_test/run started (session scope).
* ``pg``: a database of its own per test module, named after the module, with
  ``CREATE EXTENSION pgrst_jwt`` done; ``pg.psql(...)`` defaults to that database.
* ``fresh_cluster``: a factory ``fresh_cluster(env=None, conf=None, start=True)`` for
  clusters of their own (restarts, server environment, preloading); all are stopped
  and removed after the test.
* ``jwt_secret``: the secret pg_test/run put in the shared postmaster's JWT_SECRET.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster import Cluster, existing  # noqa: E402


class Database:
    """A database in a cluster: the cluster's methods with ``db`` filled in."""

    def __init__(self, cluster, name: str):
        self.cluster = cluster
        self.name = name

    def psql(self, sql=None, **kw):
        kw.setdefault("db", self.name)
        return self.cluster.psql(sql, **kw)

    def one(self, sql, **kw):
        return self.psql(sql, **kw).out

    def error(self, sql, **kw):
        """Run SQL that must fail; the parsed error (sqlstate, message, detail)."""
        kw.setdefault("db", self.name)
        r = self.cluster.psql(sql, check=False, verbose_errors=True, **kw)
        assert r.returncode != 0, f"expected an error, got: {r.stdout!r}"
        e = r.error()
        assert e is not None, f"no ERROR in stderr: {r.stderr!r}"
        return e

    def log_text(self):
        return self.cluster.log_text()


@pytest.fixture(scope="session")
def cluster():
    return existing()


@pytest.fixture(scope="session")
def jwt_secret():
    s = os.environ.get("PG_TEST_JWT_SECRET")
    if not s:
        pytest.fail("PG_TEST_JWT_SECRET is not set: run the Python tests through pg_test/run")
    return s


@pytest.fixture(scope="module")
def pg(cluster, request):
    name = request.module.__name__.rsplit(".", 1)[-1]
    cluster.createdb(name, extension="pgrst_jwt")
    yield Database(cluster, name)
    cluster.dropdb(name)


@pytest.fixture
def fresh_cluster():
    made = []

    def make(env=None, conf=None, start=True):
        c = Cluster(env=env, conf=conf)
        made.append(c)
        if start:
            c.start()
        return c

    yield make
    for c in made:
        c.cleanup()
