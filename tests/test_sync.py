"""The sync engine against the Shopee sandbox: plan and apply, only what changed, converging under faults."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from core.catalog.importer import import_catalog
from core.db import Store
from core.sync.apply import RetrySchedule
from core.sync.models import LISTING
from core.sync.push import PushResult, push_account
from tests.catalog_files import make_rows, write_csv
from tests.sync_world import World, make_world, no_requests

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py

NO_WAIT = RetrySchedule(max_attempts=8, base_s=0, max_s=0)


def push(world: World, *, full: bool = False, name: str = "shopee") -> PushResult:
    async def run() -> PushResult:
        async with world.http() as http:
            return await push_account(world.store, world.account(name), http, trigger="test", full=full,
                                      schedule=NO_WAIT)  # fmt: skip

    return asyncio.run(run())


def test_a_catalog_of_fifty_products_syncs_then_a_second_sync_sends_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=50, variants=2)
    result = push(world)
    assert result.outcome == "ok", result.report.failures
    assert (result.report.created, result.report.failed, result.waiting) == (50, 0, 0)
    items = world.items()
    assert len(items) == 50
    assert len({i.item_sku for i in items}) == 50
    models = {m.model_sku: m for i in items for m in i.models.values()}
    assert len(models) == 100
    assert models["P000007-V1"].original_price == 11007
    assert models["P000007-V1"].seller_stock == 8
    with store.engine.connect() as conn:
        assert {r.status for r in conn.execute(select(LISTING.c.status))} == {"live"}
    with no_requests(world):
        again = push(world)
    assert again.report.done == 0
    assert again.unchanged == 50


def test_a_price_change_sends_only_price_calls(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=4, variants=2)
    push(world)
    rows = make_rows(4, 2)
    rows[5]["price_vnd"] = "15.000"
    price_calls = world.sandbox.calls("/api/v2/product/update_price")
    total = world.sandbox.calls()
    import_catalog(store, write_csv(tmp_path / "b.csv", rows))
    result = push(world)
    assert (result.report.prices, result.report.updated, result.report.stocks) == (1, 0, 0)
    assert world.sandbox.calls("/api/v2/product/update_price") == price_calls + 1
    assert world.sandbox.calls() == total + 1
    [item] = [i for i in world.items() if i.item_sku == "P000002"]
    assert {m.model_sku: m.original_price for m in item.models.values()}["P000002-V1"] == 15000


def test_archiving_a_product_delists_it(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=3, variants=1)
    push(world)
    rows = make_rows(3, 1)
    rows[1]["status"] = "archived"
    import_catalog(store, write_csv(tmp_path / "b.csv", rows))
    result = push(world)
    assert result.report.delisted == 1
    [item] = [i for i in world.items() if i.item_sku == "P000001"]
    assert item.item_status == "UNLIST"
