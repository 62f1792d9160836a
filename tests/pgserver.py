"""A throwaway PostgreSQL server for the test session: Debian's `postgresql` binaries,
a cluster in a temporary folder, a unix socket only (no TCP port to collide on).

The server refuses to run as root (and CI runs as root): then initdb and pg_ctl run as
the `postgres` account the Debian package creates (else `nobody`), through setpriv.
Missing binaries are an error, never a skip: `make test` installs the package.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

MISSING = ("PostgreSQL server not found (initdb/pg_ctl): the PostgreSQL tests need Debian's "
           "`postgresql` package; `make test` installs it, or run: apt-get install postgresql")


_WATCHDOG = """
import json, os, shutil, subprocess, sys, time
parent, root, pg_ctl = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
while True:
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
    time.sleep(1)
subprocess.run([*pg_ctl, "-D", root + "/data", "-m", "immediate", "-w", "stop"],
               capture_output=True)
shutil.rmtree(root, ignore_errors=True)
"""


class PgServerError(RuntimeError):
    """The test cluster could not be set up (one line says why)."""


def bindir() -> Path:
    """Where initdb and pg_ctl are: PATH, else Debian's versioned folder (newest)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                  key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not dirs:
        raise PgServerError(MISSING)
    return Path(dirs[-1]).parent


def _runner() -> tuple[list[str], int | None, int | None]:
    """The command prefix running a program as an unprivileged user, and that user's ids."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return ([shutil.which("setpriv") or "setpriv", f"--reuid={pw.pw_uid}",
                 f"--regid={pw.pw_gid}", "--clear-groups", "--"], pw.pw_uid, pw.pw_gid)
    raise PgServerError("running as root and no `postgres` or `nobody` account to run the "
                        "PostgreSQL server as (it refuses root)")


class PgServer:
    """One cluster; `database()` hands out a fresh empty database's URL."""

    def __init__(self) -> None:
        self.bin = bindir()
        self.prefix, uid, gid = _runner()
        self.root = Path(tempfile.mkdtemp(prefix="wearlog-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.sock.mkdir()
        if uid is not None:
            for p in (self.root, self.sock):
                os.chown(p, uid, gid if gid is not None else -1)
            os.chmod(self.root, 0o700)
        self.user = "wearlog"
        self._n = 0
        self._run("initdb", "-D", str(self.data), "-U", self.user, "-A", "trust",
                  "--no-locale", "-E", "UTF8", "--no-sync")
        opts = (f"-k {self.sock} -c listen_addresses='' -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l",
                  str(self.root / "server.log"), "-w", "-t", "60", "start")
        # a test process killed outright runs no finaliser: a watchdog stops the server
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self.root),
             json.dumps([*self.prefix, str(self.bin / "pg_ctl")])],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def _run(self, prog: str, *args: str) -> None:
        cmd = [*self.prefix, str(self.bin / prog), *args]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root, check=False)
        if r.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise PgServerError(f"{prog} failed ({r.returncode}): {r.stderr.strip()}\n{tail}")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@/{dbname}?host={self.sock}"

    def database(self, template: str | None = None) -> str:
        """A new database (its own name, so tests never see each other's rows): empty, or
        a copy of the database at URL `template` (no connection may be open to it)."""
        self._n += 1
        name = f"t{os.getpid()}_{self._n}_{uuid.uuid4().hex[:6]}"
        import psycopg

        tpl = "" if template is None else f" TEMPLATE {template.split('?')[0].rsplit('/', 1)[1]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}{tpl}")
        return self.url(name)

    def stop(self) -> None:
        self._watchdog.kill()
        self._watchdog.wait()
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
