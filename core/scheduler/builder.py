"""Job builders: which jobs the daemon should have, read from the database, and when each one fires.

Every enabled channel account gets four jobs (push, pull, reconcile, tokens), named ``<kind>:<account
id>``. The daemon calls :func:`desired_jobs` every ``reload_every`` seconds (at most a minute) and makes
its scheduler match: an account added, paused or removed with the CLI, or given new intervals with
``chosync channels schedule``, is followed without a restart.

An interval comes from the account (its ``*_every_s`` columns), else its channel's table in the config,
else the default. Jobs are spread so that 130 sellers do not all fire in the same second: each job's
first run is offset by a fraction of its interval that depends only on its name (stable across restarts,
so a restart does not bunch them up), and every run may start up to ``jitter`` later. A reconcile whose
interval is whole days runs at night, Vietnam time, spread over ``reconcile_window`` from
``reconcile_at``: the marketplace is quiet and nobody is editing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select, update

from core.db import Store
from core.models import CHANNEL_ACCOUNT, SELLER, utcnow
from core.scheduler.durations import VIETNAM
from core.scheduler.jobs import JobKind
from core.settings import ScheduleSettings

__all__ = [
    "JobSpec",
    "account_intervals",
    "desired_jobs",
    "first_run",
    "job_id",
    "set_intervals",
    "trigger_for",
]

_DAY = 86400.0
_JITTER_SHARE = 0.1  # never jitter more than a tenth of an interval: short intervals stay short


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One job the daemon should run: what, for which account, how often."""

    kind: JobKind
    account_id: int
    seller: str
    channel: str
    account: str
    every_s: float

    @property
    def id(self) -> str:
        return job_id(self.kind, self.account_id)

    @property
    def at_night(self) -> bool:
        return self.kind is JobKind.RECONCILE and self.every_s % _DAY == 0


def job_id(kind: JobKind, account_id: int) -> str:
    return f"{kind.value}:{account_id}"


_COLUMNS = {JobKind.PUSH: "push_every_s", JobKind.PULL: "pull_every_s", JobKind.RECONCILE: "reconcile_every_s"}


def _resolve(
    settings: ScheduleSettings, channel: str, own: Mapping[JobKind, int | None]
) -> dict[JobKind, tuple[float, str]]:
    """Each kind's interval and where it comes from: the account, its channel's config, or the default."""
    configured = settings.channels.get(channel)
    resolved: dict[JobKind, tuple[float, str]] = {}
    for kind in JobKind:
        every: float | None = own.get(kind)
        source = "account"
        if every is None and configured is not None:
            every, source = getattr(configured, f"{kind.value}_every", None), "channel"
        if every is None:
            every, source = getattr(settings, f"{kind.value}_every"), "default"
        resolved[kind] = (float(every), source)
    return resolved


def _rows(store: Store, *, account_id: int | None = None, enabled: bool = True) -> list[Any]:
    query = (
        select(CHANNEL_ACCOUNT.c.id, SELLER.c.code, CHANNEL_ACCOUNT.c.channel, CHANNEL_ACCOUNT.c.name,
               *(CHANNEL_ACCOUNT.c[column] for column in _COLUMNS.values()))
        .join(SELLER, SELLER.c.id == CHANNEL_ACCOUNT.c.seller_id)
    )  # fmt: skip
    if enabled:
        query = query.where(CHANNEL_ACCOUNT.c.enabled.is_(True), CHANNEL_ACCOUNT.c.removed_at.is_(None))
    if account_id is not None:
        query = query.where(CHANNEL_ACCOUNT.c.id == account_id)
    with store.engine.connect() as conn:
        return list(conn.execute(query))


def desired_jobs(store: Store, settings: ScheduleSettings) -> dict[str, JobSpec]:
    """Job id → spec for every enabled account, with its intervals resolved."""
    jobs: dict[str, JobSpec] = {}
    for row in _rows(store):
        own = {kind: getattr(row, column) for kind, column in _COLUMNS.items()}
        for kind, (every, _) in _resolve(settings, row.channel, own).items():
            spec = JobSpec(kind, row.id, row.code, row.channel, row.name, every)
            jobs[spec.id] = spec
    return jobs


def account_intervals(store: Store, settings: ScheduleSettings, account_id: int) -> dict[JobKind, tuple[float, str]]:
    """An account's intervals as the daemon uses them, with their source (account, channel, default)."""
    [row] = _rows(store, account_id=account_id, enabled=False)
    return _resolve(settings, row.channel, {kind: getattr(row, column) for kind, column in _COLUMNS.items()})


def set_intervals(store: Store, account_id: int, intervals: Mapping[JobKind, int | None]) -> None:
    """Set an account's own intervals in seconds (None: back to its channel's); the daemon follows within
    a minute."""
    values: dict[str, Any] = {_COLUMNS[kind]: every for kind, every in intervals.items()}
    if values:
        with store.engine.begin() as conn:
            conn.execute(
                update(CHANNEL_ACCOUNT).where(CHANNEL_ACCOUNT.c.id == account_id).values(**values, updated_at=utcnow())
            )


def _share(name: str) -> float:
    """A number in [0, 1) fixed by ``name``: where in its interval a job's first run falls."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") / 2**64


def first_run(spec: JobSpec, settings: ScheduleSettings, now: datetime) -> datetime:
    """When ``spec`` first fires from ``now``: spread over its interval, or at night for a daily reconcile."""
    if not spec.at_night:
        return now + timedelta(seconds=_share(spec.id) * spec.every_s)
    hour, minute = (int(part) for part in settings.reconcile_at.split(":"))
    local = now.astimezone(VIETNAM)
    start = datetime.combine(local.date(), time(hour, minute), tzinfo=VIETNAM)
    start += timedelta(seconds=_share(spec.id) * min(settings.reconcile_window, spec.every_s))
    while start <= local:
        start += timedelta(days=1)
    return start


def trigger_for(spec: JobSpec, settings: ScheduleSettings, now: datetime | None = None) -> IntervalTrigger:
    """An interval trigger from :func:`first_run`, with jitter of at most a tenth of the interval."""
    jitter = min(settings.jitter, spec.every_s * _JITTER_SHARE)
    return IntervalTrigger(
        seconds=spec.every_s,
        start_date=first_run(spec, settings, now or utcnow()),
        timezone=VIETNAM,
        jitter=jitter or None,
    )
