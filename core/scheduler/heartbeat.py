"""The daemon's heartbeat: one ``daemon`` row per start, telling the CLI whether a daemon is alive.

A starting daemon inserts its row (host, pid, started at); every ``heartbeat_every`` seconds it writes
the time, and whenever a job has run, its jobs (next run, last outcome, last error of each) and the
last error of all. A graceful stop marks the row ``stopped``. A row still ``running`` whose heartbeat is
older than ``stale_after_beats`` beats belongs to a daemon that died without a word (killed, out of
memory, host down): :func:`daemon_status` reports it ``stale``.

Only the newest rows matter; older ones are pruned as a daemon starts.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from core.db import Store
from core.models import utcnow
from core.scheduler.leases import current, holder_process
from core.sync.models import DAEMON

__all__ = ["DaemonStatus", "Heartbeat", "daemon_status", "other_daemon"]

_KEEP_ROWS = 20


@dataclass(frozen=True, slots=True)
class DaemonStatus:
    id: int
    host: str
    pid: int
    state: str  # running, stopping, stopped, stale
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None
    last_error: str | None
    jobs: dict[str, Any] = field(default_factory=dict)

    @property
    def alive(self) -> bool:
        return self.state in ("running", "stopping")


class Heartbeat:
    """This daemon's row: created by :meth:`start`, kept fresh by :meth:`beat`, closed by :meth:`stop`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.id: int | None = None

    def start(self) -> int:
        now = utcnow()
        with self.store.engine.begin() as conn:
            key = conn.execute(
                DAEMON.insert().values(
                    host=socket.gethostname()[:255], pid=os.getpid(), state="running", started_at=now,
                    heartbeat_at=now, jobs={},
                )
            ).inserted_primary_key  # fmt: skip
            assert key is not None
            self.id = int(key[0])
            keep = select(DAEMON.c.id).order_by(DAEMON.c.id.desc()).limit(_KEEP_ROWS).scalar_subquery()
            conn.execute(delete(DAEMON).where(DAEMON.c.id.not_in(keep)))
        return self.id

    def beat(
        self, *, state: str | None = None, jobs: dict[str, Any] | None = None, last_error: str | None = None
    ) -> None:
        """Say we are alive; ``jobs`` and ``last_error`` are written only when given (they rarely change)."""
        values: dict[str, Any] = {"heartbeat_at": utcnow()}
        if state is not None:
            values["state"] = state
        if jobs is not None:
            values["jobs"] = jobs
        if last_error is not None:
            values["last_error"] = last_error
        with self.store.engine.begin() as conn:
            conn.execute(update(DAEMON).where(DAEMON.c.id == self.id).values(values))

    def stop(self, *, jobs: dict[str, Any] | None = None) -> None:
        now = utcnow()
        values: dict[str, Any] = {"state": "stopped", "stopped_at": now, "heartbeat_at": now}
        if jobs is not None:
            values["jobs"] = jobs
        with self.store.engine.begin() as conn:
            conn.execute(update(DAEMON).where(DAEMON.c.id == self.id).values(values))


def daemon_status(store: Store, *, stale_after: float, now: datetime | None = None) -> DaemonStatus | None:
    """The newest daemon's status (``stale`` if it stopped beating), or None if no daemon ever ran."""
    now = now or utcnow()
    with store.engine.connect() as conn:
        row = conn.execute(select(DAEMON).order_by(DAEMON.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    state = row.state
    if state in ("running", "stopping") and row.heartbeat_at < now - timedelta(seconds=stale_after):
        state = "stale"
    return DaemonStatus(
        row.id, row.host, row.pid, state, row.started_at, row.heartbeat_at, row.stopped_at, row.last_error,
        dict(row.jobs or {}),
    )  # fmt: skip


def other_daemon(store: Store, lease: str, *, now: datetime | None = None) -> tuple[str, dict[str, Any]]:
    """Who holds the daemon's ``lease``, for a person (``pid 4242 on tv-sync-01, last heartbeat 3s ago``)
    and as log fields: the lease names the process, its heartbeat row says how recently it was alive."""
    view = current(store, lease)
    if view is None:  # released since we looked: the next try takes it
        return "its lease was just released", {}
    process = holder_process(view.holder)
    if process is None:
        return f"holder {view.holder}", {"holder": view.holder}
    host, pid = process
    fields: dict[str, Any] = {"pid": pid, "host": host}
    who = f"pid {pid} on {host}"
    with store.engine.connect() as conn:
        beat = conn.execute(
            select(DAEMON.c.heartbeat_at).where(DAEMON.c.host == host[:255], DAEMON.c.pid == pid)
            .order_by(DAEMON.c.id.desc()).limit(1)
        ).scalar()  # fmt: skip
    if beat is not None:
        age = max(0.0, ((now or utcnow()) - beat).total_seconds())
        fields["heartbeat_age_s"] = round(age, 1)
        who += f", last heartbeat {age:.0f}s ago"
    return who, fields
