"""Health at a glance: per seller × channel account, listings by state, last good push and pull, tokens.

A push is good only when its outcome is ``ok``: a ``partial`` push left changes waiting or products
blocked (a problem in the catalog, an operation parked as failed), so it is not the last *successful*
push. Beside it the status keeps the newest finished push whatever its outcome (``latest_push`` and
``latest_push_outcome``), so a shop whose pushes keep ending partial or failed shows when it last tried
and how that went, not only how long ago it last succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from core.channels import list_accounts
from core.db import Store
from core.filters import check_filters
from core.models import CHANNEL_ACCOUNT, SELLER
from core.sync.models import LISTING, OPERATION, SYNC_RUN, OpState

__all__ = ["AccountStatus", "RunRow", "account_status", "recent_runs"]

# Awaiting confirmation (an assisted floor's upload pack) is pending too: a person still has work to do.
_PENDING = (
    OpState.PLANNED.value, OpState.RETRY_WAIT.value, OpState.UNKNOWN.value, OpState.SENDING.value,
    OpState.AWAITING.value,
)  # fmt: skip


@dataclass
class AccountStatus:
    seller: str
    channel: str
    name: str
    enabled: bool
    listings: dict[str, int] = field(default_factory=dict)  # listing status → count
    pending_ops: int = 0
    failed_ops: int = 0
    last_push: datetime | None = None  # the newest push that ended ok
    last_pull: datetime | None = None  # the newest pull that ended ok
    latest_push: datetime | None = None  # the newest finished push, whatever its outcome
    latest_push_outcome: str | None = None  # ok, partial (some operations parked as failed) or failed
    last_error: str | None = None
    refresh_expires_at: datetime | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # the account's own settings (its warn days, ...)

    @property
    def live(self) -> int:
        return self.listings.get("live", 0)

    @property
    def attention(self) -> int:
        """Listings a person must look at: refused, banned, or unlistable as the catalog stands."""
        return sum(self.listings.get(s, 0) for s in ("problem", "rejected", "banned"))


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    seller: str | None
    channel: str | None
    kind: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    counts: dict[str, int]
    error: str | None


def account_status(store: Store, *, seller: str | None = None) -> list[AccountStatus]:
    accounts = list_accounts(store, seller=seller)
    ids = [a.id for a in accounts]
    with store.engine.connect() as conn:
        listings = conn.execute(
            select(LISTING.c.account_id, LISTING.c.status, func.count())
            .where(LISTING.c.account_id.in_(ids))
            .group_by(LISTING.c.account_id, LISTING.c.status)
        ).all()
        ops = conn.execute(
            select(OPERATION.c.account_id, OPERATION.c.state, func.count())
            .where(OPERATION.c.account_id.in_(ids), OPERATION.c.state.in_([*_PENDING, OpState.FAILED.value]))
            .group_by(OPERATION.c.account_id, OPERATION.c.state)
        ).all()
        last_ok = conn.execute(
            select(SYNC_RUN.c.account_id, SYNC_RUN.c.kind, func.max(SYNC_RUN.c.finished_at))
            .where(SYNC_RUN.c.account_id.in_(ids), SYNC_RUN.c.outcome == "ok")
            .group_by(SYNC_RUN.c.account_id, SYNC_RUN.c.kind)
        ).all()
        newest = (
            select(func.max(SYNC_RUN.c.id))
            .where(SYNC_RUN.c.account_id.in_(ids), SYNC_RUN.c.kind == "push", SYNC_RUN.c.finished_at.is_not(None))
            .group_by(SYNC_RUN.c.account_id)
        )
        latest_pushes = conn.execute(
            select(SYNC_RUN.c.account_id, SYNC_RUN.c.finished_at, SYNC_RUN.c.outcome).where(SYNC_RUN.c.id.in_(newest))
        ).all()
        last_errors = conn.execute(
            select(SYNC_RUN.c.account_id, SYNC_RUN.c.error)
            .where(SYNC_RUN.c.account_id.in_(ids), SYNC_RUN.c.error.is_not(None))
            .order_by(SYNC_RUN.c.id)
        ).all()
    by_id = {
        a.id: AccountStatus(
            a.seller, a.channel, a.name, a.enabled, refresh_expires_at=a.refresh_expires_at, settings=dict(a.settings)
        )
        for a in accounts
    }
    for account_id, status, count in listings:
        by_id[account_id].listings[status] = int(count)
    for account_id, state, count in ops:
        if state == OpState.FAILED.value:
            by_id[account_id].failed_ops += int(count)
        else:
            by_id[account_id].pending_ops += int(count)
    for account_id, kind, finished in last_ok:
        if kind == "push":
            by_id[account_id].last_push = finished
        elif kind == "pull":
            by_id[account_id].last_pull = finished
    for account_id, finished, outcome in latest_pushes:
        by_id[account_id].latest_push, by_id[account_id].latest_push_outcome = finished, outcome
    for account_id, error in last_errors:
        by_id[account_id].last_error = error
    return list(by_id.values())


def recent_runs(store: Store, *, limit: int = 20, seller: str | None = None) -> list[RunRow]:
    seller, _ = check_filters(store, seller=seller)
    query = (
        select(SYNC_RUN, SELLER.c.code, CHANNEL_ACCOUNT.c.channel)
        .outerjoin(CHANNEL_ACCOUNT, CHANNEL_ACCOUNT.c.id == SYNC_RUN.c.account_id)
        .outerjoin(SELLER, SELLER.c.id == CHANNEL_ACCOUNT.c.seller_id)
        .order_by(SYNC_RUN.c.id.desc())
        .limit(limit)
    )
    if seller is not None:
        query = query.where(SELLER.c.code == seller)
    with store.engine.connect() as conn:
        return [
            RunRow(
                r.id,
                r.code,
                r.channel,
                r.kind,
                r.trigger,
                r.started_at,
                r.finished_at,
                r.outcome,
                dict(r.counts or {}),
                r.error,
            )
            for r in conn.execute(query)
        ]
