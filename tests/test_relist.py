"""A product archived, then sold again, comes back on sale on Shopee (through the sync engine and the sandbox)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from core.catalog.importer import import_catalog
from core.db import Store
from core.models import PRODUCT
from core.sync.apply import RetrySchedule
from core.sync.models import LISTING
from core.sync.push import PushResult, push_account
from tests.catalog_files import make_rows, write_csv
from tests.sync_world import World, make_world

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py

NO_WAIT = RetrySchedule(max_attempts=8, base_s=0, max_s=0)


def push(world: World) -> PushResult:
    async def run() -> PushResult:
        async with world.http() as http:
            return await push_account(world.store, world.account(), http, trigger="test", schedule=NO_WAIT)

    return asyncio.run(run())


def listing_status(store: Store, sku: str) -> str:
    query = select(LISTING.c.status).join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id).where(PRODUCT.c.sku == sku)
    with store.engine.connect() as conn:
        return str(conn.execute(query).scalar_one())


@pytest.mark.parametrize("variants", [1, 2], ids=["one-variant", "variations"])
def test_a_product_archived_then_active_again_is_back_on_sale(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variants: int
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=variants)
    assert push(world).outcome == "ok"
    rows = make_rows(2, variants)
    sku = "P000001"
    [item] = [i for i in world.items() if i.item_sku == sku]

    for row in rows:
        if row["product_sku"] == sku:
            row["status"] = "archived"
    import_catalog(store, write_csv(tmp_path / "archived.csv", rows))
    assert push(world).report.delisted == 1
    assert world.sandbox.item(item.item_id).item_status == "UNLIST"
    assert listing_status(store, sku) == "delisted"

    for row in rows:
        row["status"] = ""
    import_catalog(store, write_csv(tmp_path / "active.csv", rows))
    result = push(world)
    assert result.outcome == "ok", result.report.failures
    assert result.report.updated == 1
    assert world.sandbox.item(item.item_id).item_status == "NORMAL"
    assert listing_status(store, sku) == "live"
    # Put back on sale, not made again.
    assert len([i for i in world.items() if i.item_sku == sku]) == 1
