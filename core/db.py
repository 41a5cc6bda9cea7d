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
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlmodel import Session

from core.errors import ConfigError
from core.logs import scrub

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
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


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
        try:
            with self.engine.connect() as conn:
                stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except DBAPIError:  # no such table: a new database
            return False
        return stored == [head_revision()]

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open the database at ``url``, creating it and bringing its schema up to date."""
    store = Store(_engine(url))
    if migrate:
        try:
            if not store.at_head():
                store.migrate()
        except OperationalError as exc:
            raise ConfigError(
                f"cannot open the database {scrub(store.engine.url.render_as_string())}: {scrub(str(exc.orig))}",
                hint="check CHOSYNC_DATABASE_URL and that the server is running",
            ) from exc
        log.debug("store.opened", url=store.engine.url.render_as_string(hide_password=True))
    return store


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
