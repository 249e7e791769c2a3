"""README.md cannot break again: every ```sql block of it runs, in order, in one psql session
(``psql -X -q``, as the README says) as a superuser on a fresh cluster whose postmaster has
the JWT_SECRET the README's outputs assume; where an output block follows, psql's output
(aligned format; an ERROR block: the error psql prints) must be that block exactly, up to
trailing spaces at line ends. Blocks without an output block must run without any error
or warning."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from typing import Optional

import pytest

from auth_example_support import NO_PGCRYPTO, pgcrypto_available
from cluster import Cluster

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.normpath(os.path.join(HERE, "..", "..", "README.md"))
README_SECRET = "reallyreallyreallyreallyverysafe"
MARK = "@@readme-block-{}@@"
FENCE = re.compile(r"^```([A-Za-z0-9_-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


@dataclass
class Block:
    line: int            # where the ```sql fence is (1-based)
    sql: str
    expected: Optional[str]


def readme_blocks(text: str) -> list:
    """Every ```sql block, with the untagged fenced block right after it (only blank lines
    between) as its expected output."""
    fences = [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]
    blocks = []
    for i, (lang, body, start, end) in enumerate(fences):
        if lang != "sql":
            continue
        expected = None
        if i + 1 < len(fences):
            nlang, nbody, nstart, _ = fences[i + 1]
            if nlang == "" and text[end:nstart].strip() == "":
                expected = nbody
        blocks.append(Block(text.count("\n", 0, start) + 1, body, expected))
    return blocks


def normalize(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    while lines and lines[0] == "":
        lines.pop(0)
    return "\n".join(lines)


def split_by_marks(text: str, n: int) -> list:
    parts = []
    for i in range(n):
        before, sep, text = text.partition(MARK.format(i) + "\n")
        assert sep, f"block {i}: marker missing (an unterminated statement swallowed it?)"
        parts.append(before)
    return parts


def run_blocks(c: Cluster, db: str, blocks: list):
    """All blocks in one psql session; per block (stdout, stderr)."""
    script = []
    for i, b in enumerate(blocks):
        script.append(b.sql.rstrip("\n"))
        script.append(f"\\echo {MARK.format(i)}\n\\warn {MARK.format(i)}")
    args = [os.path.join(c.bin, "psql"), "-X", "-q", "-h", c.host, "-p", str(c.port),
            "-U", "postgres", "-d", db, "-f", "-"]
    env = dict(os.environ, PGCLIENTENCODING="UTF8", PGAPPNAME="pgrst_jwt_readme")
    for k in ("PGDATABASE", "PSQL_PAGER", "PAGER", "PGOPTIONS"):
        env.pop(k, None)
    p = subprocess.run(args, input="\n".join(script) + "\n", capture_output=True, text=True,
                       env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    out = split_by_marks(p.stdout, len(blocks))
    err = split_by_marks(p.stderr, len(blocks))
    # non-interactive psql prefixes its messages with psql:<stdin>:LINE:, pasting does not
    err = [re.sub(r"^psql:<stdin>:\d+: ", "", e, flags=re.M) for e in err]
    return list(zip(out, err))


@pytest.fixture(scope="module")
def readme():
    with open(README, encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def results(readme):
    blocks = readme_blocks(readme)
    c = Cluster(env={"JWT_SECRET": README_SECRET})
    c.start()
    if not pgcrypto_available(c):  # the quick start hashes passwords with pgcrypto
        c.cleanup()
        pytest.skip(NO_PGCRYPTO)
    try:
        c.createdb("readme")
        yield blocks, run_blocks(c, "readme", blocks)
    finally:
        c.cleanup()


def test_readme_has_the_blocks_it_promises(readme):
    blocks = readme_blocks(readme)
    assert len(blocks) >= 15, len(blocks)
    assert sum(b.expected is not None for b in blocks) >= 10
    sql = "\n".join(b.sql for b in blocks)
    # what the quick start must say before anything calls into the extension's schema
    assert "GRANT USAGE ON SCHEMA extensions TO" in sql
    assert "CREATE EXTENSION pgcrypto SCHEMA extensions" in sql
    assert "set_pgrst_secret_from_env(true)" not in readme
    assert "is_base64 => true" in readme
    assert f"JWT_SECRET={README_SECRET}" in readme
    for b in blocks:
        code = [re.sub(r"\s*--[^'\n]*$", "", line) for line in b.sql.strip().splitlines()]
        last = [line for line in code if line.strip()][-1]
        assert last.rstrip().endswith(";") or last.lstrip().startswith("\\"), \
            f"README.md:{b.line}: a block must end its last statement"


def test_every_sql_block_runs_and_prints_what_the_readme_shows(results):
    blocks, outcomes = results
    failures = []
    for b, (out, err) in zip(blocks, outcomes):
        if b.expected is None:
            if err.strip():
                failures.append(f"README.md:{b.line}: unexpected messages:\n{err}")
            continue
        actual = normalize(out + "\n" + err)
        if actual != normalize(b.expected):
            failures.append(f"README.md:{b.line}: expected\n{normalize(b.expected)}\n--- got\n{actual}")
    assert not failures, "\n\n".join(failures)


def test_errors_are_shown_only_where_the_readme_shows_them(results):
    blocks, outcomes = results
    for b, (out, err) in zip(blocks, outcomes):
        shows_error = b.expected is not None and "ERROR:" in b.expected
        assert ("ERROR:" in err) == shows_error, f"README.md:{b.line}: {err}"
