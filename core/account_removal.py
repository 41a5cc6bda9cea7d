"""Removing a channel account: its jobs stop, it leaves every list, and the stock truth stays whole.

A shop's orders and their ledger entries say where stock went; its listings and operations say what the
marketplace shows. So :func:`remove_account` refuses while the shop still matters to stock (listings live
on the marketplace, operations not settled, order lines holding a reservation only its order pull can
release), unless forced; then it deletes an account nothing was ever synced through, and only *marks*
one with history removed (``removed_at``), keeping every row that references it. A removed account is
disabled, so a running daemon drops its jobs at its next reload (:mod:`core.scheduler.builder`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from core.channels import AccountSummary
from core.db import Store
from core.errors import InputRejected
from core.models import CATEGORY_MAP, CHANNEL_ACCOUNT, CHANNEL_TOKEN, utcnow
from core.sync.models import (
    LISTING,
    OPERATION,
    ORDER,
    ORDER_LINE,
    SYNC_CURSOR,
    SYNC_RUN,
    UPLOAD_PACK,
    LedgerState,
    OpState,
)

__all__ = ["AccountUse", "account_use", "remove_account"]

# Operations that may still reach (or have reached) the marketplace: removing the account would leave
# them unfinished, and the marketplace in a state nobody tracks.
_UNSETTLED = (OpState.PLANNED, OpState.SENDING, OpState.RETRY_WAIT, OpState.UNKNOWN, OpState.AWAITING)
_OFF_MARKETPLACE = ("delisted", "deleted")  # a listing in these states shows nothing to buyers


@dataclass(frozen=True, slots=True)
class AccountUse:
    """What still hangs off a channel account: whether it can be removed, and how."""

    live_listings: int  # on the marketplace (or in its review): buyers can order what nobody syncs
    unsettled_operations: int  # planned, sending, retrying, unknown or awaiting a pack's confirmation
    reserved_lines: int  # order lines holding a reservation that only this account's order pull releases
    history: int  # listings, operations, orders, packs: rows that reference the account

    @property
    def blockers(self) -> list[str]:
        def n(count: int, what: str) -> str:
            return f"{count} {what}{'' if count == 1 else 's'}"

        found = []
        if self.live_listings:
            found.append(n(self.live_listings, "live listing"))
        if self.unsettled_operations:
            found.append(n(self.unsettled_operations, "unsettled operation"))
        if self.reserved_lines:
            found.append(n(self.reserved_lines, "open order line") + " holding stock")
        return found


def account_use(store: Store, account_id: int) -> AccountUse:
    def count(conn: Any, query: Any) -> int:
        return int(conn.execute(query).scalar_one())

    with store.engine.connect() as conn:
        live = count(conn, select(func.count()).select_from(LISTING).where(
            LISTING.c.account_id == account_id,
            LISTING.c.status.not_in(_OFF_MARKETPLACE),
            or_(LISTING.c.item_id.is_not(None), LISTING.c.status.not_in(("pending", "awaiting"))),
        ))  # fmt: skip
        unsettled = count(conn, select(func.count()).select_from(OPERATION).where(
            OPERATION.c.account_id == account_id, OPERATION.c.state.in_([s.value for s in _UNSETTLED])
        ))  # fmt: skip
        reserved = count(conn, select(func.count()).select_from(ORDER_LINE)
                         .join(ORDER, ORDER.c.id == ORDER_LINE.c.order_id)
                         .where(ORDER.c.account_id == account_id,
                                ORDER_LINE.c.ledger_state == LedgerState.RESERVED.value))  # fmt: skip
        history = sum(
            count(conn, select(func.count()).select_from(table).where(table.c.account_id == account_id))
            for table in (LISTING, OPERATION, ORDER, UPLOAD_PACK)
        )
    return AccountUse(live, unsettled, reserved, history)


def remove_account(store: Store, account: AccountSummary, *, force: bool = False) -> str:
    """Remove a channel account: its jobs stop (the daemon drops them at its next reload), it leaves every list.

    Refused (:class:`InputRejected`, saying what to do) while it has live listings, unsettled operations
    or orders holding stock, unless ``force``. An account nothing was ever synced through is deleted
    with its runs, cursors, tokens and category overrides ("deleted"); one with history (orders and
    their ledger entries are the stock truth) is only marked removed, its rows kept ("removed").
    """
    use = account_use(store, account.id)
    label = f"{account.seller} {account.channel} ({account.name})"
    if use.blockers and not force:
        raise InputRejected(
            f"{label} still has {', '.join(use.blockers)}",
            hint=(
                "archive its products and sync (or delist them in the seller centre), let operations settle "
                "('chosync failures', 'chosync assisted confirm') and open orders ship or cancel; "
                "or pass --force to remove it anyway (its listings stay on the marketplace, unsynced)"
            ),
        )
    with store.engine.begin() as conn:
        if use.history:
            conn.execute(
                update(CHANNEL_ACCOUNT)
                .where(CHANNEL_ACCOUNT.c.id == account.id)
                .values(enabled=False, removed_at=utcnow(), updated_at=utcnow())
            )
            return "removed"
        for table in (SYNC_RUN, SYNC_CURSOR, CHANNEL_TOKEN):
            conn.execute(delete(table).where(table.c.account_id == account.id))
        conn.execute(delete(CATEGORY_MAP).where(CATEGORY_MAP.c.scope == str(account.id)))
        conn.execute(delete(CHANNEL_ACCOUNT).where(CHANNEL_ACCOUNT.c.id == account.id))
    return "deleted"
