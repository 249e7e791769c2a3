"""The peers' code vendored under pg_test/peers/ (pgjwt), installed for a test as an
extension of the cluster's PostgreSQL and removed afterwards."""

from __future__ import annotations

import os
import subprocess

import pytest

PEERS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers", "pgjwt"))


def read(name):
    with open(os.path.join(PEERS, name)) as f:
        return f.read()


def extension_dir(cluster) -> str:
    share = subprocess.run([os.path.join(cluster.bin, "pg_config"), "--sharedir"],
                           capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(share, "extension")


@pytest.fixture
def pgjwt_files(cluster):
    """Installs a pgjwt (control file and 0.2.0 script) given as texts; removed afterwards."""
    ext = extension_dir(cluster)
    paths = [os.path.join(ext, "pgjwt.control"), os.path.join(ext, "pgjwt--0.2.0.sql")]
    assert not any(os.path.exists(p) for p in paths), "a pgjwt is installed here already"

    def install(control: str, script: str):
        for path, text in zip(paths, (control, script)):
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o644)

    yield install
    for p in paths:
        if os.path.exists(p):
            os.remove(p)


