"""Reading stored orders back: each with its lines and where each line stands in the stock ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.db import Store
from core.filters import check_filters
from core.models import CHANNEL_ACCOUNT, SELLER, VARIANT
from core.sync.models import ORDER, ORDER_LINE

__all__ = ["LineView", "OrderView", "list_orders"]


@dataclass(frozen=True, slots=True)
class LineView:
    line_id: str
    sku: str | None
    quantity: int
    unit_price_vnd: int
    ledger_state: str
    unknown: bool  # the SKU matched none of the seller's variants


@dataclass(frozen=True, slots=True)
class OrderView:
    order_id: str
    seller: str
    channel: str
    account: str
    status: str
    raw_status: str
    placed_at: datetime
    changed_at: datetime
    total_vnd: int
    lines: tuple[LineView, ...]


def list_orders(store: Store, *, seller: str | None = None, status: str | None = None) -> list[OrderView]:
    """Stored orders, newest first, with their lines."""
    seller, _ = check_filters(store, seller=seller)
    query = (
        select(ORDER, SELLER.c.code, CHANNEL_ACCOUNT.c.channel, CHANNEL_ACCOUNT.c.name)
        .join(SELLER, SELLER.c.id == ORDER.c.seller_id)
        .join(CHANNEL_ACCOUNT, CHANNEL_ACCOUNT.c.id == ORDER.c.account_id)
        .order_by(ORDER.c.placed_at.desc(), ORDER.c.id.desc())
    )
    if seller is not None:
        query = query.where(SELLER.c.code == seller)
    if status is not None:
        query = query.where(ORDER.c.status == status)
    # The lines come by the same filters (a subquery, not a list of ids: any number of orders fits).
    line_query = (
        select(ORDER_LINE, VARIANT.c.sku)
        .outerjoin(VARIANT, VARIANT.c.id == ORDER_LINE.c.variant_id)
        .where(ORDER_LINE.c.order_id.in_(query.with_only_columns(ORDER.c.id).order_by(None)))
        .order_by(ORDER_LINE.c.id)
    )
    lines: dict[int, list[LineView]] = {}
    with store.engine.connect() as conn:
        orders = list(conn.execute(query))
        for r in conn.execute(line_query):
            # Our SKU once resolved (the marketplace may have named the product), else theirs.
            view = LineView(r.line_id, r.sku or r.variant_sku, r.quantity, r.unit_price_vnd, r.ledger_state,
                            r.variant_id is None)  # fmt: skip
            lines.setdefault(r.order_id, []).append(view)
    return [
        OrderView(o.order_id, o.code, o.channel, o.name, o.status, o.raw_status, o.placed_at, o.changed_at,
                  o.total_vnd, tuple(lines.get(o.id, ())))
        for o in orders
    ]  # fmt: skip
