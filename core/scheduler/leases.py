"""Leases: named locks kept in the database, held by one process until released or expired.

A lease is a row of the ``lease`` table: its name (``account:12``, ``scheduler``), who holds it and
until when. Taking one is a single atomic statement on every backend, so two processes (or two hosts
sharing a PostgreSQL) can never both hold it:

- an UPDATE that takes the row over only ``WHERE expires_at < now`` (or when the holder is already us);
- failing that, an INSERT, which the primary key refuses if someone else got there first.

Neither needs ``SELECT … FOR UPDATE`` or an advisory lock, so SQLite and PostgreSQL run the same code.
A lease is kept alive by renewing it before it expires; a holder that dies stops renewing and its lease
frees itself after ``ttl``. A holder on this very host whose process is gone is known dead at once (its
pid no longer exists), so a restarted command does not wait out the lease of the one it replaces.

Times come from this host's clock: hosts sharing a database must keep their clocks in sync (NTP).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.db import Store
from core.models import utcnow
from core.sync.models import LEASE

__all__ = ["LeaseView", "acquire", "current", "held", "holder_id", "holder_process", "holder_role", "release", "renew"]

_HOLDER = re.compile(r"^(?P<role>.*)@(?P<host>[^@:#]+):(?P<pid>\d+)#[0-9a-f]+$")
_MAX_HOLDER = 128  # the column's width


@dataclass(frozen=True, slots=True)
class LeaseView:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


def holder_id(role: str) -> str:
    """A holder name unique to this process and call: ``role@host:pid#random``.

    The role says who holds the lease to a person reading a refusal (``daemon push``, ``cli sync``); the
    random part keeps two tasks of one process apart, so they contend like two processes would.
    """
    suffix = f"@{socket.gethostname()}:{os.getpid()}#{secrets.token_hex(4)}"
    return role[: _MAX_HOLDER - len(suffix)] + suffix


def holder_role(holder: str) -> str:
    """The role part of a holder name (``daemon push``), or the whole name if it has no such shape."""
    match = _HOLDER.match(holder)
    return match["role"] if match else holder


def holder_process(holder: str) -> tuple[str, int] | None:
    """The host and pid of a holder name, or None if it has no such shape."""
    match = _HOLDER.match(holder)
    return (match["host"], int(match["pid"])) if match else None


def _dead_here(holder: str) -> bool:
    """True when ``holder`` was a process on this host that no longer exists."""
    match = _HOLDER.match(holder)
    if match is None or match["host"] != socket.gethostname():
        return False
    pid = int(match["pid"])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


def acquire(store: Store, name: str, holder: str, ttl: float, *, now: datetime | None = None) -> bool:
    """Take the lease ``name`` for ``ttl`` seconds; False (never an error) when someone else holds it."""
    now = now or utcnow()
    values = {"holder": holder, "acquired_at": now, "expires_at": now + timedelta(seconds=ttl)}
    with store.engine.begin() as conn:
        taken = conn.execute(
            update(LEASE)
            .where(LEASE.c.name == name, or_(LEASE.c.expires_at < now, LEASE.c.holder == holder))
            .values(values)
        ).rowcount
    if taken:
        return True
    try:
        with store.engine.begin() as conn:
            conn.execute(LEASE.insert().values(name=name, **values))
    except IntegrityError:
        return _take_from_the_dead(store, name, values)
    return True


def _take_from_the_dead(store: Store, name: str, values: dict[str, object]) -> bool:
    lease = current(store, name)
    if lease is None or not _dead_here(lease.holder):
        return False
    with store.engine.begin() as conn:
        # Only if the dead holder still has it: another process may be taking it over right now.
        taken = conn.execute(
            update(LEASE).where(LEASE.c.name == name, LEASE.c.holder == lease.holder).values(values)
        ).rowcount
    return bool(taken)


def renew(store: Store, name: str, holder: str, ttl: float, *, now: datetime | None = None) -> bool:
    """Extend our lease by ``ttl`` from now; False when it is no longer ours (it expired and was taken)."""
    now = now or utcnow()
    with store.engine.begin() as conn:
        renewed = conn.execute(
            update(LEASE)
            .where(LEASE.c.name == name, LEASE.c.holder == holder)
            .values(expires_at=now + timedelta(seconds=ttl))
        ).rowcount
    return bool(renewed)


def release(store: Store, name: str, holder: str) -> bool:
    """Give the lease up, if it is still ours; True when it was."""
    with store.engine.begin() as conn:
        released = conn.execute(delete(LEASE).where(LEASE.c.name == name, LEASE.c.holder == holder)).rowcount
    return bool(released)


def current(store: Store, name: str) -> LeaseView | None:
    """The lease row as stored (possibly expired), or None."""
    with store.engine.connect() as conn:
        row = conn.execute(select(LEASE).where(LEASE.c.name == name)).first()
    return None if row is None else LeaseView(row.name, row.holder, row.acquired_at, row.expires_at)


def held(store: Store, *, prefix: str = "", now: datetime | None = None) -> dict[str, str]:
    """Leases in force whose name starts with ``prefix``: name → holder."""
    now = now or utcnow()
    query = select(LEASE.c.name, LEASE.c.holder).where(LEASE.c.expires_at >= now)
    if prefix:
        query = query.where(LEASE.c.name.startswith(prefix, autoescape=True))
    with store.engine.connect() as conn:
        return {str(name): str(holder) for name, holder in conn.execute(query)}
