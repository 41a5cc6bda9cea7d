"""The operations an account has due now, the newest per target; a run that died mid-send is resolved here.

An operation a killed run left in ``sending`` may have reached the marketplace: it becomes ``unknown``,
and the applier reads it back (or looks its SKU up) before sending it again. Of several queued operations
for one target (a listing, a kind, a variant) only the newest is sent; the older are ``superseded``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from core.db import Store
from core.models import PRODUCT
from core.ports import ListingRef
from core.sync.models import LISTING, OPERATION, OpKind, OpState

__all__ = ["DueOp", "due_operations"]


@dataclass
class DueOp:
    id: int
    kind: OpKind
    listing_id: int
    product_id: int
    product_sku: str
    variant_sku: str | None
    value: int | None
    attempts: int
    item_id: str | None
    models: dict[str, str]
    unknown: bool = False  # its last send may have landed: read back before sending again
    rate_limited_s: float = 0.0
    queued_at: datetime | None = None

    @property
    def ref(self) -> ListingRef:
        assert self.item_id is not None
        return ListingRef(item_id=self.item_id, models=self.models)


def due_operations(store: Store, account_id: int, now: datetime) -> list[DueOp]:
    """Operations to send now, the newest per target; older duplicates are superseded."""
    with store.engine.begin() as conn:
        # A run that died mid-send left these: their outcome is unknown until resolved.
        conn.execute(
            update(OPERATION)
            .where(OPERATION.c.account_id == account_id, OPERATION.c.state == OpState.SENDING.value)
            .values(state=OpState.UNKNOWN.value, updated_at=now)
        )
        query = (
            select(OPERATION, PRODUCT.c.id.label("product_id"), PRODUCT.c.sku.label("product_sku"),
                   LISTING.c.item_id, LISTING.c.models)
            .join(LISTING, LISTING.c.id == OPERATION.c.listing_id)
            .join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id)
            .where(OPERATION.c.account_id == account_id)
            .where(OPERATION.c.state.in_([OpState.PLANNED, OpState.RETRY_WAIT, OpState.UNKNOWN]))
            .order_by(OPERATION.c.id)
        )  # fmt: skip
        latest: dict[tuple[int, str, str | None], Any] = {}
        superseded: list[int] = []
        for row in conn.execute(query):
            key = (row.listing_id, row.kind, row.variant_sku)
            if key in latest:
                superseded.append(latest[key].id)
            latest[key] = row
        if superseded:
            conn.execute(
                update(OPERATION)
                .where(OPERATION.c.id.in_(superseded))
                .values(state=OpState.SUPERSEDED.value, updated_at=now)
            )
    ready = [
        r for r in latest.values()
        if r.state != OpState.RETRY_WAIT.value or r.next_attempt_at is None or r.next_attempt_at <= now
    ]  # fmt: skip
    return [
        DueOp(r.id, OpKind(r.kind), r.listing_id, r.product_id, r.product_sku, r.variant_sku, r.value,
              r.attempts, r.item_id, dict(r.models or {}), unknown=r.state == OpState.UNKNOWN.value,
              rate_limited_s=r.rate_limited_s or 0.0, queued_at=r.created_at)
        for r in ready
    ]  # fmt: skip
