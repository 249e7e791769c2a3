"""Throw-away PostgreSQL clusters for the pgrst_jwt Python tests.

Two kinds of handle share one interface (``psql``, ``createdb``, ``log_text``,
``start``/``stop``/``restart``):

* ``Cluster(env, conf)``: initdb's and runs its OWN cluster in a temp dir, for tests
  that need a restart, special settings or a particular server environment.
* ``existing()``: the cluster ``pg_test/run`` started (``PGHOST``/``PGPORT``).

PostgreSQL refuses to run as root, so when we are root the server binaries (initdb,
pg_ctl) run as ``postgres`` through ``sudo -u postgres`` and the temp dir is owned by
``postgres``; otherwise they run as the current user. Clients (psql) run as we are and
connect over a Unix socket with trust authentication.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Mapping, Optional

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
SERVER_USER = "postgres"


def is_root() -> bool:
    return os.geteuid() == 0


def free_port() -> int:
    """A TCP port nobody listens on now (the socket file name uses it too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What a server log says after a backend crashed, a PANIC or a failed assertion.
CRASH = re.compile(r"\b(PANIC|TRAP): |terminated by signal|terminated by exception|"
                   r"server process \(PID \d+\) exited with exit code [2-9]")


def crash_lines(log: str) -> list:
    """The lines of a server log that show a crash (empty when there was none)."""
    return [line for line in log.splitlines() if CRASH.search(line)]


def record_crashes(where: str, log: str) -> list:
    """crash_lines(log), also appended to $PG_TEST_CRASHES (pg_test/run reports them)."""
    lines = crash_lines(log)
    path = os.environ.get("PG_TEST_CRASHES")
    if lines and path:
        with open(path, "a") as f:
            f.write("".join(f"{where}: {line}\n" for line in lines))
    return lines


def literal(value: str) -> str:
    """A SQL string literal (standard_conforming_strings is on)."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PsqlError(Exception):
    """psql exited non-zero while check=True."""

    def __init__(self, result: "PsqlResult"):
        self.result = result
        super().__init__(
            f"psql exited {result.returncode}\n--- stderr ---\n{result.stderr}"
            f"--- stdout ---\n{result.stdout}"
        )


@dataclass
class PsqlResult:
    """Like subprocess.CompletedProcess: stdout, stderr, returncode (+ helpers)."""

    args: list
    returncode: int
    stdout: str
    stderr: str

    @property
    def out(self) -> str:
        """stdout without the final newline."""
        return self.stdout.rstrip("\n")

    @property
    def lines(self) -> list:
        return self.stdout.splitlines()

    def error(self) -> Optional["PgError"]:
        """The first ERROR psql printed, parsed (run with VERBOSITY verbose for a SQLSTATE)."""
        return PgError.parse(self.stderr)

    def check_returncode(self) -> None:
        if self.returncode != 0:
            raise PsqlError(self)


@dataclass
class PgError:
    sqlstate: Optional[str]
    message: str
    detail: Optional[str]

    _ERR = re.compile(r"^(?:psql:[^\n]*?: )?ERROR:  (?:([0-9A-Z]{5}): )?(.*)$", re.M)
    _DETAIL = re.compile(r"^DETAIL:  (.*)$", re.M)

    @classmethod
    def parse(cls, stderr: str) -> Optional["PgError"]:
        m = cls._ERR.search(stderr)
        if not m:
            return None
        rest = stderr[m.end():]
        d = cls._DETAIL.search(rest)
        # DETAIL belongs to this error only if it comes before the next ERROR
        nxt = cls._ERR.search(rest)
        detail = d.group(1) if d and (not nxt or d.start() < nxt.start()) else None
        return cls(m.group(1), m.group(2), detail)


class _Client:
    """What both kinds of cluster share: connecting with psql."""

    host: str
    port: int
    bin: str = PG_BIN

    def psql(
        self,
        sql: Optional[str] = None,
        db: str = "postgres",
        user: str = "postgres",
        check: bool = True,
        single_transaction: bool = False,
        file: Optional[str] = None,
        vars: Optional[Mapping[str, str]] = None,
        verbose_errors: bool = False,
        timeout: float = 120,
    ) -> PsqlResult:
        """Run SQL (a psql script, meta-commands allowed) or a file with the real psql.

        ``vars`` become psql variables (``-v name=value``): use ``:'name'`` in the SQL to
        get a safely quoted literal. ``verbose_errors`` sets VERBOSITY verbose so that
        ``result.error().sqlstate`` is filled in.
        """
        if (sql is None) == (file is None):
            raise ValueError("give exactly one of sql and file")
        args = [
            os.path.join(self.bin, "psql"), "-X", "-q", "-At",
            "-v", "ON_ERROR_STOP=1",
            "-h", self.host, "-p", str(self.port), "-U", user, "-d", db,
        ]
        for k, v in (vars or {}).items():
            args += ["-v", f"{k}={v}"]
        if single_transaction:
            args.append("-1")
        if verbose_errors:
            sql = "\\set VERBOSITY verbose\n" + (sql if sql is not None else f"\\i {file}\n")
            file = None
        if file is not None:
            args += ["-f", file]
            stdin = None
        else:
            args += ["-f", "-"]
            stdin = sql
        env = dict(os.environ, PGAPPNAME="pgrst_jwt_tests", PGCONNECT_TIMEOUT="10")
        env.pop("PGDATABASE", None)
        p = subprocess.run(
            args, input=stdin, capture_output=True, text=True, env=env, timeout=timeout
        )
        r = PsqlResult(args, p.returncode, p.stdout, p.stderr)
        if check:
            r.check_returncode()
        return r

    def one(self, sql: str, **kw) -> str:
        """The output of a single-value query, without the final newline."""
        return self.psql(sql, **kw).out

    def createdb(self, name: str, extension: Optional[str] = None, drop: bool = True) -> str:
        """Create database ``name`` (dropped first if it exists); optionally CREATE EXTENSION in it."""
        if drop:
            self.psql(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")
        self.psql(f"CREATE DATABASE {ident(name)}")
        if extension:
            self.psql(f"CREATE EXTENSION {ident(extension)}", db=name)
        return name

    def dropdb(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")

    def is_ready(self) -> bool:
        p = subprocess.run(
            [os.path.join(self.bin, "pg_isready"), "-q", "-h", self.host, "-p", str(self.port)],
            capture_output=True,
        )
        return p.returncode == 0


def _as_server_user(args: list, env: Optional[Mapping[str, str]] = None) -> list:
    """Prefix a server command so that it runs as postgres (when root) with ``env``."""
    envargs = [f"{k}={v}" for k, v in (env or {}).items()]
    if is_root():
        return ["sudo", "-n", "-u", SERVER_USER, "env", *envargs, *args]
    return ["env", *envargs, *args] if envargs else list(args)


def _conf_line(name: str, value) -> str:
    if isinstance(value, bool):
        value = "on" if value else "off"
    elif not isinstance(value, (int, float)):
        value = "'" + str(value).replace("'", "''") + "'"
    return f"{name} = {value}"


class Cluster(_Client):
    """A throw-away cluster of its own: temp dir, free port, Unix socket only.

    ``env``: extra environment of the postmaster (e.g. ``{"JWT_SECRET": ...}``).
    ``conf``: settings appended to postgresql.conf (values written as given if they are
    numbers/booleans, quoted otherwise).
    Usable as a context manager; ``cleanup()`` stops it and removes the directory.
    """

    def __init__(self, env: Optional[dict] = None, conf: Optional[dict] = None,
                 bin: str = PG_BIN, port: Optional[int] = None):
        self.env = dict(env or {})
        self.conf = dict(conf or {})
        self.bin = bin
        self.base = tempfile.mkdtemp(prefix="pgrst_jwt_cluster_")
        os.chmod(self.base, 0o700)
        if is_root():
            pw = pwd.getpwnam(SERVER_USER)
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        self.datadir = os.path.join(self.base, "data")
        self.host = self.base  # the socket directory
        self.port = port or free_port()
        self.logfile = os.path.join(self.base, "server.log")
        self._initialized = False
        self.running = False

    # ---- server side
    def _run(self, args: list, env: Optional[Mapping[str, str]] = None, check=True):
        p = subprocess.run(_as_server_user(args, env), capture_output=True, text=True,
                           cwd=self.base, timeout=180)
        if check and p.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} exited {p.returncode}\n{p.stdout}{p.stderr}\n"
                f"--- server log ---\n{self.log_text()}"
            )
        return p

    def initdb(self) -> None:
        self._run([os.path.join(self.bin, "initdb"), "-D", self.datadir, "-U", "postgres",
                   "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
        lines = ["\n# pgrst_jwt test cluster", "fsync = off"]
        lines += [_conf_line(k, v) for k, v in self.conf.items()]
        self._append_conf("\n".join(lines) + "\n")
        self._initialized = True

    def _append_conf(self, text: str) -> None:
        path = os.path.join(self.datadir, "postgresql.conf")
        # root may write the file directly; ownership is unchanged by appending
        with open(path, "a") as f:
            f.write(text)

    def set_conf(self, **settings) -> None:
        """Append settings to postgresql.conf (take effect on restart/reload)."""
        self.conf.update(settings)
        self._append_conf("".join(_conf_line(k, v) + "\n" for k, v in settings.items()))

    def start(self) -> "Cluster":
        if not self._initialized:
            self.initdb()
        opts = f"-p {self.port} -k {self.host} -c listen_addresses=''"
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.datadir, "-l", self.logfile,
                   "-w", "-t", "60", "-o", opts, "start"], env=self.env)
        self.running = True
        return self

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.datadir, "-w",
                       "-m", mode, "stop"], check=False)
            self.running = False

    def restart(self, env: Optional[dict] = None) -> "Cluster":
        """Stop and start again; ``env`` replaces the postmaster environment if given."""
        if env is not None:
            self.env = dict(env)
        self.stop()
        return self.start()

    def reload(self) -> None:
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.datadir, "reload"])

    def log_text(self) -> str:
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def cleanup(self) -> None:
        """Stop and remove the cluster; fail if its log shows a crash (no test may crash
        a server: issue 8)."""
        self.stop(mode="immediate")
        crashes = record_crashes(self.base, self.log_text())
        shutil.rmtree(self.base, ignore_errors=True)
        assert not crashes, "the server crashed:\n" + "\n".join(crashes[:10])

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()


class ExistingCluster(_Client):
    """The cluster pg_test/run started. ``restart()`` works when PG_TEST_DATADIR is set,
    but restarting the shared cluster affects every other test: prefer ``Cluster``."""

    def __init__(self, host: str, port: int, logfile: Optional[str], datadir: Optional[str],
                 bin: str = PG_BIN):
        self.host, self.port, self.logfile, self.datadir, self.bin = host, port, logfile, datadir, bin

    def log_text(self) -> str:
        if not self.logfile:
            return ""
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def _pg_ctl(self, *args: str, env: Optional[Mapping[str, str]] = None) -> None:
        if not self.datadir:
            raise RuntimeError("PG_TEST_DATADIR is not set: cannot control the shared cluster")
        p = subprocess.run(_as_server_user([os.path.join(self.bin, "pg_ctl"), "-D", self.datadir,
                                            *args], env), capture_output=True, text=True, timeout=180)
        if p.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)} failed:\n{p.stdout}{p.stderr}")

    def _postmaster_env(self) -> dict:
        return {k: os.environ[k] for k in ("JWT_SECRET", "JWT_SECRET_B64") if k in os.environ}

    def start(self) -> "ExistingCluster":
        opts = f"-p {self.port} -k {self.host} -c listen_addresses=''"
        args = ["-w", "-t", "60", "-o", opts]
        if self.logfile:
            args += ["-l", self.logfile]
        self._pg_ctl(*args, "start", env=self._postmaster_env())
        return self

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def restart(self) -> "ExistingCluster":
        self.stop()
        return self.start()


def existing() -> ExistingCluster:
    """The cluster pg_test/run started, from PGHOST/PGPORT (and PG_TEST_LOG, PG_TEST_DATADIR)."""
    host = os.environ.get("PGHOST")
    port = os.environ.get("PGPORT")
    if not host or not port:
        raise RuntimeError("PGHOST/PGPORT are not set: run the Python tests through pg_test/run")
    return ExistingCluster(host, int(port), os.environ.get("PG_TEST_LOG"),
                           os.environ.get("PG_TEST_DATADIR"))


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
