"""A live TikTok product gains and loses variants through a full edit that keeps every other SKU's id.

TikTok deletes the SKUs an edit leaves out, so the connector sends every live SKU with its id; a new
variant goes without one; a variant the catalog no longer sells (archived) is left out, and so removed.
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
from simulators.common.harness import load_harness
from simulators.tiktok.harness import TikTokHarness
from tests.catalog_files import make_rows, write_csv
from tests.conformance.world import SELLER, World, make_world, product_sku

pytestmark = pytest.mark.anyio


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    store = open_store(sqlite_url)
    yield store
    store.dispose()


@pytest.fixture
async def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    return await make_world(load_harness("tiktok"), store, tmp_path, monkeypatch)


async def _push(world: World) -> None:
    async with httpx.AsyncClient(transport=world.wire, timeout=5.0) as http:
        schedule = RetrySchedule(base_s=0, max_s=0, not_yet_s=0)
        result = await push_account(world.store, world.account, http, trigger="test", schedule=schedule,
                                    now=world.harness.now)  # fmt: skip
    assert result.outcome == "ok", result.report.failures


def _skus(world: World) -> dict[str, str]:
    """Seller SKU → TikTok SKU id of our one product, as TikTok holds it."""
    harness = world.harness
    assert isinstance(harness, TikTokHarness)
    [product] = [p for p in harness.sandbox.shop_products(harness.sandbox.config.shops[0].shop_id)
                 if p.status != "DELETED"]  # fmt: skip
    return {s.seller_sku: s.sku_id for s in product.skus.values()}


async def test_a_variant_added_then_one_removed_keep_the_other_skus_and_their_ids(world: World, tmp_path: Path) -> None:
    await _push(world)
    before = _skus(world)
    assert sorted(before) == [f"{product_sku()}-V0", f"{product_sku()}-V1"]

    rows = make_rows(1, 3, seller=SELLER)
    import_catalog(world.store, write_csv(tmp_path / "three.csv", rows))
    await _push(world)
    after = _skus(world)
    assert sorted(after) == [f"{product_sku()}-V0", f"{product_sku()}-V1", f"{product_sku()}-V2"]
    assert {sku: after[sku] for sku in before} == before  # the live SKUs kept their ids

    kept = [r for r in rows if r["variant_sku"] != f"{product_sku()}-V1"]
    import_catalog(world.store, write_csv(tmp_path / "two.csv", kept), archive_missing=True)
    await _push(world)
    assert _skus(world) == {sku: after[sku] for sku in (f"{product_sku()}-V0", f"{product_sku()}-V2")}
