"""The store: one SQLAlchemy engine per database URL, its schema kept current by Alembic.

SQLite (a file, the embedded default) and PostgreSQL (a province's server) run the same code. The
schema is migrated to the newest revision whenever the store is opened, so a fresh machine and an
upgraded one both just work; migrations live in `core/migrations/versions/`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlmodel import Session

from core.errors import ConfigError
from core.logs import scrub
from core.settings import Settings
from core.store_errors import SUPPORTED_DATABASES, describe_database, store_error

__all__ = ["MIGRATIONS_DIR", "Store", "head_revision", "open_store"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
log = structlog.get_logger(__name__)

# Python 3.11's sqlite3 binds None only after failing to find an adapter for it, building and
# discarding an AttributeError each time: several percent of a catalog import, whose rows have many
# empty cells. An adapter that returns None as it is binds the same NULL, found in one lookup.
sqlite3.register_adapter(type(None), lambda value: value)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets the CLI read while the daemon writes.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL with synchronous=NORMAL is SQLite's recommended pairing: a power cut can lose the last commits,
    # never corrupt the file; FULL would fsync every commit of the daemon's many small transactions.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"database URL {scrub(url)!r} is not a database URL",
            hint="set CHOSYNC_DATABASE_URL to e.g. sqlite:///chosync.db or postgresql+psycopg://user@host/db",
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(f"chosync cannot keep its data in a {backend!r} database", hint=SUPPORTED_DATABASES)
    if backend == "sqlite":
        _sqlite_folder(url, parsed)
    try:
        engine = create_engine(parsed) if backend == "sqlite" else create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            f"the database driver {parsed.drivername!r} is not installed", hint=SUPPORTED_DATABASES
        ) from exc
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_folder(url: str, parsed: URL) -> None:
    """Refuse a SQLite file in a folder that does not exist: a typo in the URL would otherwise start a new,
    empty database somewhere unexpected. Only the default location is created (a fresh install)."""
    database = parsed.database
    if not database or database == ":memory:":
        return
    if database.startswith("file:"):  # a SQLite URI (?uri=true): file:/path?mode=ro
        database = database.removeprefix("file:").split("?", 1)[0]
    folder = Path(database).parent
    if folder.is_dir():
        return
    if url != Settings.model_fields["database_url"].default:
        raise ConfigError(
            f"the folder {str(folder)!r} of the database {database} does not exist",
            hint=f"create it (mkdir -p {folder}) or correct CHOSYNC_DATABASE_URL (or --database-url)",
        )
    folder.mkdir(parents=True, exist_ok=True)


if TYPE_CHECKING:
    from alembic.config import Config


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


class Store:
    """A database opened and migrated; hands out sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends and rolled back if it raises."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (the newest by default; an older one for migration tests)."""
        from alembic import command

        command.upgrade(_alembic_config(self.engine), revision)

    def at_head(self) -> bool:
        """True when the schema is already the newest: no need to load Alembic (a second on a small machine)."""
        with self.engine.connect() as conn:  # failing to connect is no answer: raised for open_store
            try:
                stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            except DBAPIError:  # no such table: a new database
                return False
        return stored == [head_revision()]

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open the database at ``url``, creating it and bringing its schema up to date.

    Failures to open it (unreachable, not a database, damaged, read-only...) are raised as the
    :class:`~core.errors.ChosyncError` that says what to do (see :mod:`core.store_errors`).
    """
    store = Store(_engine(url))
    if migrate:
        try:
            if not store.at_head():
                _migrate(store, url)
        except DBAPIError as exc:
            error = store_error(exc, describe_database(url))
            if error is None:
                raise
            raise error from exc
        log.debug("store.opened", url=store.engine.url.render_as_string(hide_password=True))
    return store


def _migrate(store: Store, url: str) -> None:
    from alembic.util import CommandError

    try:
        store.migrate()
    except CommandError as exc:  # the stored revision is none of ours: a newer chosync wrote it
        raise ConfigError(
            f"the database {describe_database(url)} has a schema this chosync does not know ({exc})",
            hint="upgrade chosync to the version that last used this database, or use another database",
        ) from exc


@cache
def head_revision() -> str:
    """The newest migration's revision, read from the scripts' ``revision`` lines (as Alembic finds it)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revisions.update(re.findall(r'^revision = "([^"]+)"', source, re.MULTILINE))
        parents.update(re.findall(r'^down_revision = "([^"]+)"', source, re.MULTILINE))
    [head] = revisions - parents
    return head
