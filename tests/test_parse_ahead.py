"""The second process that reads and parses a large catalog file while the import writes.

``tests/test_import.py`` runs every import case both ways; here: that the rows really are parsed in
another process, that its failures reach the caller intact and roll the import back, that no process or
thread outlives an import, and when the importer chooses to read ahead by itself.
"""

from __future__ import annotations

import errno
import multiprocessing
import multiprocessing.context
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from structlog.testing import capture_logs

from core.catalog import parse_ahead
from core.catalog.importer import ImportRejected, ImportReport, _Importer, import_catalog
from core.catalog.rows import ParsedRow, RowParser, RowProblem
from core.db import Store
from core.errors import ChosyncError, InputRejected, RateLimited
from core.models import VARIANT
from tests.catalog_files import make_rows, register, write_csv

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py


def variants(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(VARIANT)).scalar_one())


def nothing_left_running() -> bool:
    return not multiprocessing.active_children() and not any(
        t.name == "chosync-import-inbox" for t in threading.enumerate()
    )


def fail_on_row(monkeypatch: pytest.MonkeyPatch, number: int, fail: Any) -> None:
    """Make the parser call ``fail(number)`` at row ``number``; a forked child inherits the patch."""
    parse = RowParser.parse_cells

    def parse_cells(self: RowParser, n: int, cells: tuple[Any, ...], *, extra: bool = False) -> Any:
        if n == number:
            fail(n)
        return parse(self, n, cells, extra=extra)

    monkeypatch.setattr(RowParser, "parse_cells", parse_cells)


@pytest.fixture
def big_file(store: Store, tmp_path: Path) -> Path:
    register(store)
    return write_csv(tmp_path / "c.csv", make_rows(1500, 2))  # 3,000 rows: several batches


def test_rows_are_parsed_in_another_process(monkeypatch: pytest.MonkeyPatch, store: Store, big_file: Path) -> None:
    def fail(n: int) -> None:
        raise RuntimeError(f"row {n} parsed by process {os.getpid()}")

    fail_on_row(monkeypatch, 2900, fail)
    with pytest.raises(RuntimeError, match=r"row 2900 parsed by process (\d+)") as caught:
        import_catalog(store, big_file, parse_ahead=True, batch_size=100)
    assert caught.value.args[0].rsplit(" ", 1)[1] != str(os.getpid())
    assert variants(store) == 0  # earlier batches were written in the transaction, then rolled back
    assert nothing_left_running()


def test_a_full_queue_holds_the_reader_back_without_losing_a_row(
    monkeypatch: pytest.MonkeyPatch, store: Store, big_file: Path
) -> None:
    monkeypatch.setattr(parse_ahead, "_QUEUE_BYTES", 1)  # every batch waits until the last one is taken
    report = import_catalog(store, big_file, parse_ahead=True, batch_size=100)
    assert (report.rows, report.variants_created) == (3000, 3000)
    assert variants(store) == 3000
    assert nothing_left_running()


def test_a_process_the_system_refuses_means_parsing_in_line(
    monkeypatch: pytest.MonkeyPatch, store: Store, big_file: Path
) -> None:
    def refuse(self: Any) -> None:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", refuse)
    with capture_logs() as logs:
        report = import_catalog(store, big_file, parse_ahead=True)
    assert report.variants_created == 3000
    [warning] = [e for e in logs if e["event"] == "catalog.import.reading_in_line"]
    assert "Resource temporarily unavailable" in warning["reason"]
    assert nothing_left_running()


def test_a_chosync_error_in_the_reader_arrives_with_its_hint(store: Store, tmp_path: Path) -> None:
    register(store)
    path = write_csv(tmp_path / "c.csv", make_rows(1500, 2))
    path.write_bytes(path.read_bytes() + b"HTX-DANTIEN,\xff\xfe bad bytes\n")
    with pytest.raises(InputRejected) as caught:
        import_catalog(store, path, parse_ahead=True, batch_size=100)
    assert "c.csv is not UTF-8 text (near row " in caught.value.message  # "near": text is decoded in chunks
    assert "CSV UTF-8" in (caught.value.hint or "")
    assert variants(store) == 0
    assert nothing_left_running()


def test_a_reader_that_dies_is_reported_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, store: Store, big_file: Path
) -> None:
    fail_on_row(monkeypatch, 2500, lambda n: os._exit(3))
    with pytest.raises(ChosyncError, match=r"stopped unexpectedly \(exit code 3\); nothing was written") as caught:
        import_catalog(store, big_file, parse_ahead=True, batch_size=100)
    assert caught.value.hint and "run the import again" in caught.value.hint
    assert variants(store) == 0
    assert nothing_left_running()


def test_a_failure_while_writing_stops_the_reader(
    monkeypatch: pytest.MonkeyPatch, store: Store, big_file: Path
) -> None:
    def flush(self: _Importer) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_Importer, "flush", flush)
    with pytest.raises(OSError, match="disk full"):
        import_catalog(store, big_file, parse_ahead=True, batch_size=100)
    assert variants(store) == 0
    assert nothing_left_running()


def test_a_bad_header_stops_the_reader_before_any_row(store: Store, tmp_path: Path) -> None:
    register(store)
    rows = [{**r, "colour": "red"} for r in make_rows(1500, 2)]
    path = write_csv(tmp_path / "c.csv", rows, columns=[*rows[0]])
    with pytest.raises(ImportRejected) as caught:
        import_catalog(store, path, parse_ahead=True)
    assert [(p.row, p.column) for p in caught.value.report.problems] == [(1, "colour")]
    assert nothing_left_running()


def test_both_ways_report_the_same_rows_and_problems(store: Store, tmp_path: Path) -> None:
    register(store)
    rows = make_rows(1500, 2)
    rows[10]["price_vnd"] = "12,5"
    rows[2000]["variant_sku"] = rows[1999]["variant_sku"]
    rows[2999]["weight_g"] = "nặng"
    path = write_csv(tmp_path / "c.csv", rows)
    reports = []
    for ahead in (False, True):
        with pytest.raises(ImportRejected) as caught:
            import_catalog(store, path, parse_ahead=ahead)
        reports.append(caught.value.report)
    assert reports[0] == reports[1]
    assert [(p.row, p.column) for p in reports[1].problems] == [
        (12, "price_vnd"),
        (2002, "variant_sku"),
        (3001, "weight_g"),
    ]
    rows[10]["price_vnd"], rows[2000]["variant_sku"] = "12.500", "NEW-SKU"
    rows[2999]["weight_g"] = rows[2998]["weight_g"] = "900"
    write_csv(path, rows)
    done: list[ImportReport] = [import_catalog(store, path, parse_ahead=True)]
    done.append(import_catalog(store, path, parse_ahead=False))
    assert (done[0].variants_created, done[1].variants_unchanged) == (3000, 3000)


def test_the_importer_reads_ahead_only_for_a_large_file_on_a_quiet_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    small = tmp_path / "small.csv"
    small.write_bytes(b"x" * 100)
    large = tmp_path / "large.csv"
    large.write_bytes(b"x" * parse_ahead.AHEAD_MIN_BYTES)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(parse_ahead, "CPU_QUOTA_FILES", ())
    assert parse_ahead._reads_ahead(large, None)
    assert not parse_ahead._reads_ahead(small, None)
    assert parse_ahead._reads_ahead(small, True)
    assert not parse_ahead._reads_ahead(large, False)
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # another thread could hold a lock the child needs
    assert not parse_ahead._reads_ahead(large, None)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)  # one core: nothing to overlap
    assert not parse_ahead._reads_ahead(large, None)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")  # macOS lists fork, but it is not safe there
    assert not parse_ahead._reads_ahead(large, None)
    assert not parse_ahead._reads_ahead(large, True)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(multiprocessing, "current_process", lambda: SimpleNamespace(daemon=True))
    assert not parse_ahead._reads_ahead(large, True)  # a daemonic process may not have children


@pytest.mark.parametrize(
    ("v2", "v1", "cores"),
    [
        ("max 100000", None, 4),  # no quota
        ("150000 100000", None, 1.5),  # a container allowed one and a half cores
        ("800000 100000", None, 4),  # a quota above the affinity: the affinity
        (None, ("-1", "100000"), 4),  # cgroup v1, no quota
        (None, ("100000", "100000"), 1),  # cgroup v1, one core
        ("garbage", ("50000", "100000"), 0.5),  # an unreadable v2 file: v1 decides
    ],
)
def test_a_container_cpu_quota_caps_the_cores(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, v2: str | None, v1: tuple[str, str] | None, cores: float
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    files = {"cpu.max": v2, "cfs_quota_us": v1 and v1[0], "cfs_period_us": v1 and v1[1]}
    for name, text in files.items():
        if text is not None:
            (tmp_path / name).write_text(text + "\n")
    quota_files = ((tmp_path / "cpu.max", None), (tmp_path / "cfs_quota_us", tmp_path / "cfs_period_us"))
    monkeypatch.setattr(parse_ahead, "CPU_QUOTA_FILES", quota_files)
    assert parse_ahead._cores() == cores


def test_errors_and_rows_survive_the_trip_between_processes() -> None:
    hinted = pickle.loads(pickle.dumps(InputRejected("bad file", hint="save it as CSV UTF-8")))
    assert (type(hinted), hinted.message, hinted.hint) == (InputRejected, "bad file", "save it as CSV UTF-8")
    assert str(hinted) == "bad file (save it as CSV UTF-8)"
    limited = pickle.loads(pickle.dumps(RateLimited("slow down", retry_after=7.5)))
    assert (type(limited), limited.retry_after) == (RateLimited, 7.5)
    parsed = RowParser(base_dir=None, default_seller=None).parse(2, make_rows(1, 1)[0])
    assert isinstance(parsed, ParsedRow)
    assert pickle.loads(pickle.dumps(parsed)) == parsed
    problem = RowProblem(3, "price_vnd", "is not a price")
    assert pickle.loads(pickle.dumps(problem)) == problem


def test_an_error_that_cannot_be_pickled_arrives_as_its_description() -> None:
    class Local(Exception):
        pass

    sent = parse_ahead._portable(Local("boom"))
    assert isinstance(sent, RuntimeError) and str(sent) == "Local: boom"
    plain = ValueError("kept")
    assert parse_ahead._portable(plain) is plain


def test_the_cli_reads_a_large_file_ahead_by_itself(database_url: str, store: Store, tmp_path: Path) -> None:
    register(store)
    path = write_csv(tmp_path / "c.csv", make_rows(3500, 2))
    assert path.stat().st_size >= parse_ahead.AHEAD_MIN_BYTES
    env = {**os.environ, "CHOSYNC_DATABASE_URL": database_url, "CHOSYNC_LOG_LEVEL": "DEBUG"}
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", "catalog", "import", str(path)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "catalog.import.reading_ahead" in done.stderr + done.stdout
    assert variants(store) == 7000
