"""The CLI's error boundary (core.cli.boundary): Ctrl-C, the operating system's refusals, and faults in
chosync itself each end as ``error:`` plus ``fix:`` and their exit code; a fault's traceback goes to a
crash log, never to the terminal."""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.cli.boundary import crash_folder
from core.errors import ConfigError, IOFailure, RetryableError
from core.store_errors import store_error
from tests.catalog_files import make_rows, write_csv
from tests.test_cli_errors import explained

Invoke = Callable[..., tuple[int, str, str]]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _crash_logs_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHOSYNC_HOME", str(tmp_path / "home"))


@pytest.fixture
def seller(run_cli: Invoke) -> None:
    assert run_cli("sellers", "add", "HTX-DANTIEN", "--name", "Dân Tiến")[0] == 0


def _raise(exc: BaseException) -> Callable[..., Any]:
    def raiser(*_args: Any, **_kwargs: Any) -> Any:
        raise exc

    return raiser


@pytest.mark.usefixtures("seller")
def test_ctrl_c_during_an_import_writes_nothing(
    run_cli: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Every row is written (inside the import's transaction) by the time the last step is interrupted.
    monkeypatch.setattr("core.catalog.importer.touch_products", _raise(KeyboardInterrupt()))
    path = write_csv(tmp_path / "c.csv", make_rows(30, 2))
    explained(run_cli("catalog", "import", str(path)), 130, "error: interrupted", "nothing is half-written")
    assert json.loads(run_cli("catalog", "list", "--json")[1]) == []


@pytest.mark.usefixtures("seller")
@pytest.mark.parametrize(
    ("error", "exit_code", "phrases"),
    [
        (PermissionError(errno.EACCES, "Permission denied", "/srv/exports"), 74, ("permission denied: /srv/exports",)),
        (
            OSError(errno.EROFS, "Read-only file system", "/mnt/usb"),
            74,
            ("cannot write /mnt/usb: the disk is read-only",),
        ),
        (
            OSError(errno.ENOSPC, "No space left on device", "/srv/x.csv"),
            74,
            ("the disk is full: cannot write /srv/x.csv",),
        ),
        (
            OSError(errno.EIO, "Input/output error", "/srv/x.csv"),
            74,
            ("cannot read or write /srv/x.csv: Input/output",),
        ),
        (OSError(errno.ENOSPC, "No space left on device"), 74, ("the disk is full: cannot write a file",)),
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "/srv/gone"), 2, ("no such file or folder",)),
    ],
    ids=["permission", "read-only", "disk-full", "io", "disk-full-unnamed", "not-found"],
)
def test_the_system_refusing_a_write_names_the_file(
    run_cli: Invoke,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    error: OSError,
    exit_code: int,
    phrases: tuple[str],
) -> None:
    monkeypatch.setattr("core.catalog.exporter._write_csv", _raise(error))
    target = tmp_path / "out" / "catalog.csv"
    explained(run_cli("catalog", "export", str(target)), exit_code, *phrases)
    assert list(target.parent.iterdir()) == []  # the export is whole or absent: no part-written file


@pytest.mark.usefixtures("seller")
def test_a_fault_in_chosync_prints_one_line_and_keeps_the_traceback_in_a_crash_log(
    run_cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = RuntimeError("listing broke: access_token=tok-SECRET-1 on postgresql://chosync:pa55word@db/chosync\nmore")
    monkeypatch.setattr("core.cli.catalog.iter_products", _raise(fault))
    err = explained(run_cli("catalog", "list"), 70, "error: unexpected failure (RuntimeError: listing broke:")
    [log] = crash_folder().iterdir()
    assert str(log) in err
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    details = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in details
    assert "command: chosync catalog list" in details
    assert "iter_products" not in err  # the traceback stays in the file
    for secret in ("tok-SECRET-1", "pa55word"):
        assert secret not in err
        assert secret not in details


def test_a_crash_log_goes_to_the_temporary_folder_when_chosync_home_cannot_hold_it(
    run_cli: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("CHOSYNC_HOME", str(blocker))  # logs/ cannot be made under a file
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr("core.cli.sellers.list_sellers", _raise(ValueError("bad")))
    err = explained(run_cli("sellers", "list"), 70, "unexpected failure (ValueError: bad)", str(tmp_path / "tmp"))
    assert "chosync-logs-" in err


def test_the_crash_folder_follows_chosync_home_else_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHOSYNC_HOME", "/srv/chosync")
    assert crash_folder() == Path("/srv/chosync/logs")
    monkeypatch.delenv("CHOSYNC_HOME")
    monkeypatch.setenv("XDG_STATE_HOME", "/home/op/.state")
    assert crash_folder() == Path("/home/op/.state/chosync/logs")


@pytest.mark.parametrize(
    ("message", "kind", "phrase"),
    [
        ("file is not a database", ConfigError, "is not a chosync database"),
        ("database disk image is malformed", IOFailure, "is damaged"),
        ("attempt to write a readonly database", IOFailure, "is read-only"),
        ("database or disk is full", IOFailure, "is full"),
        ("database is locked", RetryableError, "stayed busy"),
        ("unable to open database file", IOFailure, "cannot open the database file"),
        ("disk I/O error", IOFailure, "failed: disk I/O error"),
    ],
)
def test_sqlite_errors_mean_what_they_say(message: str, kind: type[Exception], phrase: str) -> None:
    found = store_error(sqlite3.OperationalError(message), "/data/chosync.db")
    assert isinstance(found, kind)
    assert phrase in found.message
    assert found.hint


def test_a_database_error_that_is_a_fault_in_chosync_is_left_for_the_crash_log() -> None:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    assert store_error(sqlite3.OperationalError("no such table: widget"), "x.db") is None
    assert store_error(ProgrammingError("SELECT", {}, Exception('relation "widget" does not exist')), "pg") is None
    refused = store_error(OperationalError("connect", {}, Exception("connection refused\ndetail")), "pg://h/db")
    assert isinstance(refused, ConfigError)
    assert refused.message == "cannot open the database pg://h/db: connection refused"
    assert store_error(ValueError("file is not a database"), "x.db") is None


def _chosync(*args: str, tmp_path: Path, probe: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "CHOSYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "CHOSYNC_HOME": str(tmp_path),
           "COLUMNS": "120"}  # fmt: skip
    command = [sys.executable, "-m", "core.cli", *args] if probe is None else [sys.executable, "-c", probe, *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_no_traceback_reaches_the_terminal_of_a_real_process(tmp_path: Path) -> None:
    renamed = tmp_path / "catalog.xlsx"
    renamed.write_text("seller_code,product_sku\nHTX-A,GAO\n", encoding="utf-8")
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("not a database\n" * 50)
    for args, exit_code in [
        (("catalog", "import", str(renamed), "--seller", "HTX-A"), 1),
        (("--database-url", f"sqlite:///{not_a_database}", "status"), 2),
        (("--database-url", "mysql://chosync@localhost/chosync", "status"), 2),
    ]:
        process = _chosync(*args, tmp_path=tmp_path)
        out, err = process.communicate(timeout=60)
        assert process.returncode == exit_code
        assert "Traceback" not in out + err
        assert "\nfix: " in err
        assert err.startswith("error: ")


# Waits in the middle of a command, as a long import or sync does, until the test presses Ctrl-C.
_WAITS = """
import sys, time
import core.cli.sellers
def wait(*args, **kwargs):
    print("waiting", flush=True)
    time.sleep(60)
core.cli.sellers.list_sellers = wait
from core.cli import run
sys.exit(run(sys.argv[1:]))
"""


def test_ctrl_c_in_a_real_process(tmp_path: Path) -> None:
    process = _chosync("sellers", "list", tmp_path=tmp_path, probe=_WAITS)
    assert process.stdout is not None
    assert process.stdout.readline() == "waiting\n"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in out + err
    assert err.startswith("error: interrupted\nfix: ")
