"""A product already on Shopee whose variants change in the catalog, pushed end to end through the sandbox.

A cooperative adds a 10 kg bag of rice, stops selling the 2 kg one, or renames an option: the next push
changes the live item's models (no delist, no second item), the binding learns the new model ids, and
later price and stock changes of the new variant reach Shopee.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.catalog.importer import import_catalog
from core.db import Store
from core.sync.apply import RetrySchedule
from core.sync.models import LISTING, OPERATION, OpState
from core.sync.push import PushResult, push_account
from simulators.common.faults import Fault
from simulators.shopee.records import Item
from tests.catalog_files import make_rows, row, write_csv
from tests.sync_world import World, make_world

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py

NO_WAIT = RetrySchedule(max_attempts=8, base_s=0, max_s=0)
PRODUCT = "P000001"
NEW = f"{PRODUCT}-V9"  # the 10 kg bag
MODEL_LIST = "/api/v2/product/get_model_list"


def _push(world: World) -> PushResult:
    async def run() -> PushResult:
        async with world.http() as http:
            return await push_account(world.store, world.account(), http, trigger="test", schedule=NO_WAIT)

    return asyncio.run(run())


def _ten_kg(price: int = 30_000, stock: int = 17) -> dict[str, Any]:
    return row(
        product_sku=PRODUCT,
        name="Sản phẩm số 1",
        variant_sku=NEW,
        option1_value="10kg",
        price_vnd=str(price),
        stock=str(stock),
        barcode="",
        traceability_code="TV-QR-1",
    )


def _import(world: World, tmp_path: Path, rows: list[dict[str, Any]], name: str) -> None:
    import_catalog(world.store, write_csv(tmp_path / name, rows), archive_missing=True)


def _item(world: World) -> Item:
    [item] = [i for i in world.items() if i.item_sku == PRODUCT]
    return item


def _models(item: Item) -> dict[str, tuple[int, int]]:
    """Model SKU → (price, stock) on the sandbox item."""
    return {m.model_sku: (m.original_price, m.seller_stock) for m in item.models.values()}


def _binding(world: World) -> dict[str, str]:
    [item] = [i for i in world.items() if i.item_sku == PRODUCT]
    with world.store.engine.connect() as conn:
        models = conn.execute(select(LISTING.c.models).where(LISTING.c.item_id == str(item.item_id))).scalar_one()
    return dict(models)


def _bound_to_the_item(world: World) -> None:
    item = _item(world)
    assert _binding(world) == {m.model_sku: str(m.model_id) for m in item.models.values()}


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """Three products of two variants (1kg, 2kg), pushed to Shopee."""
    world = make_world(store, tmp_path, monkeypatch, products=3, variants=2)
    assert _push(world).outcome == "ok"
    return world


def test_an_added_variant_becomes_a_model_with_its_price_and_stock_and_is_bound(world: World, tmp_path: Path) -> None:
    before = _item(world)
    old_ids = {m.model_sku: m.model_id for m in before.models.values()}
    _import(world, tmp_path, [*make_rows(3, 2), _ten_kg()], "added.csv")
    reads = world.sandbox.calls(MODEL_LIST)
    result = _push(world)
    assert result.outcome == "ok", result.report.failures
    assert (result.report.created, result.report.updated, result.report.delisted) == (0, 1, 0)
    # One read before the change; the run's price and stock of the new variant use the new model id.
    assert world.sandbox.calls(MODEL_LIST) == reads + 1
    item = _item(world)
    assert item.item_id == before.item_id
    assert _models(item)[NEW] == (30_000, 17)
    assert [o["option"] for o in item.tier_variation[0]["option_list"]] == ["1kg", "2kg", "10kg"]
    assert old_ids == {
        m.model_sku: m.model_id for m in item.models.values() if m.model_sku != NEW
    }  # the old models keep their ids (and sales)
    _bound_to_the_item(world)
    assert len(world.items()) == 3


def test_a_later_stock_and_price_change_of_the_new_variant_reaches_shopee(world: World, tmp_path: Path) -> None:
    _import(world, tmp_path, [*make_rows(3, 2), _ten_kg()], "added.csv")
    _push(world)
    calls = world.sandbox.calls()
    _import(world, tmp_path, [*make_rows(3, 2), _ten_kg(price=32_000, stock=5)], "changed.csv")
    result = _push(world)
    assert (result.report.prices, result.report.stocks, result.report.updated) == (1, 1, 0)
    assert world.sandbox.calls() == calls + 2  # one update_price, one update_stock
    assert _models(_item(world))[NEW] == (32_000, 5)


def test_a_removed_variant_has_its_model_deleted(world: World, tmp_path: Path) -> None:
    rows = [r for r in make_rows(3, 2) if r["variant_sku"] != f"{PRODUCT}-V1"]
    _import(world, tmp_path, rows, "removed.csv")
    result = _push(world)
    assert result.outcome == "ok", result.report.failures
    item = _item(world)
    assert set(_models(item)) == {f"{PRODUCT}-V0"}
    assert item.item_status == "NORMAL"
    _bound_to_the_item(world)
    assert world.sandbox.calls("/api/v2/product/delete_model") == 1


def test_a_variant_removed_then_sold_again_gets_a_model_again(world: World, tmp_path: Path) -> None:
    rows = make_rows(3, 2)
    _import(world, tmp_path, [r for r in rows if r["variant_sku"] != f"{PRODUCT}-V1"], "removed.csv")
    _push(world)
    _import(world, tmp_path, rows, "back.csv")
    result = _push(world)
    assert result.outcome == "ok", result.report.failures
    assert _models(_item(world)) == {f"{PRODUCT}-V0": (10_001, 1), f"{PRODUCT}-V1": (11_001, 2)}
    assert [o["option"] for o in _item(world).tier_variation[0]["option_list"]] == ["1kg", "2kg"]
    _bound_to_the_item(world)


def test_a_renamed_option_is_renamed_on_shopee_in_place(world: World, tmp_path: Path) -> None:
    rows = make_rows(3, 2)
    for r in rows:
        if r["product_sku"] == PRODUCT and r["option1_value"] == "2kg":
            r["option1_value"] = "2 kg"
    _import(world, tmp_path, rows, "renamed.csv")
    ids = {m.model_sku: m.model_id for m in _item(world).models.values()}
    assert _push(world).outcome == "ok"
    item = _item(world)
    assert [o["option"] for o in item.tier_variation[0]["option_list"]] == ["1kg", "2 kg"]
    assert {m.model_sku: m.model_id for m in item.models.values()} == ids


def test_every_variant_archived_delists_the_product_instead(world: World, tmp_path: Path) -> None:
    """Shopee keeps at least one model: a product with no variant left to sell is delisted by the core."""
    _import(world, tmp_path, [r for r in make_rows(3, 2) if r["product_sku"] != PRODUCT], "gone.csv")
    result = _push(world)
    assert result.report.delisted == 1
    assert _item(world).item_status == "UNLIST"
    assert world.sandbox.calls("/api/v2/product/delete_model") == 0


def test_a_lost_add_model_answer_then_the_next_push_leave_one_model_per_sku(world: World, tmp_path: Path) -> None:
    world.sandbox.faults.enqueue("/api/v2/product/add_model", Fault.lost_response())
    _import(world, tmp_path, [*make_rows(3, 2), _ten_kg()], "added.csv")
    first = _push(world)
    assert first.report.unknown == 1
    second = _push(world)
    assert second.outcome == "ok", second.report.failures
    item = _item(world)
    assert Counter(m.model_sku for m in item.models.values()) == {f"{PRODUCT}-V0": 1, f"{PRODUCT}-V1": 1, NEW: 1}
    assert world.sandbox.calls("/api/v2/product/add_model") == 1
    assert _models(item)[NEW] == (30_000, 17)
    _bound_to_the_item(world)
    with world.store.engine.connect() as conn:
        states = Counter(r.state for r in conn.execute(select(OPERATION.c.state)))
    assert states[OpState.FAILED] == 0
    assert states[OpState.UNKNOWN] == 0


def test_a_product_sold_without_options_gains_variations_when_a_second_variant_comes(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=1)
    rows = make_rows(2, 1)
    for r in rows:
        r["option1_name"] = r["option1_value"] = ""
    _import(world, tmp_path, rows, "plain.csv")
    assert _push(world).outcome == "ok"
    assert not _item(world).has_model
    _import(world, tmp_path, make_rows(2, 2), "two.csv")
    result = _push(world)
    assert result.outcome == "ok", result.report.failures
    assert _models(_item(world)) == {f"{PRODUCT}-V0": (10_001, 1), f"{PRODUCT}-V1": (11_001, 2)}
    _bound_to_the_item(world)


def test_an_update_left_unknown_holds_the_listings_prices_and_stock_until_it_is_resolved(
    world: World, tmp_path: Path
) -> None:
    """A 502 on add_model (Shopee may not have added it): the new variant's price and stock wait, not fail."""
    world.sandbox.faults.enqueue("/api/v2/product/add_model", Fault.server_error(502))
    _import(world, tmp_path, [*make_rows(3, 2), _ten_kg()], "added.csv")
    first = _push(world)
    assert (first.report.unknown, first.report.failed, first.report.prices, first.report.stocks) == (1, 0, 0, 0)
    assert first.waiting == 3  # the update, and the new variant's price and stock held behind it
    second = _push(world)
    assert second.outcome == "ok", second.report.failures
    assert _models(_item(world))[NEW] == (30_000, 17)
    with world.store.engine.connect() as conn:
        states = Counter(r.state for r in conn.execute(select(OPERATION.c.state)))
    assert (states[OpState.FAILED], states[OpState.UNKNOWN], states[OpState.PLANNED]) == (0, 0, 0)
