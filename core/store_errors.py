"""What a database failure means to the person at the keyboard, and what to do about it.

SQLAlchemy wraps every driver error in a handful of classes that say little about the cause (a file that
is not a database and a server that refused the connection can both be an ``OperationalError``); the
driver's own message says it, and it is stable across versions of SQLite and PostgreSQL. The store
translates what it meets while opening the database; the CLI's error boundary uses the same translation
for what surfaces later, in the middle of a command.

Importing this module loads no SQLAlchemy: the CLI imports it only once an error has been raised.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from core.errors import ChosyncError, ConfigError, IOFailure, RetryableError

__all__ = ["SUPPORTED_DATABASES", "describe_database", "store_error"]

SUPPORTED_DATABASES = "use sqlite:///path/to/chosync.db (a file) or postgresql+psycopg://user@host/dbname (a server)"


def describe_database(url: str) -> str:
    """The database as a person knows it: a SQLite file's path, else the URL without its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return "the database"
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return parsed.database.removeprefix("file:").split("?", 1)[0]
    return parsed.render_as_string(hide_password=True)


def _driver_error(exc: BaseException) -> BaseException | None:
    """The driver's own error if ``exc`` is a database error (wrapped by SQLAlchemy or raw), else None."""
    if isinstance(exc, sqlite3.Error):
        return exc
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        return exc.orig
    return None


def store_error(exc: BaseException, where: str) -> ChosyncError | None:
    """The error to show for a database failure met on ``where`` (see :func:`describe_database`);
    None when ``exc`` is no database failure, or one that is a fault in chosync (a bad query)."""
    driver = _driver_error(exc)
    if driver is None:
        return None
    message = str(driver).strip()
    first = message.splitlines()[0] if message else type(driver).__name__
    lowered = message.lower()
    for meaning in _KNOWN:
        if any(needle in lowered for needle in meaning.needles):
            return meaning(where, first)
    from sqlalchemy.exc import InterfaceError, OperationalError

    # A server's operational errors are about reaching it (refused, unknown host, password, gone away);
    # SQLite's others (no such table...) are faults in chosync, for the crash log.
    if isinstance(exc, OperationalError | InterfaceError) and not isinstance(driver, sqlite3.Error):
        return _UNREACHABLE(where, first)
    return None


@dataclass(frozen=True, slots=True)
class _Meaning:
    """One kind of database failure: the driver messages that say it (lower-cased) and what to show.
    ``message`` names the database as ``{where}`` and may quote the driver's first line as ``{first}``."""

    needles: tuple[str, ...]
    error: type[ChosyncError]
    message: str
    hint: str

    def __call__(self, where: str, first: str) -> ChosyncError:
        return self.error(self.message.format(where=where, first=first), hint=self.hint)


# Driver messages (SQLite's and PostgreSQL's, lower-cased), in the order they are tried.
_KNOWN = (
    _Meaning(
        ("file is not a database",), ConfigError,
        "{where} is not a chosync database (it is another kind of file, or damaged from its first page)",
        "check that CHOSYNC_DATABASE_URL (or --database-url) names the right file; "
        "if it does, restore the file from a backup",
    ),
    _Meaning(
        ("malformed", "database corrupt", "invalid page", "could not read block"), IOFailure,
        "the database {where} is damaged (database disk image is malformed)",
        "restore it from a backup; 'sqlite3 FILE .recover' may save what is left",
    ),
    _Meaning(
        ("readonly database", "read-only transaction", "read-only file system"), IOFailure,
        "the database {where} is read-only: nothing could be written",
        "give this user write permission on the database (a SQLite file and its folder), "
        "or use a database you may write to",
    ),
    _Meaning(
        ("database or disk is full", "no space left", "disk full", "diskfull"), IOFailure,
        "the disk holding the database {where} is full: nothing more could be written",
        "free some space on that disk, then run the command again (what failed was rolled back)",
    ),
    _Meaning(
        ("permission denied",), IOFailure,
        "the database {where} refused access: {first}",
        "grant this database user the rights it needs, or use CHOSYNC_DATABASE_URL with a user that has them",
    ),
    _Meaning(
        ("disk i/o error",), IOFailure,
        "reading or writing the database {where} failed: {first}",
        "check the disk (still mounted? full? failing?), then run the command again",
    ),
    _Meaning(
        ("unable to open database file",), IOFailure,
        "cannot open the database file {where}",
        "check that it is a file (not a folder) and that this user may read and write it and its folder",
    ),
    _Meaning(
        ("database is locked", "database table is locked"), RetryableError,
        "the database {where} stayed busy: another chosync process held it for too long",
        "wait until the other work (a large import, the daemon catching up) is done, then run the command again",
    ),
)  # fmt: skip
_UNREACHABLE = _Meaning(
    (), ConfigError, "cannot open the database {where}: {first}",
    "check CHOSYNC_DATABASE_URL and that the database server is running",
)  # fmt: skip
