"""Shared fixtures: a fresh store on SQLite and on PostgreSQL, and the CLI runner."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.cli import run
from core.db import Store, open_store
from core.logs import configure_logging
from core.settings import LogFormat
from tests.postgres import PostgresServer, postgres_server

_server_stack = contextlib.ExitStack()
_server: PostgresServer | str | None = None


def _postgres() -> PostgresServer | str:
    global _server  # noqa: PLW0603 (one cluster for the whole session, started on first use)
    if _server is None:
        _server = _server_stack.enter_context(postgres_server())
    return _server


_worker_reports: list[str] = []  # with xdist: what each worker's session did about PostgreSQL


def _server_report() -> str | None:
    if _server is None:
        return None  # no test asked for PostgreSQL in this process
    return f"ran on a {_server.how}" if isinstance(_server, PostgresServer) else f"SKIPPED: {_server}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the PostgreSQL run of a test marked ``sqlite_only``.

    The engine's flows (push, reconcile, variants, floors...) run the same SQL as the store-level tests,
    which do run on both backends (store, import, ledger, orders, leases, migrations, stock counts):
    running every flow twice cost a third of make test's time, which must stay under five minutes.
    """
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("database_url") if callspec is not None else None
        (dropped if backend == "postgres" and item.get_closest_marker("sqlite_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    report = _server_report()
    worker_output = getattr(session.config, "workeroutput", None)  # set only on an xdist worker
    if worker_output is not None and report is not None:
        worker_output["postgres"] = report
    _server_stack.close()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    report = getattr(node, "workeroutput", {}).get("postgres")
    if report:
        _worker_reports.append(report)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    own = _server_report()
    for report in ([own] if own else []) + _worker_reports:
        skipped = report.startswith("SKIPPED")
        terminalreporter.write_line(f"PostgreSQL store tests {report}", yellow=skipped, bold=skipped)


@pytest.fixture(autouse=True)
def _logs_for_tests() -> None:
    """Before each test (the CLI reconfigures logging): every event reaches the processors, so tests
    capturing logs see them all; pytest hides the output unless a test fails."""
    configure_logging(log_format=LogFormat.CONSOLE, level="DEBUG")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'chosync.db'}"


def _migrate(url: str) -> None:
    open_store(url).dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session (migrating costs ~0.3 s a test; copying ~1 ms)."""
    path = tmp_path_factory.mktemp("template") / "chosync.db"
    _migrate(f"sqlite:///{path}")
    assert not path.with_name(f"{path.name}-wal").exists(), "closing the store checkpoints the WAL"
    return path


def _database(backend: str, tmp_path: Path, template: Path | None) -> Iterator[str]:
    if backend == "sqlite":
        if template is not None:
            shutil.copyfile(template, tmp_path / "chosync.db")
        yield f"sqlite:///{tmp_path / 'chosync.db'}"
        return
    server = _postgres()
    if isinstance(server, str):
        pytest.skip(f"PostgreSQL: {server}")
    with server.database(template=server.migrated_template(_migrate) if template else None) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> Iterator[str]:
    """A fresh database on each backend the store supports, already at the newest schema (a copy of one
    migrated per session: the migrations themselves are tested on ``empty_database_url``)."""
    yield from _database(request.param, tmp_path, _sqlite_template)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend: what a first ``chosync init`` meets."""
    yield from _database(request.param, tmp_path, None)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = open_store(database_url)
    yield store
    store.dispose()


Invoke = Callable[..., tuple[int, str, str]]


@pytest.fixture
def migrated_sqlite(sqlite_url: str, tmp_path: Path, _sqlite_template: Path) -> str:
    """``sqlite_url`` already at the newest schema (a copy of the session's template): for tests that run
    many CLI commands on a database they do not mean to create."""
    shutil.copyfile(_sqlite_template, tmp_path / "chosync.db")
    return sqlite_url


@pytest.fixture
def run_cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Invoke:
    """``chosync ARGS…`` in-process on a fresh SQLite database: returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("CHOSYNC_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "220")  # wide tables: assertions read whole rows

    def invoke(*args: str) -> tuple[int, str, str]:
        code = run(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
