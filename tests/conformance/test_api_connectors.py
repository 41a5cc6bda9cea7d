"""What every API connector does the same way, whatever its marketplace: one suite, run for each.

Each case runs once per registered API connector (``conftest.API_CHANNELS``) against its simulator,
driven through the simulator's harness (:mod:`simulators.common.harness`). Cases about one connector go
through its public interface (:class:`~core.ports.Connector`, built by the registry from the account);
cases about the engine (a lost create, the ledger) through ``core.sync`` on a store. A new API
marketplace runs them all by registering its connector and writing its harness; its own tests then cover
only what is its own.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import Store
from core.logs import configure_logging
from core.ports import ListingRef, OrderStatus, PriceUpdate, StockUpdate
from core.settings import LogFormat
from simulators.common.faults import Fault
from simulators.common.harness import MarketplaceHarness, Operation
from tests.conformance.world import World, make_world, product_sku, variant_skus

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(
    harness: MarketplaceHarness, sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> World:
    return await make_world(harness, sqlite_store, tmp_path, monkeypatch)


async def listed(world: World) -> ListingRef:
    """Push the catalog, then find its product through the connector."""
    pushed = await world.push()
    assert pushed.outcome == "ok", pushed.report.failures
    async with world.http() as http:
        ref = await world.connector(http).find_by_sku(product_sku())
    assert ref is not None, "the connector does not find the product it just listed"
    return ref


async def test_a_create_whose_answer_is_lost_leaves_one_listing_bound_to_it(world: World) -> None:
    harness = world.harness
    harness.inject(Operation.CREATE, Fault.lost_response())
    first = await world.push()
    assert (first.report.unknown, first.outcome) == (1, "partial")
    assert len(harness.listings(product_sku())) == 1, "the marketplace made the listing; we never heard"

    second = await world.push()
    assert second.outcome == "ok", second.report.failures
    [held] = harness.listings(product_sku())
    assert harness.calls(Operation.CREATE) == 1, "created again instead of looking the SKU up"
    assert sorted(held.variants) == variant_skus(world.variants)
    [(item_id, models)] = world.bindings()
    assert item_id == held.item_id
    assert sorted(models) == variant_skus(world.variants)
    assert (await world.push()).report.done == 0


@pytest.mark.parametrize("settings", [{"retry": {"max_attempts": 1}}], ids=["one-attempt"])
async def test_rate_limited_waits_as_asked_and_succeeds_without_spending_an_attempt(
    harness: MarketplaceHarness,
    sqlite_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: dict[str, object],
) -> None:
    """One attempt a call: a failure is not retried, a rate limit is (after the wait it asked for)."""
    world = await make_world(harness, sqlite_store, tmp_path, monkeypatch, settings=settings)
    ref = await listed(world)
    first, second = variant_skus(world.variants)
    async with world.http() as http:
        connector = world.connector(http)
        harness.inject(Operation.PRICE, Fault.server_error(503))
        failed = await connector.update_prices([PriceUpdate(ref=ref, variant_sku=first, price_vnd=31_000)])
        assert [item.variant_sku for item in failed.failed] == [first], "a failure spends the only attempt"

        before = harness.calls(Operation.PRICE)
        sent = len(world.wire.exchanges)
        harness.inject(Operation.PRICE, Fault.rate_limited())
        result = await connector.update_prices([PriceUpdate(ref=ref, variant_sku=second, price_vnd=32_000)])
    assert result.ok, result.failed
    assert harness.calls(Operation.PRICE) == before + 2
    assert harness.listings(product_sku())[0].variants[second].price_vnd == 32_000
    throttled = [i for i, e in enumerate(world.wire.exchanges) if i >= sent and e.status == 429]
    assert len(throttled) == 1
    refused, again = world.wire.exchanges[throttled[0]], world.wire.exchanges[throttled[0] + 1]
    waited = again.sent_at - refused.sent_at
    assert waited >= float(refused.retry_after or 0) * 0.95, f"sent again after {waited:.3f} s"
    assert (again.method, again.path) == (refused.method, refused.path)


@pytest.mark.parametrize("known", [False, True], ids=["refused-by-the-marketplace", "expired-in-the-store"])
async def test_an_expired_access_token_is_renewed_once_then_the_call_succeeds(world: World, known: bool) -> None:
    """The marketplace refuses the token (the store believes it valid), or the store says it expired."""
    harness = world.harness
    ref = await listed(world)
    stale = await world.tokens()
    assert stale is not None
    harness.expire_access_token()
    if known:
        await world.save_tokens(stale.model_copy(update={"access_expires_at": harness.now()}))
    before = harness.refreshes()
    first, second = variant_skus(world.variants)
    async with world.http() as http:
        connector = world.connector(http)
        stock = await connector.update_stock([StockUpdate(ref=ref, variant_sku=first, stock=17)])
        assert stock.ok, stock.failed
        assert harness.refreshes() == before + 1
        prices = await connector.update_prices([PriceUpdate(ref=ref, variant_sku=second, price_vnd=42_000)])
    assert prices.ok, prices.failed
    assert harness.refreshes() == before + 1, "the renewed token was not kept"
    fresh = await world.tokens()
    assert fresh is not None and fresh.access_token != stale.access_token
    held = harness.listings(product_sku())[0].variants
    assert (held[first].stock, held[second].price_vnd) == (17, 42_000)


@pytest.mark.parametrize("delete", [False, True], ids=["delist", "delete"])
async def test_delisting_twice_is_done_both_times(world: World, delete: bool) -> None:
    harness = world.harness
    ref = await listed(world)
    async with world.http() as http:
        connector = world.connector(http)
        once = await connector.delist([ref], delete=delete)
        twice = await connector.delist([ref], delete=delete)
    assert once.ok, once.failed
    assert twice.ok, twice.failed
    assert [item.item_id for item in twice.items] == [ref.item_id]
    held = [listing.for_sale for listing in harness.listings(product_sku())]
    assert held == ([] if delete else [False]), "deleted: not held at all; delisted: held, not for sale"


@pytest.mark.parametrize("what", ["price", "stock"])
async def test_price_and_stock_batches_split_at_the_marketplace_limit(
    harness: MarketplaceHarness, sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    """One product with more variants than one call takes: every variant set, in as few calls as fit."""
    variants = harness.batch_limit + 1
    world = await make_world(harness, sqlite_store, tmp_path, monkeypatch, variants=variants)
    ref = await listed(world)
    skus = variant_skus(variants)
    operation = Operation.PRICE if what == "price" else Operation.STOCK
    before = harness.calls(operation)
    async with world.http() as http:
        connector = world.connector(http)
        if what == "price":
            result = await connector.update_prices(
                [PriceUpdate(ref=ref, variant_sku=sku, price_vnd=50_000 + k) for k, sku in enumerate(skus)]
            )
        else:
            result = await connector.update_stock([StockUpdate(ref=ref, variant_sku=sku, stock=k) for k, sku in
                                                   enumerate(skus)])  # fmt: skip
    assert result.ok, result.failed
    assert sorted(item.variant_sku or "" for item in result.items) == sorted(skus)
    assert harness.calls(operation) - before == math.ceil(variants / harness.batch_limit) == 2
    held = harness.listings(product_sku())[0].variants
    shown = [held[sku].price_vnd if what == "price" else held[sku].stock for sku in skus]
    assert shown == [50_000 + k if what == "price" else k for k in range(variants)]


async def test_an_order_pulled_twice_moves_the_ledger_once_per_line_and_transition(
    harness: MarketplaceHarness, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On every store backend: a replayed pull (the same order again, unchanged or moved) adds nothing."""
    world = await make_world(harness, store, tmp_path, monkeypatch)
    await listed(world)
    first, second = variant_skus(world.variants)
    order_id = harness.place_order([(first, 2), (second, 1)])
    for _ in range(2):
        pulled = await world.pull()
        assert pulled.ok, pulled.error
    assert world.order_lines(order_id) == [first, second]
    assert world.ledger(order_id) == [(first, "reserve"), (second, "reserve")]

    harness.move_order(order_id, OrderStatus.SHIPPED)
    for _ in range(2):
        pulled = await world.pull()
        assert pulled.ok, pulled.error
    assert world.order_lines(order_id) == [first, second]
    assert world.ledger(order_id) == [(first, "reserve"), (first, "sell"), (second, "reserve"), (second, "sell")]


class _Records(logging.Handler):
    """Every standard-library log record (httpx logs each request's URL), formatted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def stdlib_logs() -> Iterator[_Records]:
    records = _Records()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    root.addHandler(records)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(records)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_a_full_push_and_pull_with_renewed_tokens_log_no_secret(
    world: World, capsys: pytest.CaptureFixture[str], stdlib_logs: _Records
) -> None:
    """Every line logged (ours as rendered, and the transport's) while tokens are renewed twice."""
    harness = world.harness
    configure_logging(log_format=LogFormat.JSON, level="DEBUG")
    capsys.readouterr()
    await listed(world)
    harness.expire_access_token()
    pushed = await world.push(full=True)
    assert pushed.outcome == "ok", pushed.report.failures
    harness.place_order([(variant_skus(world.variants)[0], 1)])
    harness.expire_access_token()
    pulled = await world.pull()
    assert pulled.ok and pulled.lines_new == 1, pulled.error
    assert harness.refreshes() >= 2

    lines = capsys.readouterr().err.splitlines() + stdlib_logs.lines
    assert len(lines) > 10 and any("HTTP Request" in line for line in stdlib_logs.lines)
    secrets = harness.secrets()
    assert len(secrets) >= 3  # the account's secret and at least two generations of tokens
    leaks = sorted({secret for secret in secrets for line in lines if secret in line})
    assert leaks == [], f"{len(leaks)} secrets logged"
