"""The apply side's state machine, step by step: written before sent, read back when unknown, superseded,
retried within bounds, and every event of a push bound to its run (DESIGN's operation state machine)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy import select
from structlog.testing import capture_logs

from core.catalog.importer import import_catalog
from core.db import Store
from core.errors import RateLimited, RetryableError
from core.models import PRODUCT
from core.ports import Connector
from core.sync.apply import ApplyReport, RetrySchedule, apply_account
from core.sync.connect import build_connector
from core.sync.failures import list_failures, requeue
from core.sync.models import LISTING, OPERATION, OpKind, OpState
from core.sync.plan import plan_account, queue_operations
from core.sync.push import PushResult, push_account
from simulators.common.faults import Fault
from tests.catalog_files import make_rows, write_csv
from tests.sync_world import World, make_world

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py

NO_WAIT = RetrySchedule(max_attempts=8, base_s=0, max_s=0)
STOCK = "/api/v2/product/update_stock"
PRICE = "/api/v2/product/update_price"
UNLIST = "/api/v2/product/unlist_item"
ADD_ITEM = "/api/v2/product/add_item"

OnRequest = Callable[[httpx.Request], Awaitable[None]]


class Killed(BaseException):
    """The process dies here: nothing after it runs, as with SIGKILL (a BaseException no handler takes)."""


class Hooked(httpx.AsyncBaseTransport):
    """The world's transport, with a look at each request just before, and just after, the marketplace."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, before: OnRequest | None = None,
                 after: OnRequest | None = None) -> None:  # fmt: skip
        self.inner, self.before, self.after = inner, before, after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.before is not None:
            await self.before(request)
        response = await self.inner.handle_async_request(request)
        if self.after is not None:
            await self.after(request)
        return response


def push(world: World, *, schedule: RetrySchedule = NO_WAIT) -> PushResult:
    async def run() -> PushResult:
        async with world.http() as http:
            return await push_account(world.store, world.account(), http, trigger="test", schedule=schedule)

    return asyncio.run(run())


def change(world: World, tmp_path: Path, products: int, variants: int, **values: str) -> None:
    """Import the world's catalog again with the first variant's ``values`` changed."""
    rows = make_rows(products, variants)
    rows[0].update(values)
    import_catalog(world.store, write_csv(tmp_path / "changed.csv", rows))


def ops(store: Store, kind: OpKind | None = None) -> list[Any]:
    query = select(OPERATION).order_by(OPERATION.c.id)
    if kind is not None:
        query = query.where(OPERATION.c.kind == kind.value)
    with store.engine.connect() as conn:
        return list(conn.execute(query))


def model(world: World, variant_sku: str) -> Any:
    return next(m for i in world.items() for m in i.models.values() if m.model_sku == variant_sku)


def posted(request: httpx.Request) -> dict[str, Any]:
    return dict(json.loads(request.content or b"{}"))


# --- 1. an unknown outcome is read back before anything is sent again -------------------------------------


def kill_after(world: World, path: str) -> None:
    """The next request on ``path`` reaches the marketplace (applied), then the process dies."""
    fired = False

    async def after(request: httpx.Request) -> None:
        nonlocal fired
        if request.url.path == path and not fired:
            fired = True
            raise Killed

    world.transport = Hooked(world.transport, after=after)  # type: ignore[assignment]


def push_killed_after(world: World, path: str) -> None:
    """A push whose process dies right after the next request on ``path`` landed; the next push runs
    on the plain transport again, as a restarted process would."""
    inner = world.transport
    kill_after(world, path)
    try:
        with pytest.raises(Killed):
            push(world)
    finally:
        world.transport = inner


def test_a_stock_update_that_landed_before_a_crash_is_read_back_not_sent_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=2)
    push(world)
    change(world, tmp_path, 2, 2, stock="37")
    push_killed_after(world, STOCK)
    assert model(world, "P000000-V0").seller_stock == 37  # it landed; the answer died with the process
    assert [op.state for op in ops(store, OpKind.STOCK)] == [OpState.SENDING]
    writes, reads = world.sandbox.calls(STOCK), world.sandbox.calls("/api/v2/product/get_item_list")

    result = push(world)
    assert world.sandbox.calls(STOCK) == writes  # no second write
    assert world.sandbox.calls("/api/v2/product/get_item_list") > reads  # a read instead
    assert (result.report.resolved, result.report.stocks, result.outcome) == (1, 1, "ok")
    [op] = ops(store, OpKind.STOCK)
    assert op.state == OpState.DONE
    with store.engine.connect() as conn:
        stocks = conn.execute(select(LISTING.c.stocks).join(PRODUCT).where(PRODUCT.c.sku == "P000000")).scalar_one()
    assert stocks["P000000-V0"] == 37  # the binding records what the marketplace shows


def test_a_price_update_lost_before_it_landed_is_read_back_then_sent(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=1, variants=2)
    inner = world.transport
    push(world)
    change(world, tmp_path, 1, 2, price_vnd="12.345")

    async def before(request: httpx.Request) -> None:
        if request.url.path == PRICE:
            raise Killed  # dies with the request on its way: the marketplace never saw it

    world.transport = Hooked(inner, before=before)  # type: ignore[assignment]
    with pytest.raises(Killed):
        push(world)
    world.transport = inner
    assert world.sandbox.calls(PRICE) == 0
    result = push(world)
    assert (result.report.resolved, result.report.prices, result.outcome) == (0, 1, "ok")
    assert world.sandbox.calls(PRICE) == 1  # read back, not there: sent once
    assert model(world, "P000000-V0").original_price == 12345


def test_a_delist_that_landed_before_a_crash_is_done_without_unlisting_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=1)
    push(world)
    change(world, tmp_path, 2, 1, status="archived")
    push_killed_after(world, UNLIST)
    result = push(world)
    assert (result.report.resolved, result.report.delisted, world.sandbox.calls(UNLIST)) == (1, 1, 1)
    with store.engine.connect() as conn:
        status = conn.execute(select(LISTING.c.status).join(PRODUCT).where(PRODUCT.c.sku == "P000000")).scalar_one()
    assert status == "delisted"


def test_nothing_is_sent_again_while_the_read_back_fails(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=1, variants=1)
    push(world)
    change(world, tmp_path, 1, 1, stock="21")
    push_killed_after(world, STOCK)
    world.sandbox.faults.enqueue("/api/v2/product/get_item_list", Fault.server_error(502), times=20)
    writes = world.sandbox.calls(STOCK)
    result = push(world)
    assert world.sandbox.calls(STOCK) == writes
    assert (result.report.unknown, result.outcome) == (1, "partial")
    [op] = ops(store, OpKind.STOCK)
    assert (op.state, op.attempts) == (OpState.UNKNOWN, 2)  # the read counts as a try
    assert "could not read the marketplace back" in op.error
    world.sandbox.faults.clear()
    assert push(world).report.resolved == 1
    assert world.sandbox.calls(STOCK) == writes


# --- 5. written to the database before it is sent ---------------------------------------------------------


def test_each_operation_is_sending_in_the_database_when_the_marketplace_receives_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=1)
    seen: list[tuple[str, str, str]] = []

    def state_of(kind: OpKind, where: Any) -> str:
        # A connection of its own: only what the engine has committed is visible here.
        with store.engine.connect() as conn:
            query = (
                select(OPERATION.c.state)
                .join(LISTING, LISTING.c.id == OPERATION.c.listing_id)
                .join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id)
                .where(OPERATION.c.kind == kind.value, where)
                .order_by(OPERATION.c.id.desc())
            )
            return str(conn.execute(query).scalars().first())

    async def before(request: httpx.Request) -> None:
        if request.url.path == ADD_ITEM:
            sku = posted(request)["item_sku"]
            seen.append(("create", sku, state_of(OpKind.CREATE, PRODUCT.c.sku == sku)))
        elif request.url.path == STOCK:
            item_id = str(posted(request)["item_id"])
            seen.append(("stock", item_id, state_of(OpKind.STOCK, LISTING.c.item_id == item_id)))

    world.transport = Hooked(world.transport, before=before)  # type: ignore[assignment]
    push(world)
    change(world, tmp_path, 2, 1, stock="5")
    push(world)
    [item_id] = [str(i.item_id) for i in world.items() if i.item_sku == "P000000"]
    assert sorted(seen) == [
        ("create", "P000000", "sending"), ("create", "P000001", "sending"), ("stock", item_id, "sending"),
    ]  # fmt: skip
    assert {op.state for op in ops(store)} == {OpState.DONE}


# --- 6. superseding, rate limits, attempts ----------------------------------------------------------------


def queue(world: World, http: httpx.AsyncClient) -> Connector:
    """Plan and queue the account's operations without applying them; the connector to apply with."""
    account = world.account()
    connector = build_connector(world.store, account, http)
    queue_operations(world.store, plan_account(world.store, account, connector))
    return connector


def test_stock_9_then_7_only_7_goes_out(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=1, variants=1)
    push(world)
    sent: list[int] = []

    async def before(request: httpx.Request) -> None:
        if request.url.path == STOCK:
            sent.extend(s["stock"] for m in posted(request)["stock_list"] for s in m["seller_stock"])

    world.transport = Hooked(world.transport, before=before)  # type: ignore[assignment]

    async def run() -> ApplyReport:
        async with world.http() as http:
            change(world, tmp_path, 1, 1, stock="9")
            queue(world, http)
            change(world, tmp_path, 1, 1, stock="7")
            connector = queue(world, http)
            return await apply_account(store, world.account(), connector, schedule=NO_WAIT)

    report = asyncio.run(run())
    assert (sent, report.stocks) == ([7], 1)
    assert [(op.value, op.state) for op in ops(store, OpKind.STOCK)] == [(9, OpState.SUPERSEDED), (7, OpState.DONE)]
    assert model(world, "P000000-V0").seller_stock == 7


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


def apply_refused(world: World, error: Exception, schedule: RetrySchedule, clock: Clock, runs: int) -> list[Any]:
    """Queue a price change, then apply ``runs`` times with update_prices failing with ``error``; the ops."""

    async def refuse(updates: Any) -> Any:
        raise error

    async def run() -> None:
        async with world.http() as http:
            connector = queue(world, http)
            connector.update_prices = refuse  # type: ignore[method-assign]
            for _ in range(runs):
                await apply_account(world.store, world.account(), connector, schedule=schedule, now=clock)
                clock.at += timedelta(hours=2)  # past any wait: the operation is due again

    asyncio.run(run())
    return ops(world.store, OpKind.PRICE)


def test_a_rate_limit_spends_no_attempt_and_waits_as_asked(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=1, variants=1)
    push(world)
    change(world, tmp_path, 1, 1, price_vnd="15.000")
    clock = Clock()
    start = clock.at
    [op] = apply_refused(world, RateLimited("slow down", retry_after=40), RetrySchedule(max_attempts=2), clock, 1)
    assert (op.state, op.attempts, op.rate_limited_s) == (OpState.RETRY_WAIT, 0, 40)
    assert op.next_attempt_at == start + timedelta(seconds=40)
    # Three more: with max_attempts=2, anything that spent attempts would have been parked by now.
    [op] = apply_refused(world, RateLimited("slow down", retry_after=40), RetrySchedule(max_attempts=2), clock, 3)
    assert (op.state, op.attempts, op.rate_limited_s) == (OpState.RETRY_WAIT, 0, 160)


def test_rate_limits_past_the_bound_park_the_operation_with_a_reason(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=1, variants=1)
    push(world)
    change(world, tmp_path, 1, 1, price_vnd="15.000")
    schedule, clock = RetrySchedule(max_rate_limited_s=10), Clock()
    # "Retry after 0 s" forever is bounded too: each rate limit counts at least a second.
    [op] = apply_refused(world, RateLimited("slow down", retry_after=0), schedule, clock, 10)
    assert (op.state, op.attempts, op.rate_limited_s) == (OpState.RETRY_WAIT, 0, 10)
    [op] = apply_refused(world, RateLimited("slow down", retry_after=0), schedule, clock, 1)
    assert (op.state, op.attempts) == (OpState.FAILED, 0)
    assert op.error.startswith("rate-limited for 11 s in all (more than the 10 s allowed)")
    assert "'chosync retry'" in op.error
    [failure] = list_failures(store)
    assert failure.id == op.id
    assert requeue(store, [op.id]) == 1
    [op] = ops(store, OpKind.PRICE)
    assert (op.state, op.rate_limited_s) == (OpState.PLANNED, 0)  # a fresh budget


def test_attempts_exhausted_park_the_operation_gave_up_after_n(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=1, variants=1)
    push(world)
    change(world, tmp_path, 1, 1, price_vnd="15.000")
    schedule, clock = RetrySchedule(max_attempts=3, base_s=10, max_s=60), Clock()
    [op] = apply_refused(world, RetryableError("Shopee answered 502"), schedule, clock, 2)
    assert (op.state, op.attempts) == (OpState.RETRY_WAIT, 2)
    assert op.next_attempt_at == clock.at - timedelta(hours=2) + timedelta(seconds=20)  # backoff: 10 s, then 20 s
    [op] = apply_refused(world, RetryableError("Shopee answered 502"), schedule, clock, 1)
    assert (op.state, op.attempts) == (OpState.FAILED, 3)
    assert op.error == "gave up after 3 attempts: Shopee answered 502"
    [failure] = list_failures(store)
    assert (failure.kind, failure.attempts, failure.reason) == ("price", 3, op.error)


# --- 4. every event of a push names its run, seller and channel -------------------------------------------


def test_connector_events_during_a_push_carry_run_seller_channel_and_operation(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=1)
    world.sandbox.faults.enqueue("/api/v2/product/search_item", Fault.server_error(502))  # a connector.retry
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        result = push(world)
    requests = [e for e in logs if e["event"] == "shopee.request"]
    retries = [e for e in logs if e["event"] == "connector.retry"]
    applied = [e for e in logs if e["event"].startswith("sync.apply")]
    assert requests and retries and applied
    for event in [*requests, *retries, *applied]:
        assert (event["run_id"], event["seller"], event["channel"]) == (result.run_id, world.seller, "shopee"), event
    creates = [e for e in requests if e["path"].endswith("add_item")]
    assert {e["op_id"] for e in creates} == {op.id for op in ops(store, OpKind.CREATE)}
    assert structlog.contextvars.get_contextvars() == {}  # unbound when the push ends
