"""Oversells: variants whose orders hold or took more than the seller has, and the orders behind them.

A variant is **oversold** when on hand − reserved < 0: the marketplaces together sold units that were not
there (two shops sold the last unit before either order was pulled, or stock was edited by hand on a
shop). The ledger records it as it is (on hand may go below zero: the goods did leave) and every channel
is shown 0; what is left is for a person: cancel one of the orders on its marketplace (the next pull
releases it), or, if the goods are there after all, count again (``chosync catalog set-stock``).

The orders named are the ones that hold units (reserved lines) and the sales that took on hand below
zero: the ledger is walked back from today's on hand, entry by entry, while the figure after each entry
was below zero (an earlier oversell that a count settled is not named again).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, select

from core.db import Store
from core.filters import known_seller
from core.models import CHANNEL_ACCOUNT, PRODUCT, SELLER, VARIANT
from core.sync.models import LEDGER, ORDER, ORDER_LINE, LedgerState

__all__ = ["Oversold", "OversoldOrder", "find_oversold", "list_oversold"]

_WALK_LIMIT = 200  # ledger entries read back per variant, at most: far more than one oversell takes


@dataclass(frozen=True, slots=True)
class OversoldOrder:
    """An order line holding (``reserved``) or having taken (``sold``) units of an oversold variant."""

    channel: str
    account: str
    order_id: str
    quantity: int
    state: str


@dataclass(frozen=True, slots=True)
class Oversold:
    seller: str
    product_sku: str
    variant_sku: str
    on_hand: int
    reserved: int
    orders: tuple[OversoldOrder, ...] = ()

    @property
    def short(self) -> int:
        """Units sold or promised beyond what the seller has."""
        return self.reserved - self.on_hand


def find_oversold(
    conn: Connection, *, seller: str | None = None, variant_ids: Collection[int] | None = None
) -> list[Oversold]:
    """Oversold variants (of ``seller``, or among ``variant_ids``), by seller and SKU, with their orders."""
    query = (
        select(VARIANT.c.id, VARIANT.c.sku, VARIANT.c.stock_on_hand, VARIANT.c.reserved,
               PRODUCT.c.sku.label("product_sku"), SELLER.c.code)
        .join(PRODUCT, PRODUCT.c.id == VARIANT.c.product_id)
        .join(SELLER, SELLER.c.id == VARIANT.c.seller_id)
        .where(VARIANT.c.stock_on_hand - VARIANT.c.reserved < 0)
        .order_by(SELLER.c.code, VARIANT.c.sku)
    )  # fmt: skip
    if seller is not None:
        query = query.where(SELLER.c.code == known_seller(conn, seller))
    if variant_ids is not None:
        if not variant_ids:
            return []
        query = query.where(VARIANT.c.id.in_(sorted(variant_ids)))
    return [
        Oversold(row.code, row.product_sku, row.sku, row.stock_on_hand, row.reserved,
                 _holding(conn, row.id) + _took(conn, row.id, row.stock_on_hand))
        for row in conn.execute(query).all()
    ]  # fmt: skip


def list_oversold(store: Store, *, seller: str | None = None) -> list[Oversold]:
    with store.engine.connect() as conn:
        return find_oversold(conn, seller=seller)


def _holding(conn: Connection, variant_id: int) -> tuple[OversoldOrder, ...]:
    query = (
        select(CHANNEL_ACCOUNT.c.channel, CHANNEL_ACCOUNT.c.name, ORDER.c.order_id, ORDER_LINE.c.quantity)
        .join(ORDER, ORDER.c.id == ORDER_LINE.c.order_id)
        .join(CHANNEL_ACCOUNT, CHANNEL_ACCOUNT.c.id == ORDER.c.account_id)
        .where(ORDER_LINE.c.variant_id == variant_id, ORDER_LINE.c.ledger_state == LedgerState.RESERVED.value)
        .order_by(ORDER_LINE.c.id)
    )
    return tuple(OversoldOrder(r.channel, r.name, r.order_id, r.quantity, "reserved") for r in conn.execute(query))


def _took(conn: Connection, variant_id: int, on_hand: int) -> tuple[OversoldOrder, ...]:
    """The sales whose entries left on hand below zero, newest first, back to where it last was not."""
    query = (
        select(LEDGER.c.on_hand_delta, ORDER_LINE.c.quantity, ORDER_LINE.c.ledger_state, ORDER.c.order_id,
               CHANNEL_ACCOUNT.c.channel, CHANNEL_ACCOUNT.c.name)
        .select_from(LEDGER)
        .outerjoin(ORDER_LINE, ORDER_LINE.c.id == LEDGER.c.order_line_id)
        .outerjoin(ORDER, ORDER.c.id == ORDER_LINE.c.order_id)
        .outerjoin(CHANNEL_ACCOUNT, CHANNEL_ACCOUNT.c.id == ORDER.c.account_id)
        .where(LEDGER.c.variant_id == variant_id, LEDGER.c.on_hand_delta != 0)
        .order_by(LEDGER.c.id.desc())
        .limit(_WALK_LIMIT)
    )  # fmt: skip
    took: list[OversoldOrder] = []
    after = on_hand
    for entry in conn.execute(query):
        if after >= 0:
            break
        if entry.on_hand_delta < 0 and entry.order_id is not None:
            took.append(OversoldOrder(entry.channel, entry.name, entry.order_id, entry.quantity, entry.ledger_state))
        after -= entry.on_hand_delta
    return tuple(took)
