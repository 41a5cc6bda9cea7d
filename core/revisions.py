"""Revisions: how a change anywhere tells the sync planner which listings to look at again.

Every product carries a revision number, bumped in the same transaction as any change to the product,
its variants, or their stock (an import, an order moving the ledger, a manual edit); every channel
account carries one bumped when its settings, rules or category map change. A listing remembers the
revisions it was planned at, so the planner selects only listings whose numbers moved: an unchanged
catalog costs one SQL comparison per listing and no Python work at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, update

from core.models import CHANNEL_ACCOUNT, PRODUCT

__all__ = ["touch_accounts", "touch_products"]

_CHUNK = 500  # well under every backend's limit on bound parameters


def _touch(conn: Connection, table_ids: Iterable[int], *, accounts: bool) -> int:
    table = CHANNEL_ACCOUNT if accounts else PRODUCT
    ids = sorted(set(table_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        conn.execute(update(table).where(table.c.id.in_(chunk)).values(revision=table.c.revision + 1))
    return len(ids)


def touch_products(conn: Connection, product_ids: Iterable[int]) -> int:
    """Mark products changed (their listings on every channel get re-planned); returns how many."""
    return _touch(conn, product_ids, accounts=False)


def touch_accounts(conn: Connection, account_ids: Iterable[int]) -> int:
    """Mark channel accounts changed (all their listings get re-planned); returns how many."""
    return _touch(conn, account_ids, accounts=True)
