"""A connector whose price and stock call carries variants of several listings gets them packed.

Lazada's ``price_quantity/update`` takes SKUs of any products (``value_batch``: 4 in its conformance
harness): the engine packs whole listings into each call up to that many variants instead of sending one
call per listing; Shopee and TikTok Shop, whose calls are per item, keep one call per listing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.catalog.importer import import_catalog
from core.db import Store, open_store
from core.sync.apply import RetrySchedule
from core.sync.push import push_account
from simulators.common.harness import Operation, load_harness
from tests.catalog_files import make_rows, write_csv
from tests.conformance.world import SELLER, World, make_world, product_sku

pytestmark = pytest.mark.anyio


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    store = open_store(sqlite_url)
    yield store
    store.dispose()


async def _push(world: World) -> None:
    async with httpx.AsyncClient(transport=world.wire, timeout=5.0) as http:
        result = await push_account(world.store, world.account, http, trigger="test",
                                    schedule=RetrySchedule(base_s=0, max_s=0), now=world.harness.now)  # fmt: skip
    assert result.outcome == "ok", result.report.failures


@pytest.mark.parametrize(("channel", "calls"), [("lazada", 2), ("tiktok", 3)])
async def test_prices_of_three_products_go_in_as_few_calls_as_the_marketplace_takes(
    channel: str, calls: int, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world(load_harness(channel), store, tmp_path, monkeypatch)
    rows = make_rows(3, 2, seller=SELLER)
    import_catalog(store, write_csv(tmp_path / "three.csv", rows))
    await _push(world)
    repriced = [{**row, "price_vnd": str(int(row["price_vnd"]) + 500)} for row in rows]
    import_catalog(store, write_csv(tmp_path / "repriced.csv", repriced))
    before = world.harness.calls(Operation.PRICE)
    await _push(world)
    # 3 listings of 2 variants; Lazada's harness takes 4 a call: two listings, then one. TikTok: per product.
    assert world.harness.calls(Operation.PRICE) - before == calls
    for index in range(3):
        [held] = world.harness.listings(product_sku(index))
        expected = {
            row["variant_sku"]: int(row["price_vnd"]) for row in repriced if row["product_sku"] == product_sku(index)
        }
        assert {sku: variant.price_vnd for sku, variant in held.variants.items()} == expected
