"""pgjwt's own pgTAP suite (issue 18): pg_test/peers/pgjwt/test.sql, vendored unchanged, run
against real pgjwt 0.2 (its vendored install script, on pgcrypto) and against
pgrst_jwt_pgjwt, each in a database of its own: 23 of 23 assertions pass on both, with the
same TAP output.

test.sql runs ``CREATE EXTENSION pgcrypto; CREATE EXTENSION pgtap; CREATE EXTENSION
pgjwt;`` itself. For the drop-in run, ``pgjwt`` is a shim extension that requires
``pgrst_jwt_pgjwt`` (created first) and adds nothing, so that the file runs as it is."""

from __future__ import annotations

import os
import re

import pytest

from auth_example_support import pgcrypto_available
from peers_support import PEERS, extension_dir, pgjwt_files, read  # noqa: F401 (fixture)

SHIM_CONTROL = ("comment = 'test shim: pgjwt is pgrst_jwt_pgjwt'\ndefault_version = '0.2.0'\n"
                "relocatable = false\nrequires = 'pgrst_jwt_pgjwt'\n")
SHIM_SQL = '\\echo Use "CREATE EXTENSION pgjwt" to load this file. \\quit\n'


def run_suite(cluster, db, setup=""):
    cluster.createdb(db)
    if setup:
        cluster.psql(setup, db=db)
    r = cluster.psql(file=os.path.join(PEERS, "test.sql"), db=db, check=False)
    cluster.dropdb(db)
    tap = [line for line in r.stdout.splitlines() if re.match(r"^(not )?ok \d+|^1\.\.\d+", line)]
    return r, tap


def test_pgjwts_own_suite_passes_on_pgjwt_and_on_the_dropin(cluster, pgjwt_files):
    ext = extension_dir(cluster)
    if not os.path.exists(os.path.join(ext, "pgtap.control")):
        pytest.fail("pgTAP is not installed for this PostgreSQL (.ci/setup installs it)")
    if not pgcrypto_available(cluster):
        pytest.skip("this PostgreSQL has no pgcrypto, which pgjwt and its test.sql need")

    pgjwt_files(read("pgjwt.control"), read("pgjwt--0.2.0.sql"))
    real, real_tap = run_suite(cluster, "pgjwt_suite_real")
    assert real_tap and real_tap[0] == "1..23", real.stdout + real.stderr
    assert [t for t in real_tap if t.startswith("not ok")] == [], real.stdout
    assert len([t for t in real_tap if t.startswith("ok")]) == 23, real.stdout + real.stderr

    pgjwt_files(SHIM_CONTROL, SHIM_SQL)
    ours, ours_tap = run_suite(cluster, "pgjwt_suite_dropin", "CREATE EXTENSION pgrst_jwt_pgjwt CASCADE;")
    failed = [t for t in ours_tap if t.startswith("not ok")]
    assert failed == [], ours.stdout + ours.stderr
    assert ours_tap == real_tap, "\n".join(ours_tap)
