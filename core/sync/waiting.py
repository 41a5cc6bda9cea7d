"""What an account's queue still holds: operations not yet done nor parked, and why they wait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from core.db import Store
from core.models import PRODUCT
from core.sync.models import LISTING, OPERATION, OpState

__all__ = ["QueuedOp", "Waiting", "pending_count", "queued_operations", "waiting_work"]


_WAITING = (OpState.PLANNED.value, OpState.RETRY_WAIT.value, OpState.UNKNOWN.value, OpState.SENDING.value)


def pending_count(store: Store, account_id: int) -> int:
    """Operations of the account not yet done or parked (planned, waiting to retry, unknown)."""
    return waiting_work(store, account_id).total


@dataclass(frozen=True)
class Waiting:
    """An account's operations not yet done nor parked, by why they wait."""

    planned: int = 0  # held behind a listing's create or update that did not settle, or never tried
    retrying: int = 0  # waiting for their next attempt (a retryable error, or a rate limit)
    unknown: int = 0  # the answer was lost: the next run reads the marketplace back first
    next_attempt_at: datetime | None = None  # the soonest retry, when any waits for one

    @property
    def total(self) -> int:
        return self.planned + self.retrying + self.unknown


def waiting_work(store: Store, account_id: int) -> Waiting:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(OPERATION.c.state, func.count(), func.min(OPERATION.c.next_attempt_at))
            .where(OPERATION.c.account_id == account_id, OPERATION.c.state.in_(_WAITING))
            .group_by(OPERATION.c.state)
        ).all()
    counts = {state: int(count) for state, count, _ in rows}
    soonest = next((at for state, _, at in rows if state == OpState.RETRY_WAIT.value), None)
    return Waiting(
        planned=counts.get(OpState.PLANNED.value, 0),
        retrying=counts.get(OpState.RETRY_WAIT.value, 0),
        # A run killed mid-send left "sending": the next run treats it as unknown.
        unknown=counts.get(OpState.UNKNOWN.value, 0) + counts.get(OpState.SENDING.value, 0),
        next_attempt_at=soonest,
    )


@dataclass(frozen=True, slots=True)
class QueuedOp:
    """An operation written down earlier and not yet done: work the next sync does before anything new."""

    id: int
    kind: str
    product_sku: str
    variant_sku: str | None
    value: int | None
    state: str  # planned, retry_wait, unknown (or sending: a run died mid-send, read as unknown)
    attempts: int
    next_attempt_at: datetime | None
    error: str | None

    @property
    def why(self) -> str:
        """Why it waits, for a person."""
        if self.state in (OpState.UNKNOWN.value, OpState.SENDING.value):
            return "answer lost: read back from the marketplace first, then sent if it did not land"
        if self.state == OpState.RETRY_WAIT.value:
            return f"to retry after: {self.error}" if self.error else "to retry"
        return "queued, not sent yet (behind a listing that did not settle, or never tried)"


def queued_operations(store: Store, account_id: int) -> list[QueuedOp]:
    """The account's operations not yet done nor parked, oldest first."""
    query = (
        select(OPERATION.c.id, OPERATION.c.kind, PRODUCT.c.sku, OPERATION.c.variant_sku, OPERATION.c.value,
               OPERATION.c.state, OPERATION.c.attempts, OPERATION.c.next_attempt_at, OPERATION.c.error)
        .join(LISTING, LISTING.c.id == OPERATION.c.listing_id)
        .join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id)
        .where(OPERATION.c.account_id == account_id, OPERATION.c.state.in_(_WAITING))
        .order_by(OPERATION.c.id)
    )  # fmt: skip
    with store.engine.connect() as conn:
        return [QueuedOp(*row) for row in conn.execute(query)]
