"""The fast path: an account with something to push is pushed within seconds, not at its next interval.

Stock moves when an import lands or a pulled order reaches the ledger; both bump the product's revision
in the same transaction (:mod:`core.revisions`). Every few seconds the daemon asks the database one
cheap question, :func:`accounts_with_work`: which enabled accounts have a listing whose planned revision
is behind its product (or account), an active product not listed yet, or an operation due to be sent
(queued, left unknown by a crash, or whose retry time has come)? Those accounts are pushed at once.

Some work cannot go out however often we try (a marketplace that is down, a create parked as failed
that the listing's price updates wait for). :class:`ChangeWatcher` keeps the fast path from hammering
such an account: after a push that made no headway it waits, doubling up to the account's push
interval; a push that made headway lets the next change through at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select, union

from core.db import Store
from core.models import CHANNEL_ACCOUNT, PRODUCT, ProductStatus, utcnow
from core.sync.models import LISTING, OPERATION, OpState

__all__ = ["ChangeWatcher", "accounts_with_work"]

_DUE_STATES = (OpState.PLANNED.value, OpState.UNKNOWN.value, OpState.SENDING.value)


def accounts_with_work(store: Store, *, now: datetime | None = None) -> set[int]:
    """Ids of enabled accounts with something to push now (the same test the planner makes, in SQL)."""
    now = now or utcnow()
    listing = LISTING.alias("l")
    replan = (
        select(CHANNEL_ACCOUNT.c.id)
        .select_from(CHANNEL_ACCOUNT)
        .join(PRODUCT, PRODUCT.c.seller_id == CHANNEL_ACCOUNT.c.seller_id)
        .outerjoin(listing, and_(listing.c.product_id == PRODUCT.c.id, listing.c.account_id == CHANNEL_ACCOUNT.c.id))
        .where(CHANNEL_ACCOUNT.c.enabled.is_(True))
        .where(
            or_(
                and_(listing.c.id.is_(None), PRODUCT.c.status == ProductStatus.ACTIVE.value),
                listing.c.planned_revision != PRODUCT.c.revision,
                listing.c.account_revision != CHANNEL_ACCOUNT.c.revision,
            )
        )
    )
    due = (
        select(OPERATION.c.account_id)
        .join(CHANNEL_ACCOUNT, CHANNEL_ACCOUNT.c.id == OPERATION.c.account_id)
        .where(CHANNEL_ACCOUNT.c.enabled.is_(True))
        .where(
            or_(
                OPERATION.c.state.in_(_DUE_STATES),
                and_(OPERATION.c.state == OpState.RETRY_WAIT.value, OPERATION.c.next_attempt_at <= now),
            )
        )
    )
    with store.engine.connect() as conn:
        return {int(account_id) for (account_id,) in conn.execute(union(replan, due))}


@dataclass
class ChangeWatcher:
    """Decides which accounts with work to push now, backing off from those where pushing does not help.

    ``cap`` gives an account's longest wait (its push interval: the regular job covers it from there).
    Times are monotonic seconds.
    """

    base_s: float
    cap: Callable[[int], float]
    _quiet_until: dict[int, float] = field(default_factory=dict)
    _misses: dict[int, int] = field(default_factory=dict)

    def due(self, with_work: set[int], busy: set[int], now: float) -> list[int]:
        """Accounts to push now. Each is then held back ``base_s`` until its push reports (:meth:`pushed`)."""
        chosen = sorted(a for a in with_work - busy if now >= self._quiet_until.get(a, 0.0))
        for account_id in chosen:
            self._quiet_until[account_id] = now + self.base_s
        for gone in set(self._quiet_until) - with_work - busy:  # nothing left to do: forget it
            self._quiet_until.pop(gone, None)
            self._misses.pop(gone, None)
        return chosen

    def pushed(self, account_id: int, *, progressed: bool, now: float) -> None:
        """A push of the account ended (whoever started it); ``progressed``: it sent or settled something."""
        if progressed:
            self._misses.pop(account_id, None)
            self._quiet_until.pop(account_id, None)
            return
        misses = self._misses.get(account_id, 0) + 1
        self._misses[account_id] = misses
        wait = min(self.cap(account_id), self.base_s * 2 ** (misses - 1))
        self._quiet_until[account_id] = now + wait
