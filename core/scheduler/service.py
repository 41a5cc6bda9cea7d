"""The daemon as a process: ``python scheduler.py`` and ``chosync run`` both land in :func:`serve`.

It reads the settings, logs JSON lines (``[schedule] log_format``; everything, the libraries' standard
logging included, goes through structlog so that every line parses), opens the store (which runs any
pending migration: an upgrade is "install, restart"), and runs the :class:`~core.scheduler.daemon.Daemon`
until SIGTERM or SIGINT. The exit code is 0 after a graceful stop, 1 when another daemon holds the
database's clock, 2 for a configuration error.
"""

from __future__ import annotations

import asyncio
import logging

import structlog

from core.db import open_store
from core.errors import ChosyncError
from core.logs import configure_logging, scrub
from core.scheduler.daemon import Daemon
from core.settings import Settings, load_settings

__all__ = ["main", "serve"]


class _ToStructlog(logging.Handler):
    """Standard-library log records (APScheduler, httpx, uvicorn...) as structlog events, one JSON line each."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            logger = structlog.get_logger(record.name)
            logger.log(record.levelno, record.getMessage(), logger_name=record.name)
        except Exception:  # a logging failure must never take the daemon down
            self.handleError(record)


def _route_standard_logging(level: str) -> None:
    root = logging.getLogger()
    root.handlers[:] = [_ToStructlog()]
    root.setLevel(max(logging.WARNING, logging.getLevelNamesMapping().get(level.upper(), logging.INFO)))
    # APScheduler reports every start and skip itself; the daemon logs its own job events instead.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def serve(settings: Settings) -> int:
    """Run the daemon in this process until it is stopped; returns the exit code."""
    configure_logging(log_format=settings.schedule.log_format, level=settings.schedule.log_level)
    _route_standard_logging(settings.schedule.log_level)
    log = structlog.get_logger("core.scheduler")
    try:
        store = open_store(settings.database_url)
    except ChosyncError as exc:
        log.error("daemon.cannot_start", error=scrub(str(exc)))
        return exc.exit_code
    try:
        return asyncio.run(Daemon(store, settings).run(handle_signals=True))
    finally:
        store.dispose()


def main(*, database_url: str | None = None) -> int:
    """``python scheduler.py``: the settings from the environment and config file (``database_url`` first)."""
    return serve(load_settings(database_url=database_url) if database_url else load_settings())
