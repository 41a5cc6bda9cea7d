"""Pulling orders: a channel account's new and changed orders into the store and through the ledger.

A pull walks the connector's :meth:`~core.ports.Connector.pull_orders` from the account's stored
cursor (``sync_cursor``, kind ``orders``). Each batch is saved in ONE transaction: its orders upserted by
(account, marketplace order id), their lines by (order, line id), the ledger moved for every line
(:mod:`core.sync.ledger`), the products whose stock moved marked changed (:func:`touch_products`, so
every channel account of the seller re-plans its stock: DESIGN rule 4), and the batch's cursor saved.
A crash or a marketplace error between batches therefore leaves the store exactly at the last saved
batch, and the next pull resumes there; replaying orders already seen moves nothing.

An order line names our variant SKU; it is resolved, for the account's seller, as: a variant SKU; else a
product SKU with exactly one active variant; else the listing binding (item id and model id) of this
account. A line none of these know is kept with no variant and reported, never dropped: the order is
real, and once the SKU is known a later pull of that order resolves it and moves its stock.

No buyer data reaches this module (the connector leaves it behind) and none is logged (rule 8).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import Connection, func, select, update
from structlog.contextvars import bound_contextvars

from core.channels import AccountSummary
from core.db import Store
from core.errors import ChosyncError, InputRejected, NotFound
from core.logs import scrub
from core.models import CHANNEL_ACCOUNT, PRODUCT, VARIANT, VariantStatus, utcnow
from core.ports import Connector, Order, OrderBatch, OrderLine, OrderStatus
from core.revisions import touch_products
from core.settings import load_settings
from core.sync.ledger import LedgerPolicy, LedgerTally, advance_line, load_lines, restock_line
from core.sync.models import LISTING, ORDER, ORDER_LINE, SYNC_CURSOR, LedgerState
from core.sync.oversold import Oversold, find_oversold
from core.sync.runs import finish_run, start_run

__all__ = [
    "CURSOR_KIND",
    "PullReport",
    "UnknownLine",
    "confirm_return",
    "pull_orders",
    "save_orders",
    "seller_of",
]

CURSOR_KIND = "orders"
log = structlog.get_logger(__name__)
# A return can be confirmed once the order says the goods are on their way back to the seller.
_RETURNING = (OrderStatus.RETURNED.value, OrderStatus.CANCELLED.value)
# Line states whose goods were sold (taken off the shelf): only these have a return to confirm.
_LEFT_US = (LedgerState.SOLD, LedgerState.RESTOCKED)
# What a later sight of an order may change: the rest of it is fixed when it is placed.
_ORDER_FIELDS = ("status", "raw_status", "changed_at", "total_vnd")


@dataclass(frozen=True, slots=True)
class UnknownLine:
    """An order line whose SKU matches nothing of the seller's: stored, waiting for its variant."""

    order_id: str
    line_id: str
    sku: str | None
    item_id: str
    model_id: str


@dataclass
class PullReport:
    """One pull of one account: what it stored, what it could not place, how it ended."""

    account_id: int
    seller: str
    channel: str
    account: str
    run_id: int = 0
    outcome: str = "running"
    error: str | None = None
    cursor: str | None = None
    batches: int = 0
    orders_new: int = 0
    orders_updated: int = 0
    lines_new: int = 0
    ledger_entries: int = 0
    products_touched: int = 0
    unknown: list[UnknownLine] = field(default_factory=list)
    # Variants this pull moved that are now oversold (on hand − reserved < 0), as of the last batch.
    oversold: list[Oversold] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def counts(self) -> dict[str, int]:
        """What the sync run records."""
        return {name: getattr(self, name) for name in _COUNTED} | {"lines_unknown": len(self.unknown)}

    def add(self, saved: PullReport) -> None:
        """Count one batch in, once its transaction has committed."""
        for name in _COUNTED:
            setattr(self, name, getattr(self, name) + getattr(saved, name))
        self.unknown.extend(saved.unknown)
        newer = {o.variant_sku for o in saved.oversold}
        self.oversold = [o for o in self.oversold if o.variant_sku not in newer] + saved.oversold


_COUNTED = ("batches", "orders_new", "orders_updated", "lines_new", "ledger_entries", "products_touched")


class _Resolver:
    """Our variant for a marketplace line, for one seller and account; cached for the batch."""

    def __init__(self, conn: Connection, seller_id: int, account_id: int) -> None:
        self._conn = conn
        self._seller_id = seller_id
        self._account_id = account_id
        self._by_sku: dict[str, int | None] = {}
        self._by_item: dict[str, tuple[int, dict[str, str]] | None] = {}

    def prime(self, lines: Iterable[OrderLine]) -> None:
        """Look every new SKU of a batch up in two queries, not two per line."""
        skus = {s for s in (_sku(line) for line in lines) if s and s not in self._by_sku}
        if not skus:
            return
        variants = select(VARIANT.c.sku, VARIANT.c.id).where(
            VARIANT.c.seller_id == self._seller_id, VARIANT.c.sku.in_(skus)
        )
        found: dict[str, int | None] = {r[0]: r[1] for r in self._conn.execute(variants)}
        rest = skus - found.keys()
        if rest:
            singles = (
                select(PRODUCT.c.sku, func.min(VARIANT.c.id))
                .join(VARIANT, VARIANT.c.product_id == PRODUCT.c.id)
                .where(
                    PRODUCT.c.seller_id == self._seller_id,
                    PRODUCT.c.sku.in_(rest),
                    VARIANT.c.status == VariantStatus.ACTIVE.value,
                )
                .group_by(PRODUCT.c.sku)
                .having(func.count(VARIANT.c.id) == 1)
            )
            found.update({r[0]: r[1] for r in self._conn.execute(singles)})
        self._by_sku.update({sku: found.get(sku) for sku in skus})

    def resolve(self, line: OrderLine) -> int | None:
        sku = _sku(line)
        if sku:
            self.prime([line])
            variant_id = self._by_sku[sku]
            if variant_id is not None:
                return variant_id
        return self._via_listing(line)

    def _via_listing(self, line: OrderLine) -> int | None:
        if line.item_id not in self._by_item:
            row = self._conn.execute(
                select(LISTING.c.product_id, LISTING.c.models).where(
                    LISTING.c.account_id == self._account_id, LISTING.c.item_id == line.item_id
                )
            ).first()
            self._by_item[line.item_id] = None if row is None else (row.product_id, dict(row.models))
        binding = self._by_item[line.item_id]
        if binding is None:
            return None
        product_id, models = binding
        query = select(VARIANT.c.id).where(VARIANT.c.product_id == product_id)
        if models:
            skus = [sku for sku, model_id in models.items() if str(model_id) == line.model_id]
            if len(skus) != 1:
                return None
            return self._conn.execute(query.where(VARIANT.c.sku == skus[0])).scalar()
        # An item without variations is bound to a product with one variant: that one.
        ids = list(self._conn.execute(query.where(VARIANT.c.status == VariantStatus.ACTIVE.value)).scalars())
        return ids[0] if len(ids) == 1 else None


def _sku(line: OrderLine) -> str | None:
    return line.variant_sku.strip() if line.variant_sku and line.variant_sku.strip() else None


def _upsert_order(
    conn: Connection, account_id: int, seller_id: int, order: Order, known: dict[str, Any], saved: PullReport
) -> tuple[int, OrderStatus]:
    """The order's row id and the status the ledger must follow (the newest the store has seen)."""
    now = utcnow()
    values = dict(zip(_ORDER_FIELDS, (order.status.value, order.raw_status, order.updated_at,
                                      order.total_vnd), strict=True))  # fmt: skip
    row = known.get(order.order_id)
    if row is None:
        result = conn.execute(
            ORDER.insert().values(account_id=account_id, seller_id=seller_id, order_id=order.order_id,
                                  placed_at=order.created_at, currency=order.currency, created_at=now,
                                  updated_at=now, **values)
        )  # fmt: skip
        key = result.inserted_primary_key
        assert key is not None
        saved.orders_new += 1
        known[order.order_id] = {"id": int(key[0]), **values}
        return int(key[0]), order.status
    # A snapshot older than the stored one (pages can overlap) must not take the status back.
    if order.updated_at >= row["changed_at"] and any(row[k] != v for k, v in values.items()):
        conn.execute(update(ORDER).where(ORDER.c.id == row["id"]).values(updated_at=now, **values))
        saved.orders_updated += 1
        row.update(values)
    return int(row["id"]), OrderStatus(row["status"])


def _save_batch(
    store: Store, account: AccountSummary, seller_id: int, batch: OrderBatch, policy: LedgerPolicy
) -> PullReport:
    return save_orders(store, account, seller_id, batch.orders, policy, cursor=batch.cursor)


def save_orders(
    store: Store,
    account: AccountSummary,
    seller_id: int,
    orders: Sequence[Order],
    policy: LedgerPolicy,
    *,
    cursor: str | None = None,
) -> PullReport:
    """Store orders exactly as a pull does, in ONE transaction: upserted, lines resolved, the ledger
    moved, the products whose stock moved re-planned on every channel, and ``cursor`` (if given) saved.

    Every way an order arrives goes through here: an API pull, an export read from an assisted floor's
    inbox, an order keyed in by hand (:mod:`core.sync.manual_orders`).
    """
    saved = PullReport(account.id, account.seller, account.channel, account.name, batches=1)
    tally = LedgerTally()
    with store.engine.begin() as conn:
        ids = [order.order_id for order in orders]
        columns = [ORDER.c[name] for name in ("id", "order_id", *_ORDER_FIELDS)]
        where = (ORDER.c.account_id == account.id, ORDER.c.order_id.in_(ids))
        known: dict[str, Any] = {
            row.order_id: dict(row._mapping) for row in conn.execute(select(*columns).where(*where))
        }
        resolver = _Resolver(conn, seller_id, account.id)
        resolver.prime(line for order in orders for line in order.lines)
        statuses: dict[int, OrderStatus] = {}
        for order in orders:
            pk, statuses[pk] = _upsert_order(conn, account.id, seller_id, order, known, saved)
            _upsert_lines(conn, pk, order, resolver, saved)
        for line in load_lines(conn, statuses):
            advance_line(conn, line, statuses[line.order_pk], policy, tally)
        saved.ledger_entries = tally.entries
        saved.products_touched = touch_products(conn, tally.product_ids)
        saved.oversold = find_oversold(conn, variant_ids=tally.variant_ids) if tally.variant_ids else []
        if saved.oversold:
            log.warning("orders.oversold", skus=[o.variant_sku for o in saved.oversold],
                        short=[o.short for o in saved.oversold])  # fmt: skip
        if cursor is not None:
            _save_cursor(conn, account.id, cursor)
    return saved


def _upsert_lines(conn: Connection, order_pk: int, order: Order, resolver: _Resolver, saved: PullReport) -> None:
    stored = {
        row.line_id: row
        for row in conn.execute(
            select(ORDER_LINE.c.id, ORDER_LINE.c.line_id, ORDER_LINE.c.variant_id).where(
                ORDER_LINE.c.order_id == order_pk
            )
        )
    }
    for line in order.lines:
        row = stored.get(line.line_id)
        if row is not None and row.variant_id is not None:
            continue  # lines of an order do not change; the one thing to fill in is a missing variant
        variant_id = resolver.resolve(line)
        if row is None:
            conn.execute(
                ORDER_LINE.insert().values(order_id=order_pk, line_id=line.line_id, variant_id=variant_id,
                                           variant_sku=_sku(line), item_id=line.item_id,
                                           model_id=line.model_id, quantity=line.quantity,
                                           unit_price_vnd=line.unit_price_vnd,
                                           ledger_state=LedgerState.NONE.value)
            )  # fmt: skip
            saved.lines_new += 1
        elif variant_id is not None:
            conn.execute(update(ORDER_LINE).where(ORDER_LINE.c.id == row.id).values(variant_id=variant_id))
        if variant_id is None:
            unknown = UnknownLine(order.order_id, line.line_id, _sku(line), line.item_id, line.model_id)
            saved.unknown.append(unknown)
            if row is None:
                log.warning("orders.unknown_sku", order_id=order.order_id, line_id=line.line_id,
                            sku=unknown.sku, item_id=line.item_id, model_id=line.model_id)  # fmt: skip


def _cursor_of(account_id: int) -> tuple[Any, Any]:
    return SYNC_CURSOR.c.account_id == account_id, SYNC_CURSOR.c.kind == CURSOR_KIND


def _save_cursor(conn: Connection, account_id: int, cursor: str) -> None:
    stored = conn.execute(select(SYNC_CURSOR.c.value).where(*_cursor_of(account_id))).first()
    values = {"value": cursor, "updated_at": utcnow()}
    if stored is None:
        conn.execute(SYNC_CURSOR.insert().values(account_id=account_id, kind=CURSOR_KIND, **values))
    elif stored.value != cursor:  # an unchanged cursor is not rewritten: a quiet pull writes nothing
        conn.execute(update(SYNC_CURSOR).where(*_cursor_of(account_id)).values(values))


def seller_of(store: Store, account_id: int) -> int:
    """The seller id of a channel account."""
    return _start(store, account_id)[0]


def _start(store: Store, account_id: int) -> tuple[int, str | None]:
    """The account's seller id and stored cursor."""
    with store.engine.connect() as conn:
        seller = select(CHANNEL_ACCOUNT.c.seller_id).where(CHANNEL_ACCOUNT.c.id == account_id)
        cursor = conn.execute(select(SYNC_CURSOR.c.value).where(*_cursor_of(account_id))).scalar()
        return int(conn.execute(seller).scalar_one()), cursor


async def pull_orders(
    store: Store,
    account: AccountSummary,
    connector: Connector,
    *,
    trigger: str,
    policy: LedgerPolicy | None = None,
    run_id: int | None = None,
) -> PullReport:
    """Pull the account's orders since its cursor; a failed pull is reported (and recorded), not raised.

    ``policy`` defaults to the settings in force; ``run_id`` is a pull run the caller started. Only
    errors that are not :class:`ChosyncError` (bugs) propagate, after the run is recorded as failed.
    """
    policy = policy or LedgerPolicy.from_settings(load_settings())
    report = PullReport(account.id, account.seller, account.channel, account.name)
    if run_id is None:
        run_id = await asyncio.to_thread(start_run, store, account_id=account.id, kind="pull", trigger=trigger)
    report.run_id = run_id
    # Bound for every event of the pull, the ledger's and the connector's included (rule 9);
    # asyncio.to_thread carries the context into the worker thread.
    with bound_contextvars(seller=account.seller, channel=account.channel, account=account.name, run_id=report.run_id):
        try:
            seller_id, report.cursor = await asyncio.to_thread(_start, store, account.id)
            async for batch in connector.pull_orders(report.cursor):
                saved = await asyncio.to_thread(_save_batch, store, account, seller_id, batch, policy)
                report.add(saved)
                report.cursor = batch.cursor
        except ChosyncError as exc:
            report.outcome, report.error = "failed", scrub(str(exc))
            log.warning("orders.pull_failed", error=report.error, **report.counts())
        except BaseException as exc:  # a bug or a cancellation: record the run, then let it through
            error = f"internal error: {type(exc).__name__}"
            finish_run(store, report.run_id, outcome="failed", counts=report.counts(), error=error)
            raise
        else:
            report.outcome = "ok"
            log.info("orders.pulled", **report.counts())
    await asyncio.to_thread(
        finish_run, store, report.run_id, outcome=report.outcome, counts=report.counts(), error=report.error
    )
    return report


def confirm_return(store: Store, *, account_id: int, order_id: str) -> int:
    """The seller has the goods of a returned (or cancelled after shipping) order back: restock its sold
    lines. Returns how many lines were restocked; confirming again restocks nothing.

    An order returned or cancelled before any of it shipped was never taken off the shelf (the ledger
    released its reservation when the status arrived): confirming it is refused with that reason, so the
    seller does not think stock went back on hand twice, or not at all."""
    tally = LedgerTally()
    restocked = 0
    with store.engine.begin() as conn:
        where = (ORDER.c.account_id == account_id, ORDER.c.order_id == order_id)
        order = conn.execute(select(ORDER.c.id, ORDER.c.status).where(*where)).first()
        if order is None:
            raise NotFound(f"no order {order_id!r} on this account", hint="see 'chosync orders list'")
        if order.status not in _RETURNING:
            raise InputRejected(
                f"order {order_id} is {order.status}: there is no return to confirm",
                hint="a return can be confirmed once the marketplace reports it returned or cancelled",
            )
        lines = load_lines(conn, [order.id])
        known = [line for line in lines if line.variant_id is not None]  # an unknown SKU never moved stock
        if known and not any(line.state in _LEFT_US for line in known):
            raise InputRejected(
                f"order {order_id} was {order.status} before it shipped: nothing of it left the shelf, and its "
                "reserved stock was released when that status arrived, so there is nothing to put back",
                hint="no action needed: on hand was never lowered for this order",
            )
        for line in lines:
            if restock_line(conn, line, tally) is not line.state:
                restocked += 1
        touch_products(conn, tally.product_ids)
    if restocked:
        log.info("orders.return_confirmed", account_id=account_id, order_id=order_id, lines=restocked)
    return restocked
