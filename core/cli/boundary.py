"""The CLI's one error boundary: whatever a command raises, a person reads ``error:`` and ``fix:``.

Exit codes (README, "Exit codes"):

====  =========================================================================================
0     done
1     input refused (a bad catalog file, an unknown SKU): nothing was written
2     usage or configuration: the command, a setting or the database URL is wrong
70    an unexpected failure: a fault in chosync; the traceback is in a crash log the message names
74    reading or writing failed: permission denied, read-only or full disk, damaged database
130   interrupted (Ctrl-C)
====  =========================================================================================

Errors chosync raises on purpose (:class:`~core.errors.ChosyncError`) carry their message, hint and exit
code. Everything else is translated here: Ctrl-C, the operating system's errors, the database's errors
wherever they surface (:mod:`core.store_errors`), unreadable settings. What is left is a fault in chosync:
one line, and the traceback written to a crash log (:func:`crash_folder`) rather than to the terminal.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from core.errors import ChosyncError, IOFailure, UsageError

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_IO",
    "EXIT_UNEXPECTED",
    "Interrupted",
    "crash_folder",
    "report",
    "translate",
    "unexpected",
]

EXIT_UNEXPECTED = 70  # EX_SOFTWARE (sysexits.h)
EXIT_IO = IOFailure.exit_code  # 74, EX_IOERR
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C


class Interrupted(Exception):
    """Ctrl-C during a command, carried past typer (which would exit 130 without a word)."""


def _interrupted() -> ChosyncError:
    error = ChosyncError(
        "interrupted",
        hint="run the command again: nothing is half-written (an interrupted import wrote nothing: imports are "
        "all or nothing; an interrupted sync picks up where it stopped)",
    )
    error.exit_code = EXIT_INTERRUPTED
    return error


def translate(exc: BaseException, database_url: str | None) -> ChosyncError | None:
    """The error to show for ``exc``; None when it is a fault in chosync (see :func:`unexpected`)."""
    if isinstance(exc, KeyboardInterrupt | Interrupted):
        return _interrupted()
    # A database error can only come from a database module already loaded: checking costs no import.
    if "sqlalchemy" in sys.modules or "sqlite3" in sys.modules:
        from core.store_errors import describe_database, store_error

        where = describe_database(database_url) if database_url else "the database"
        found = store_error(exc, where)
        if found is not None:
            return found
    if isinstance(exc, OSError):
        return os_error(exc)
    if "pydantic" in sys.modules:  # the settings, read outside core.cli.context (the daemon's command)
        from tomllib import TOMLDecodeError

        from pydantic import ValidationError

        if isinstance(exc, ValidationError | TOMLDecodeError):
            from core.settings import settings_error

            return settings_error(exc)
    return None


def os_error(exc: OSError) -> ChosyncError:
    """Permission, read-only, full disk, missing path...: the file named and what to do about it."""
    name = _filename(exc)
    code = exc.errno
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return IOFailure(
            f"permission denied: {name}",
            hint=f"give this user the right to read and write {name} (see 'ls -ld {name}'), or use another place",
        )
    if code == errno.EROFS:
        return IOFailure(
            f"cannot write {name}: the disk is read-only", hint="use a folder on a writable disk, or remount it"
        )
    if code in (errno.ENOSPC, errno.EDQUOT):
        return IOFailure(
            f"the disk is full: cannot write {name}",
            hint="free some space on that disk (or raise the quota), then run the command again",
        )
    return _path_error(exc, name)


def _path_error(exc: OSError, name: str) -> ChosyncError:
    """A path given wrong (a user's mistake, exit 2), else an I/O failure (exit 74)."""
    if isinstance(exc, FileNotFoundError):
        return UsageError(f"no such file or folder: {name}", hint=f"check the path (a relative one starts in {_cwd()})")
    if isinstance(exc, IsADirectoryError):
        return UsageError(f"{name} is a folder, not a file", hint="name a file")
    if isinstance(exc, NotADirectoryError):
        return UsageError(f"{name}: part of this path is a file, not a folder", hint="check the path")
    reason = exc.strerror or str(exc) or type(exc).__name__
    return IOFailure(
        f"cannot read or write {name}: {reason}", hint="check the disk and the file, then run the command again"
    )


def _filename(exc: OSError) -> str:
    if exc.filename is None:
        return "a file"
    return os.fsdecode(exc.filename) if isinstance(exc.filename, str | bytes) else str(exc.filename)


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the working folder was removed
        return "the current folder"


def report(error: ChosyncError) -> int:
    """Print ``error:`` and ``fix:`` on stderr, secrets scrubbed; returns the exit code."""
    from core.cli.context import console_err, escape
    from core.logs import scrub  # structlog is not needed unless something went wrong

    err = console_err()
    err.print(f"[bold red]error:[/] {escape(scrub(error.message))}", highlight=False)
    if error.hint:
        err.print(f"[bold]fix:[/] {escape(scrub(error.hint))}", highlight=False)
    return error.exit_code


def unexpected(exc: BaseException, argv: Sequence[str]) -> int:
    """A fault in chosync: one line naming the crash log that holds the traceback; exit 70."""
    from core.logs import scrub

    lines = str(exc).strip().splitlines()
    summary = _hide(scrub(f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__))
    if len(summary) > 200:
        summary = summary[:199] + "…"
    log = _write_crash_log(exc, argv)
    where = f"the details are in {log}" if log else "the details could not be saved (no folder was writable)"
    error = ChosyncError(f"unexpected failure ({summary}) — {where}", hint=_UNEXPECTED_HINT)
    error.exit_code = EXIT_UNEXPECTED
    return report(error)


_UNEXPECTED_HINT = "this is a fault in chosync, not in what you did: send that file to whoever looks after chosync"


def crash_folder() -> Path:
    """Where crash logs go: ``$CHOSYNC_HOME/logs``, else ``$XDG_STATE_HOME/chosync/logs``
    (``~/.local/state/chosync/logs``); a temporary folder when neither can be written."""
    home = os.environ.get("CHOSYNC_HOME")
    if home:
        return Path(home) / "logs"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "chosync" / "logs"


def _write_crash_log(exc: BaseException, argv: Sequence[str]) -> Path | None:
    from core.logs import scrub

    now = datetime.now(UTC)
    text = "".join(
        [
            f"chosync crashed at {now.isoformat(timespec='seconds')}\n",
            f"command: chosync {' '.join(_redacted(argv))}\n",
            f"python: {sys.version.split()[0]} on {sys.platform}; folder: {_cwd()}\n\n",
            *traceback.format_exception(exc),
        ]
    )
    text = _hide(scrub(text))
    name = f"crash-{now:%Y%m%d-%H%M%S}-{os.getpid()}.log"
    fallback = Path(tempfile.gettempdir()) / f"chosync-logs-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    for folder in (crash_folder(), fallback):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            # Only this user may read it: a traceback can show file contents and database names.
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as out:
                out.write(text)
        except OSError:
            continue
        return path
    return None


# A password in a URL (postgresql://user:password@host): scrub() knows name=value pairs, not this form.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][\w+.-]*://[^:/@\s]+:)[^@\s]+@", re.IGNORECASE)


def _hide(text: str) -> str:
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}***@", text)


def _redacted(argv: Sequence[str]) -> list[str]:
    """The command line with the value of every secret-named option hidden (``--app-secret X``)."""
    from core.logs import REDACTED, is_secret_key

    shown: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            shown.append(REDACTED)
            hide_next = False
        elif arg.startswith("--") and "=" not in arg and is_secret_key(arg):
            shown.append(arg)
            hide_next = True
        else:
            shown.append(arg)
    return shown
