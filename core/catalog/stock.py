"""Manual stock edits: a seller counts the shelf and says how many there are.

The figure becomes on hand (reservations held by open orders stay as they are) and the variant's last
count; the ledger records the count (who, old → new), and the product's revision is bumped in the same
transaction, so the next push sends the new available stock to every channel.
"""

from __future__ import annotations

from sqlalchemy import select

from core.actor import current_user
from core.db import Store
from core.errors import NotFound, UsageError
from core.filters import known_seller
from core.models import SELLER, VARIANT, utcnow
from core.revisions import touch_products
from core.sync.ledger import count_stock

__all__ = ["set_stock"]


def set_stock(store: Store, *, seller: str, variant_sku: str, on_hand: int) -> tuple[int, int]:
    """Set a variant's stock on hand after a count; returns (old, new)."""
    if on_hand < 0:
        raise UsageError(f"{on_hand} is not a stock figure", hint="stock on hand is 0 or more")
    with store.engine.begin() as conn:
        row = conn.execute(
            select(VARIANT.c.id, VARIANT.c.stock_on_hand)
            .join(SELLER, SELLER.c.id == VARIANT.c.seller_id)
            .where(SELLER.c.code == known_seller(conn, seller), VARIANT.c.sku == variant_sku)
        ).first()
        if row is None:
            raise NotFound(f"{seller} has no variant {variant_sku!r}", hint="see 'chosync catalog show PRODUCT_SKU'")
        moved = count_stock(
            conn, {row.id: on_hand}, source="chosync catalog set-stock", actor=current_user(), now=utcnow()
        )
        touch_products(conn, [c.product_id for c in moved])
    return (moved[0].before, on_hand) if moved else (on_hand, on_hand)
