"""A throwaway PostgreSQL cluster for the test session, or the server CHOSYNC_TEST_POSTGRES_URL names.

The cluster lives in a temporary folder, listens on a free loopback port, and is stopped and deleted
when the session ends. PostgreSQL refuses to run as root, so when the tests run as root (as CI does)
the server runs as the unprivileged ``nobody`` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

__all__ = ["PostgresServer", "find_bindir", "postgres_server"]


def find_bindir() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, or Debian's versioned folder (newest first)."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A server the tests may create databases on; ``how`` says where it came from, for the report."""

    def __init__(self, admin_url: str, how: str) -> None:
        self.admin_url = admin_url
        self.how = how
        self._template: str | None = None

    def _conninfo(self, database: str | None = None) -> str:
        url = make_url(self.admin_url)
        if database is not None:
            url = url.set(database=database)
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _url(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def migrated_template(self, migrate: Callable[[str], None]) -> str:
        """A database ``migrate`` brought to the schema once per session; tests get copies of it."""
        if self._template is None:
            name = f"chosync_template_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(self._conninfo(), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            migrate(self._url(name))  # must leave no connection open: a template is copied only when idle
            self._template = name
        return self._template

    def drop_template(self) -> None:
        if self._template is not None:
            with psycopg.connect(self._conninfo(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
            self._template = None

    @contextmanager
    def database(self, *, template: str | None = None) -> Iterator[str]:
        """A fresh database for one test (empty, or a copy of ``template``); dropped afterwards."""
        name = f"chosync_test_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self._conninfo(), autocommit=True) as conn:
            if conn.info.server_version >= 150000:
                # PostgreSQL 15's default (WAL_LOG) writes the copy through the WAL: ~8x slower for a small
                # database than copying its files, which is what a test database needs.
                copy += " STRATEGY FILE_COPY"
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        try:
            yield self._url(name)
        finally:
            with psycopg.connect(self._conninfo(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "nobody", "--", *argv]


def _fast_dir() -> str | None:
    """Memory (tmpfs) when the machine has it: every test database is a file-by-file copy of the template,
    hundreds of small files, which a disk-backed /tmp makes several times slower."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return None
    free = os.statvfs(shm)
    # A container's default /dev/shm is 64 MB: too small for a cluster and its test databases.
    return str(shm) if free.f_bavail * free.f_frsize >= 2 * 1024**3 else None


@contextmanager
def _throwaway_cluster(bindir: Path) -> Iterator[PostgresServer]:
    root = Path(tempfile.mkdtemp(prefix="chosync-pg-", dir=_fast_dir()))
    data = root / "data"
    port = _free_port()
    if os.geteuid() == 0:
        shutil.chown(root, user="nobody")
        root.chmod(0o700)
    log = root / "server.log"
    try:
        subprocess.run(
            _as_server_user(
                [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--locale=C", "--no-sync"]
            ),
            check=True, capture_output=True,
        )  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_server_user(
                [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]
            ),
            check=True, capture_output=True,
        )  # fmt: skip
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres").close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        version = subprocess.run(
            [str(bindir / "initdb"), "--version"], check=True, capture_output=True, text=True
        ).stdout.strip()
        yield PostgresServer(url, f"throwaway cluster ({version}) on 127.0.0.1:{port}")
    finally:
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[PostgresServer | str]:
    """The server to test on, or the reason there is none (a string)."""
    named = os.environ.get("CHOSYNC_TEST_POSTGRES_URL")
    if named:
        server = PostgresServer(named, "CHOSYNC_TEST_POSTGRES_URL")
        try:
            yield server
        finally:
            server.drop_template()  # a server we do not own keeps nothing of ours
        return
    bindir = find_bindir()
    if bindir is None:
        yield "no PostgreSQL binaries found (install postgresql, or set CHOSYNC_TEST_POSTGRES_URL)"
        return
    with _throwaway_cluster(bindir) as server:
        yield server
