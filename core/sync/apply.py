"""Applying queued operations to one channel account: sent, retried, parked, never sent twice blindly.

Each operation is marked ``sending`` (its attempt counted) in the store before its request leaves, and
the binding is updated in the same transaction that marks it ``done``. A process killed in between
leaves operations in ``sending``; the next run treats them as ``unknown`` (as it does an operation whose
answer was lost) and resolves them before anything is sent again:

- a create, by looking our SKU up on the marketplace (the connector does that before every create);
- a price, stock or delist, by reading the listing back (:mod:`core.sync.readback`): when the
  marketplace already shows the target value (or the item delisted) the operation is done with no
  request; otherwise it is sent again. Until the read succeeds nothing is sent;
- a content update is sent again as it is: it sets the listing's whole content, so applying it twice
  leaves the marketplace as applying it once, and a read-back would cost more requests than it saves.

Errors are settled by their class (DESIGN rule 5): a rate limit reschedules without spending the
attempt, but the time an operation has waited on rate limits is summed and bounded
(``RetrySchedule.max_rate_limited_s``, each wait counted as at least a second): past it the operation is
parked, since a marketplace throttling it that long means a spent quota a person must look at; a
retryable error reschedules with exponential backoff until ``max_attempts``, then parks the operation as
failed ("gave up after N attempts"); a permanent error parks it at once with the marketplace's reason;
an auth error stops the account's run (every other call would be refused too) and leaves the rest queued.
No connection at all (:class:`~core.errors.CannotConnect`) stops it too; the operations tried wait
``unreachable_s`` and are parked after ``max_unreachable`` tries: a wrong address needs a person, soon.

Phases run in order — creates, content updates, prices, stock, delists — so a variant's price never
reaches a listing before the listing exists; a listing whose create or update did not settle (outcome
unknown, or waiting to retry) keeps its prices and stock planned for the next run, which settles it
first. Within a phase, calls run concurrently up to ``concurrency``; the connector's own rate limiter
keeps them within the marketplace's limits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Connection, select, update
from structlog.contextvars import bound_contextvars

from core.channels import AccountSummary
from core.db import Store
from core.errors import (
    AuthError,
    CannotConnect,
    ChosyncError,
    PermanentError,
)
from core.logs import scrub
from core.models import utcnow
from core.ports import BatchResult, Connector, PriceUpdate, StockUpdate, payload_hash
from core.sync.apply_report import ApplyReport
from core.sync.due import DueOp, due_operations
from core.sync.models import LISTING, OPERATION, OpKind, OpState
from core.sync.plan import load_products
from core.sync.readback import READ_BACK_KINDS, read_listings, shows
from core.sync.retry_schedule import RetrySchedule
from core.sync.settle import gave_up, settle
from core.sync.waiting import Waiting, pending_count, waiting_work

__all__ = ["ApplyReport", "RetrySchedule", "Waiting", "apply_account", "pending_count", "waiting_work"]

log = structlog.get_logger(__name__)
_PHASES = (OpKind.CREATE, OpKind.UPDATE, OpKind.PRICE, OpKind.STOCK, OpKind.DELIST)
_DONE_COUNTER = {
    OpKind.CREATE: "created", OpKind.UPDATE: "updated", OpKind.PRICE: "prices",
    OpKind.STOCK: "stocks", OpKind.DELIST: "delisted",
}  # fmt: skip


class _Applier:
    def __init__(
        self,
        store: Store,
        account: AccountSummary,
        connector: Connector,
        *,
        schedule: RetrySchedule,
        concurrency: int,
        now: Callable[[], datetime],
        on_progress: Callable[[int], None] | None,
    ) -> None:
        self.store = store
        self.account = account
        self.connector = connector
        self.schedule = schedule
        self.limit = asyncio.Semaphore(concurrency)
        self.now = now
        self.on_progress = on_progress
        self.report = ApplyReport()
        self.log = log.bind(seller=account.seller, channel=account.channel, account_id=account.id)
        # Listings whose create or update did not settle in this run (its outcome unknown, or retrying):
        # their price and stock wait for the next run, which resolves it first (a variant the update
        # was adding may not exist yet, and its price would fail for good).
        self.held: set[int] = set()

    # --- reading and marking -------------------------------------------------------------------

    def due(self) -> list[DueOp]:
        return due_operations(self.store, self.account.id, self.now())

    def mark_sending(self, ops: Sequence[DueOp]) -> None:
        with self.store.engine.begin() as conn:
            for op in ops:
                op.attempts += 1
                conn.execute(
                    update(OPERATION)
                    .where(OPERATION.c.id == op.id)
                    .values(state=OpState.SENDING.value, attempts=op.attempts, updated_at=self.now())
                )

    def settle_error(self, conn: Connection, op: DueOp, error: ChosyncError) -> None:
        settled = settle(op, error, self.schedule, self.now())
        values, message = settled.values, settled.parked or settled.values["error"]
        if settled.parked is not None:
            self.park(conn, op, settled.parked)
        elif settled.state == OpState.UNKNOWN.value:
            self.report.unknown += 1
        else:
            self.report.retrying += 1
        conn.execute(update(OPERATION).where(OPERATION.c.id == op.id).values(values))
        self.log.warning(
            "sync.operation_not_done", op_id=op.id, kind=op.kind.value,
            sku=op.variant_sku or op.product_sku, state=values["state"], error=message,
        )  # fmt: skip

    def park(self, conn: Connection, op: DueOp, message: str) -> None:
        self.report.failed += 1
        self.report.failures.append(f"{op.kind.value} {op.variant_sku or op.product_sku}: {message}")
        conn.execute(
            update(LISTING).where(LISTING.c.id == op.listing_id).values(last_error=message, updated_at=self.now())
        )

    def settle_done(self, conn: Connection, op: DueOp, listing: dict[str, Any]) -> None:
        now = self.now()
        conn.execute(
            update(OPERATION)
            .where(OPERATION.c.id == op.id)
            .values(state=OpState.DONE.value, error=None, error_code=None, updated_at=now)
        )
        conn.execute(update(LISTING).where(LISTING.c.id == op.listing_id).values(**listing, updated_at=now))
        counter = _DONE_COUNTER[op.kind]
        setattr(self.report, counter, getattr(self.report, counter) + 1)
        if self.on_progress is not None:
            self.on_progress(1)

    def fail_all(self, ops: Sequence[DueOp], error: ChosyncError) -> None:
        with self.store.engine.begin() as conn:
            for op in ops:
                self.settle_error(conn, op, error)
        if isinstance(error, AuthError | CannotConnect):
            # Every other call of the account would fail the same way: the run stops, the rest stays queued.
            self.report.stopped = scrub(str(error))

    # --- sending -----------------------------------------------------------------------------------

    async def content(self, op: DueOp) -> None:
        """A create or a content update: the product is mapped fresh, so the newest content goes out."""
        # Each call runs in its own task (gather), so the binding names this operation only (rule 9).
        with bound_contextvars(op_id=op.id):
            await self._content(op)

    async def _content(self, op: DueOp) -> None:
        async with self.limit:
            with self.store.engine.connect() as conn:
                product = load_products(conn, [op.product_id])[op.product_id]
            mapped = self.connector.map_product(product)
            try:
                if isinstance(mapped, list):
                    reasons = "; ".join(f"{p.field}: {p.message}" for p in mapped)
                    raise PermanentError(f"{product.sku} cannot be listed: {reasons}")
                if op.kind is OpKind.CREATE:
                    ref = await self.connector.create_listing(product)
                else:
                    ref = await self.connector.update_listing(op.ref, product)
            except ChosyncError as exc:
                if not isinstance(exc, PermanentError):
                    self.held.add(op.listing_id)
                self.fail_all([op], exc)
                return
        listing: dict[str, Any] = {
            "item_id": ref.item_id, "models": dict(ref.models), "content_hash": payload_hash(mapped.content),
            "status": "live", "last_error": None,
        }  # fmt: skip
        if op.kind is OpKind.CREATE and ref.found:
            # The item holds what an earlier request carried (the catalog may have changed since) or what a
            # person typed: nothing of it is known to be ours. Forgetting it makes the next plan send the
            # content, prices and stock as the catalog has them now; the push plans again at once.
            listing.update(content_hash=None, prices={}, stocks={}, planned_revision=-1)
            self.report.adopted += 1
            self.log.info("sync.create_found_item", op_id=op.id, sku=op.product_sku, item_id=ref.item_id)
        elif op.kind is OpKind.CREATE:
            listing.update(prices=dict(mapped.prices), stocks=dict(mapped.stocks))
        with self.store.engine.begin() as conn:
            self.settle_done(conn, op, listing)

    async def values(self, kind: OpKind, ops: Sequence[DueOp]) -> None:
        """Price or stock updates for one listing (or several, where the connector batches across listings),
        in one connector call (it batches per marketplace)."""
        with bound_contextvars(op_ids=[op.id for op in ops]):
            await self._values(kind, ops)

    async def _values(self, kind: OpKind, ops: Sequence[DueOp]) -> None:
        async with self.limit:
            updates: list[PriceUpdate] | list[StockUpdate]
            if kind is OpKind.PRICE:
                updates = [
                    PriceUpdate(ref=op.ref, variant_sku=op.variant_sku or "", price_vnd=op.value or 0) for op in ops
                ]
                call = self.connector.update_prices(updates)
            else:
                updates = [StockUpdate(ref=op.ref, variant_sku=op.variant_sku or "", stock=op.value or 0) for op in ops]
                call = self.connector.update_stock(updates)
            try:
                result = await call
            except ChosyncError as exc:
                self.fail_all(ops, exc)
                return
        self.settle_batch(ops, result, column="prices" if kind is OpKind.PRICE else "stocks")

    def settle_batch(self, ops: Sequence[DueOp], result: BatchResult, *, column: str) -> None:
        outcome = {(item.item_id, item.variant_sku): item for item in result.items}
        with self.store.engine.begin() as conn:
            for listing_id, group in _per_listing(ops).items():
                current = conn.execute(select(LISTING.c[column]).where(LISTING.c.id == listing_id)).scalar_one()
                pushed = dict(current or {})
                for op in group:
                    item = outcome.get((op.ref.item_id, op.variant_sku))
                    if item is not None and item.error is not None:
                        self.settle_error(conn, op, item.error)
                        continue
                    assert op.variant_sku is not None
                    assert op.value is not None
                    pushed[op.variant_sku] = op.value
                    self.settle_done(conn, op, {column: dict(pushed)})

    # --- reading back what may have landed ----------------------------------------------------------------

    async def read_back(self, ops: list[DueOp]) -> list[DueOp]:
        """Settle the unknown price, stock and delist operations the marketplace already shows.

        Returns the operations still to send: an unknown one is among them only when the read showed
        that it did not land; when the read fails, the unknown ones stay unknown and wait for the next run.
        """
        unsure = [op for op in ops if op.unknown and op.kind in READ_BACK_KINDS and op.item_id is not None]
        if not unsure:
            return ops
        try:
            with bound_contextvars(op_ids=[op.id for op in unsure]):
                states = await read_listings(self.connector, {op.ref.item_id for op in unsure})
        except ChosyncError as exc:
            self.unread(unsure, exc)
            held = {op.id for op in unsure}
            return [op for op in ops if op.id not in held]
        landed = [
            op for op in unsure
            if shows(states.get(op.ref.item_id), op.kind, variant_sku=op.variant_sku, value=op.value, models=op.models)
        ]  # fmt: skip
        groups: dict[tuple[int, OpKind], list[DueOp]] = {}
        for op in landed:
            groups.setdefault((op.listing_id, op.kind), []).append(op)
        for (_, kind), group in groups.items():
            if kind is OpKind.DELIST:
                with self.store.engine.begin() as conn:
                    for op in group:
                        self.settle_done(conn, op, {"status": "delisted", "last_error": None})
            else:
                column = "prices" if kind is OpKind.PRICE else "stocks"
                self.settle_batch(group, BatchResult(items=()), column=column)
        self.report.resolved += len(landed)
        self.log.info("sync.read_back", op_ids=[op.id for op in unsure], landed=[op.id for op in landed])
        done = {op.id for op in landed}
        return [op for op in ops if op.id not in done]

    def unread(self, ops: Sequence[DueOp], error: ChosyncError) -> None:
        """The read-back failed: nothing is sent again; each try counts, and the last one parks them."""
        if isinstance(error, AuthError | CannotConnect):
            self.report.stopped = scrub(str(error))  # nothing else of the account's would get through either
        if isinstance(error, AuthError):
            return
        now = self.now()
        message = f"could not read the marketplace back to see whether it was applied: {scrub(str(error))}"
        with self.store.engine.begin() as conn:
            for op in ops:
                op.attempts += 1
                values: dict[str, Any] = {"attempts": op.attempts, "updated_at": now, "error": message,
                                          "error_code": type(error).__name__}  # fmt: skip
                if op.attempts >= self.schedule.max_attempts:
                    values.update(state=OpState.FAILED.value, error=gave_up(op.attempts, message))
                    self.park(conn, op, values["error"])
                else:
                    self.report.unknown += 1
                conn.execute(update(OPERATION).where(OPERATION.c.id == op.id).values(values))
        self.log.warning("sync.read_back_failed", op_ids=[op.id for op in ops], error=message)

    async def delists(self, ops: Sequence[DueOp]) -> None:
        try:
            result = await self.connector.delist([op.ref for op in ops])
        except ChosyncError as exc:
            self.fail_all(ops, exc)
            return
        errors = {item.item_id: item.error for item in result.items}
        with self.store.engine.begin() as conn:
            for op in ops:
                error = errors.get(op.ref.item_id)
                if error is not None:
                    self.settle_error(conn, op, error)
                else:
                    self.settle_done(conn, op, {"status": "delisted", "last_error": None})

    async def run(self, ops: list[DueOp]) -> None:
        ops = await self.read_back(ops)
        for phase in _PHASES:
            chosen = [op for op in ops if op.kind is phase and (phase is OpKind.CREATE or op.item_id is not None)]
            if phase in (OpKind.PRICE, OpKind.STOCK):
                chosen = [op for op in chosen if op.listing_id not in self.held]  # left planned: the next run
            if self.report.stopped or not chosen:
                continue
            self.mark_sending(chosen)
            if phase in (OpKind.CREATE, OpKind.UPDATE):
                await asyncio.gather(*(self.content(op) for op in chosen))
            elif phase is OpKind.DELIST:
                await self.delists(chosen)
            else:
                calls = _value_calls(_per_listing(chosen), getattr(self.connector, "value_batch", 0))
                await asyncio.gather(*(self.values(phase, group) for group in calls))
        if self.report.stopped:
            self.log.error("sync.apply_stopped", reason=self.report.stopped)


async def apply_account(
    store: Store,
    account: AccountSummary,
    connector: Connector,
    *,
    schedule: RetrySchedule | None = None,
    concurrency: int = 8,
    now: Callable[[], datetime] = utcnow,
    on_progress: Callable[[int], None] | None = None,
) -> ApplyReport:
    """Send every operation due for ``account``; returns what happened. Safe to run again at any time."""
    applier = _Applier(
        store, account, connector, schedule=schedule or RetrySchedule(), concurrency=concurrency,
        now=now, on_progress=on_progress,
    )  # fmt: skip
    ops = applier.due()
    applier.report.product_ids.update(op.product_id for op in ops)
    applier.log.info("sync.apply_started", ops=len(ops))
    await applier.run(ops)
    applier.log.info("sync.apply_finished", **applier.report.counts())
    return applier.report


def _per_listing(ops: Sequence[DueOp]) -> dict[int, list[DueOp]]:
    found: dict[int, list[DueOp]] = {}
    for op in ops:
        found.setdefault(op.listing_id, []).append(op)
    return found


def _value_calls(per_listing: dict[int, list[DueOp]], batch: int) -> list[list[DueOp]]:
    """The connector calls for price or stock: one per listing, or, for a connector whose call may carry
    ``batch`` variants of several listings (``value_batch``), listings packed whole up to that many."""
    if batch <= 1:
        return list(per_listing.values())
    calls: list[list[DueOp]] = []
    for group in per_listing.values():
        if calls and len(calls[-1]) + len(group) <= batch:
            calls[-1].extend(group)
        else:
            calls.append(list(group))
    return calls
