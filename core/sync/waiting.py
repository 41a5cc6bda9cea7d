"""What an account's queue still holds: operations not yet done nor parked, and why they wait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from core.db import Store
from core.sync.models import OPERATION, OpState

__all__ = ["Waiting", "pending_count", "waiting_work"]


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
