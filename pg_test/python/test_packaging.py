"""Packages (issue 10): `make package` (.ci/package) archives what .ci/install installs, with
paths from /, so that unpacking into / installs it; the Dockerfile builds with that same
script, and compose.yaml wires the auth example's Postgres (JWT_SECRET), PostgREST
(PGRST_JWT_SECRET) and Caddy. No Docker engine runs here: the Dockerfile and compose.yaml
are checked against the scripts and files they use, and the migrations are run the way the
postgres image's entrypoint runs /docker-entrypoint-initdb.d (each file by psql, no -1)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile

import pytest
import yaml

from auth_example_support import NO_PGCRYPTO, PostgREST, migration_files, pgcrypto_available
from cluster import Cluster

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
PG_CONFIG = os.path.join(PG_BIN, "pg_config")


def pg_config(flag: str) -> str:
    return subprocess.run([PG_CONFIG, flag], capture_output=True, text=True, check=True).stdout.strip()


def version() -> str:
    with open(os.path.join(ROOT, "Cargo.toml")) as f:
        return re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)


@pytest.fixture(scope="module")
def archive():
    major = re.search(r"PostgreSQL (\d+)", pg_config("--version")).group(1)
    tree = os.path.join(ROOT, "target", "package", f"pg{major}")
    built = os.path.exists(os.path.join(tree + pg_config("--pkglibdir"), "pgrst_jwt.so"))
    env = dict(os.environ, PG_CONFIG=PG_CONFIG)
    if built:  # the tree .ci/install just built and installed (pg_test/run does that first)
        env["PACKAGE_SKIP_BUILD"] = "1"
    p = subprocess.run(["bash", ".ci/package"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=1800)
    assert p.returncode == 0, p.stderr[-3000:]
    path = os.path.join(ROOT, p.stdout.strip().splitlines()[-1])
    assert os.path.basename(path).startswith(f"pgrst_jwt-{version()}-pg{major}-"), path
    return path


def test_archive_unpacks_into_the_postgresql_tree(archive):
    with tarfile.open(archive) as t:
        members = t.getmembers()
    names = {m.name for m in members}
    lib, ext = pg_config("--pkglibdir").lstrip("/"), pg_config("--sharedir").lstrip("/") + "/extension"
    v = version()
    # the library, the control files, the generated install script of this version, and
    # every hand-written script of sql/ (older install scripts, every update step)
    shipped = sorted(f for f in os.listdir(os.path.join(ROOT, "sql"))
                     if f.startswith(("pgrst_jwt--", "pgrst_jwt_pgjwt--", "pgrst_jwt_auth--")) and f.endswith(".sql"))
    assert f"pgrst_jwt_pgjwt--{v}.sql" in shipped and any(f.endswith(f"--{v}.sql") and f.count("--") == 2
                                                          for f in shipped), shipped
    want = {f"{lib}/pgrst_jwt.so", f"{ext}/pgrst_jwt.control", f"{ext}/pgrst_jwt--{v}.sql",
            f"{ext}/pgrst_jwt_pgjwt.control", f"{ext}/pgrst_jwt_auth.control",
            f"{ext}/pgrst_jwt_auth--{v}.sql"} | {f"{ext}/{f}" for f in shipped}
    assert want <= names, sorted(want - names)
    for m in members:
        # files only, relative, owned by root, readable by all, writable by root only
        assert m.isfile() and not m.name.startswith(("/", "../")) and ".." not in m.name.split("/")
        assert (m.uid, m.gid) == (0, 0) and m.mode & 0o444 == 0o444 and not m.mode & 0o022, m.name
    # what unpacking into / would write is exactly what is installed now
    with tarfile.open(archive) as t:
        for m in members:
            data = t.extractfile(m).read()
            with open("/" + m.name, "rb") as f:
                assert hashlib.sha256(f.read()).digest() == hashlib.sha256(data).digest(), m.name
    sums = open(os.path.join(os.path.dirname(archive), "SHA256SUMS")).read()
    with open(archive, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() + "  ./" + os.path.basename(archive) in sums


def test_dockerfile_builds_with_the_ci_script_and_ships_its_output():
    text = open(os.path.join(ROOT, "Dockerfile")).read()
    stages = re.findall(r"^FROM (\S+)(?: AS (\S+))?$", text, re.M)
    assert stages == [("postgres:${PG_MAJOR}-bookworm", "builder"), ("postgres:${PG_MAJOR}-bookworm", "")]
    default = re.search(r"^ARG PG_MAJOR=(\d+)$", text, re.M).group(1)
    assert default in ("15", "18"), "the default image must be a tested PostgreSQL version"
    assert 'bash .ci/package' in text and "COPY --from=builder /out/ /" in text
    pins = dict(re.findall(r"^ARG (RUST_VERSION|CARGO_PGRX_VERSION)=(\S+)$", text, re.M))
    cargo = open(os.path.join(ROOT, "Cargo.toml")).read()
    assert f'pgrx = "={pins["CARGO_PGRX_VERSION"]}"' in cargo
    assert pins["RUST_VERSION"].startswith(re.search(r'rust-version = "([^"]+)"', cargo).group(1))
    ignored = open(os.path.join(ROOT, ".dockerignore")).read().split()
    assert "target/" in ignored and ".git/" in ignored


def test_compose_wires_the_auth_example():
    compose = yaml.safe_load(open(os.path.join(ROOT, "compose.yaml")))
    s = compose["services"]
    assert set(s) == {"db", "postgrest", "caddy"}
    assert s["db"]["environment"]["JWT_SECRET"].startswith("${JWT_SECRET")
    assert s["postgrest"]["environment"]["PGRST_JWT_SECRET"] == "${JWT_SECRET}"
    assert s["db"]["build"]["context"] == "."
    volumes = {v.split(":")[1]: v.split(":")[0] for v in s["db"]["volumes"] + s["caddy"]["volumes"]}
    assert volumes["/docker-entrypoint-initdb.d"] == "./examples/postgrest-auth/migrations"
    assert volumes["/etc/caddy/Caddyfile"] == "./examples/postgrest-auth/Caddyfile"
    assert volumes["/srv/web"] == "./examples/postgrest-auth/web"
    assert s["caddy"]["environment"]["WEB_ROOT"] == "/srv/web"
    for src in ("./examples/postgrest-auth/migrations", "./examples/postgrest-auth/Caddyfile"):
        assert os.path.exists(os.path.join(ROOT, src))
    caddyfile = open(os.path.join(ROOT, "examples/postgrest-auth/Caddyfile")).read()
    for name in s["caddy"]["environment"]:
        assert "{$" + name in caddyfile, name
    pre = s["postgrest"]["environment"]["PGRST_DB_PRE_REQUEST"]
    migrations = "".join(open(f).read() for f in migration_files())
    assert re.search(rf"CREATE (OR REPLACE )?FUNCTION {re.escape(pre)}\(", migrations), pre
    assert s["postgrest"]["environment"]["PGRST_DB_SCHEMAS"] == "api"
    assert s["postgrest"]["environment"]["PGRST_DB_ANON_ROLE"] == "anon"


def test_migrations_run_as_the_image_entrypoint_runs_them(tmp_path):
    """docker-entrypoint.sh runs each file with psql -v ON_ERROR_STOP=1, no -1, with the
    container's environment: the example must work that way too."""
    c = Cluster(env={"JWT_SECRET": "compose-like-secret-0123456789-abcdefghij"},
                conf={"shared_preload_libraries": "pgrst_jwt"})
    c.start()
    if not pgcrypto_available(c):
        c.cleanup()
        pytest.skip(NO_PGCRYPTO)
    try:
        os.environ["AUTHENTICATOR_PASSWORD"] = "compose-like-password"
        try:
            for f in migration_files():
                c.psql(file=f)
        finally:
            del os.environ["AUTHENTICATOR_PASSWORD"]
        assert c.one("SELECT configured FROM extensions.jwt_secret_status()") == "t"
        api = PostgREST(c, "postgres", "compose-like-secret-0123456789-abcdefghij")
        try:
            r = api.rpc("signup", {"email": "compose@example.com", "password": "a good long password"})
            assert r.status == 200, r
            r = api.rpc("login", {"email": "compose@example.com", "password": "a good long password"})
            assert r.status == 200 and "access_token" in r.body, r
        finally:
            api.close()
    finally:
        c.cleanup()


def documented_unpack_options() -> list:
    """The options of the unpack command README.md and .ci/package document
    (`sudo tar -C / OPTIONS pgrst_jwt-….tar.gz`): both must give the same."""
    found = []
    for name in ("README.md", ".ci/package"):
        text = open(os.path.join(ROOT, name)).read()
        cmds = re.findall(r"sudo tar -C / (.+?) pgrst_jwt-[0-9.]+-pg\d+-\w+\.tar\.gz", text)
        assert cmds, f"no unpack command in {name}"
        found += cmds
    assert len(set(found)) == 1, found
    return found[0].split()


def test_documented_unpack_replaces_each_file_by_a_new_one(archive, tmp_path):
    """Unpacking over an installed build must not rewrite a file in place: a backend has
    pgrst_jwt.so mapped, and a library changing under it crashes it. GNU tar (and bsdtar)
    unlink the old file and create a new one; `--overwrite` would write into the old inode.
    Each file is checked through a hard link to the old one, which must keep its content."""
    with tarfile.open(archive) as t:
        members = {m.name: t.extractfile(m).read() for m in t.getmembers()}

    def unpack(opts, root):
        held = {}
        for name in members:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"the installed build\n")
            held[name] = (root / (name.replace("/", "_") + ".held"), path.stat().st_ino)
            os.link(path, held[name][0])
        p = subprocess.run(["tar", "-C", str(root), *opts, archive], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        # per file: a new inode, the old one untouched, the archive's content at the path
        return {name: ((root / name).stat().st_ino != ino,
                       held_path.read_bytes() == b"the installed build\n",
                       (root / name).read_bytes() == members[name])
                for name, (held_path, ino) in held.items()}

    opts = documented_unpack_options()
    assert "--overwrite" not in opts
    for name, (new_inode, old_kept, new_content) in unpack(opts, tmp_path / "documented").items():
        assert new_inode and old_kept and new_content, (name, opts)
    # the check can tell: --overwrite writes into the old file
    overwritten = unpack([*opts[:-1], "--overwrite", opts[-1]], tmp_path / "overwrite")
    assert not any(new_inode or old_kept for new_inode, old_kept, _ in overwritten.values())


def meta() -> dict:
    with open(os.path.join(ROOT, "META.json")) as f:
        return json.load(f)


def control_default_version(name: str) -> str:
    text = open(os.path.join(ROOT, f"{name}.control")).read()
    v = re.search(r"^default_version = '([^']+)'", text, re.M).group(1)
    return version() if v == "@CARGO_VERSION@" else v


def test_meta_json_versions_and_files():
    m = meta()
    assert m["name"] == "pgrst_jwt" and m["version"] == version()
    assert m["license"] == "mit" and "MIT License" in open(os.path.join(ROOT, "LICENSE")).read()
    assert set(m["provides"]) == {"pgrst_jwt", "pgrst_jwt_pgjwt", "pgrst_jwt_auth"}
    for ext, p in m["provides"].items():
        assert p["version"] == control_default_version(ext), ext
        assert os.path.isfile(os.path.join(ROOT, p["file"])) and os.path.isfile(os.path.join(ROOT, p["docfile"]))
    # the oldest PostgreSQL the README declares (the Cargo features pg13 … pg18)
    oldest = min(int(f[2:]) for f in re.findall(r"^(pg\d+) =", open(os.path.join(ROOT, "Cargo.toml")).read(), re.M))
    assert m["prereqs"]["runtime"]["requires"]["PostgreSQL"] == f"{oldest}.0.0"
    assert m["meta-spec"]["version"] == "1.0.0"


def pgxn_validator():
    return shutil.which("pgxn_meta") or next(
        (p for p in [os.path.expanduser("~/.cargo/bin/pgxn_meta")] if os.access(p, os.X_OK)), None)


def test_meta_json_passes_pgxn_validator(tmp_path):
    """PGXN's own validator (the crate pgxn_meta's binary, .ci/setup-pgxn installs it): META.json
    passes, and a copy without its license does not (the validator does check)."""
    bin_ = pgxn_validator()
    if not bin_:
        pytest.skip("pgxn_meta is not installed (bash .ci/setup-pgxn)")
    p = subprocess.run([bin_, os.path.join(ROOT, "META.json")], capture_output=True, text=True)
    assert p.returncode == 0 and "is OK" in p.stdout, p.stdout + p.stderr
    broken = meta()
    del broken["license"]
    (tmp_path / "META.json").write_text(json.dumps(broken))
    p = subprocess.run([bin_, str(tmp_path / "META.json")], capture_output=True, text=True)
    assert p.returncode != 0 and "license" in p.stderr, p.stdout + p.stderr
