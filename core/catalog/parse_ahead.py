"""A catalog file's rows, parsed: in a second process that reads ahead, or here, in line.

An import does two jobs of about equal weight: reading and parsing the rows, and checking them against
each other and the database and writing them. On a machine with two cores they overlap: a child
process reads and parses, and sends the parsed rows back in batches through a pipe, in file order,
while this process checks and writes them as they arrive. The child is forked, so it starts in
milliseconds with the parser already built; it waits when the batches it is ahead fill their bounded
queue, so memory stays flat.

The child is used when it pays and is safe: the file is large, there is a second core to use (CPU
affinity and a container's CPU quota both count), the system is Linux (macOS can fork, but not
safely), and this process runs no other thread (a forked child inherits the locks other threads
hold, and could wait on one forever). Otherwise, or if the system refuses a process (out of memory,
over a process limit: a warning is logged), the same parsing runs in line. Either way the rows, their
problems and their errors are the same.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import structlog

try:
    import fcntl
except ImportError:  # not on Windows, which cannot fork either: the child is never used there
    fcntl = None  # type: ignore[assignment]

from core.catalog.columns import COLUMN_NAMES
from core.catalog.readers import Table, open_table
from core.catalog.rows import ParsedRow, RowParser, RowProblem
from core.errors import ChosyncError

__all__ = ["ParsedTable", "parsed_table"]

log = structlog.get_logger(__name__)

AHEAD_MIN_BYTES = 2_000_000  # about 5,000 rows: below that the whole import takes a fraction of a second
CPU_QUOTA_FILES: tuple[tuple[Path, Path | None], ...] = (
    (Path("/sys/fs/cgroup/cpu.max"), None),
    (Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")),
)
_BATCH = 500  # rows per message: large enough that pickling and the pipe cost little per row
_PIPE_BYTES = 1 << 20  # Linux's default limit for an unprivileged process; about eight batches
_QUEUE_BYTES = 16 << 20  # about 80,000 usual rows (100 KB a batch): covers loading a 150k-SKU catalog


@dataclass
class ParsedTable:
    """A file's header, and its rows parsed: each a :class:`ParsedRow` or the row's problems."""

    header: list[str]
    label: str
    header_problems: list[str]
    rows: Iterator[ParsedRow | list[RowProblem]]


@contextmanager
def parsed_table(path: Path, parser: RowParser, *, ahead: bool | None = None) -> Iterator[ParsedTable]:
    """Open ``path`` and parse its rows while the block runs.

    ``ahead``: True to parse in a second process whenever the system allows (Linux), False never, None
    (the default) when that pays and is safe (see the module's docstring).
    """
    reader = _start_reader(path, parser) if _reads_ahead(path, ahead) else None
    if reader is not None:
        with _parsed_in_child(path, *reader) as table:
            yield table
    else:
        with open_table(path) as raw:
            yield ParsedTable(raw.header, raw.label, raw.header_problems, _parse(raw, parser))


def _parse(table: Table, parser: RowParser) -> Iterator[ParsedRow | list[RowProblem]]:
    parser.use_header(table.header)
    parse = parser.parse_cells
    for number, cells, extra in table.picked(COLUMN_NAMES):
        yield parse(number, cells, extra=extra)


def _reads_ahead(path: Path, ahead: bool | None) -> bool:
    # Linux only: macOS lists fork, but a forked child there can crash in system libraries.
    if ahead is False or sys.platform != "linux":
        return False
    if multiprocessing.current_process().daemon:  # a daemonic process may not start one of its own
        return False
    if ahead:
        return True
    quiet = threading.active_count() == 1
    return quiet and _cores() >= 2 and path.is_file() and path.stat().st_size >= AHEAD_MIN_BYTES


def _cores() -> float:
    """The cores this process may use: its CPU affinity, capped by a container's CPU quota (cgroup v2 or v1)."""
    cores: float = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for quota_file, period_file in CPU_QUOTA_FILES:
        try:
            if period_file is None:  # v2: "quota period", or "max period" for none
                quota, period = quota_file.read_text().split()
            else:  # v1: the quota alone, -1 for none
                quota, period = quota_file.read_text().strip(), period_file.read_text().strip()
            if quota not in ("max", "-1"):
                return min(cores, int(quota) / int(period))
        except (OSError, ValueError, ZeroDivisionError):
            continue
    return cores


def _start_reader(path: Path, parser: RowParser) -> tuple[BaseProcess, Connection] | None:
    """The reading process started, and the end of its pipe; None if the system refused a process."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    _widen(receiving)
    child = context.Process(target=_read_ahead, args=(path, parser, sending), name="chosync-import-reader", daemon=True)
    try:
        child.start()
    except OSError as exc:  # out of memory or over a process limit: the import still works, in one process
        log.warning("catalog.import.reading_in_line", file=path.name, reason=str(exc))
        receiving.close()
        return None
    finally:
        sending.close()  # the child holds the only writing end, so its exit ends the stream
    log.debug("catalog.import.reading_ahead", file=path.name, pid=child.pid)
    return child, receiving


@contextmanager
def _parsed_in_child(path: Path, child: BaseProcess, receiving: Connection) -> Iterator[ParsedTable]:
    inbox = _Inbox(receiving, child, path)
    try:
        first = inbox.next()
        if first[0] == "error":
            raise first[1]
        _, header, label, header_problems = first
        yield ParsedTable(header, label, header_problems, _rows(inbox))
    finally:
        inbox.close()


def _widen(pipe: Connection) -> None:
    """Let the pipe hold several batches: with 64 KiB, less than one, the two processes take turns."""
    if fcntl is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
        with suppress(OSError):  # a smaller limit in /proc/sys/fs/pipe-max-size: keep the default
            fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


class _Inbox:
    """The child's messages, in order, drained from the pipe by a thread into a queue bounded in bytes.

    The queue lets the child run well ahead while this process is busy elsewhere (loading a seller's
    catalog from the database takes seconds for 100k variants); when it holds ``_QUEUE_BYTES`` the
    child waits. Bytes, not batches: a batch of rows with long descriptions can be a hundred times
    the usual size. The thread only moves bytes: it holds the GIL for a moment per batch.
    """

    def __init__(self, receiving: Connection, child: BaseProcess, path: Path) -> None:
        self._receiving = receiving
        self._child = child
        self._path = path
        self._queue: deque[bytes | None] = deque()  # None: the child has exited (or was stopped)
        self._queued_bytes = 0
        self._changed = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._drain, name="chosync-import-inbox", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                data: bytes | None = self._receiving.recv_bytes()
            except (EOFError, OSError):
                data = None
            with self._changed:
                while self._queued_bytes >= _QUEUE_BYTES and not self._closing:
                    self._changed.wait()
                if self._closing:
                    return
                self._queue.append(data)
                self._queued_bytes += len(data or b"")
                self._changed.notify_all()
            if data is None:
                return

    def next(self) -> tuple[Any, ...]:
        with self._changed:
            while not self._queue:
                self._changed.wait()
            data = self._queue.popleft()
            self._queued_bytes -= len(data or b"")
            self._changed.notify_all()
        if data is None:
            self._child.join(timeout=5)
            raise ChosyncError(
                f"the process reading {self._path.name} stopped unexpectedly (exit code {self._child.exitcode}); "
                "nothing was written",
                hint="run the import again; if it stops again, the machine may be short of memory",
            )
        message: tuple[Any, ...] = pickle.loads(data)  # noqa: S301 - written by our own child process
        return message

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        # The child is stopped before the pipe closes (a child still sending would print a broken-pipe
        # error), and its exit ends the thread's read.
        if self._child.is_alive():
            self._child.kill()
        self._child.join()
        self._thread.join()
        self._receiving.close()


def _rows(inbox: _Inbox) -> Iterator[ParsedRow | list[RowProblem]]:
    while True:
        message = inbox.next()
        if message[0] == "rows":
            yield from message[1]
        elif message[0] == "error":
            raise message[1]
        else:
            return


def _read_ahead(path: Path, parser: RowParser, sending: Connection) -> None:
    """The child: every message is a pickled tuple ("table", ...), ("rows", [...]), ("end",) or ("error", e)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it ends this process

    def send(*message: Any) -> None:
        sending.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))

    try:
        with open_table(path) as table:
            send("table", table.header, table.label, table.header_problems)
            batch: list[ParsedRow | list[RowProblem]] = []
            for row in _parse(table, parser):
                batch.append(row)
                if len(batch) >= _BATCH:
                    send("rows", batch)
                    batch = []
            send("rows", batch)
        send("end")
    except BaseException as exc:  # every failure goes back to the parent, which raises it
        with suppress(OSError):  # the parent is gone: nobody is left to tell
            send("error", _portable(exc))
    finally:
        sending.close()


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, unpickled to check they can be
    except Exception:  # any failure to round-trip: send a plain description
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
