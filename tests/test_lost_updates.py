"""A create whose answer was lost never swallows the catalog change that follows it (issue 19, part 1).

The lost create is resolved by looking the SKU up: the item found holds what the *lost* request carried,
not the catalog as it is now. The binding must say so, so that the change made since reaches the shop.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.shopee.variations import ShopeeVariations
from core.catalog.importer import import_catalog
from core.channels import update_account
from core.cli import run
from core.db import Store
from core.ports import ListingRef
from core.sync.connect import build_connector
from core.sync.models import OPERATION
from core.sync.plan import plan_account
from simulators.common.faults import Fault
from tests.catalog_files import make_rows, write_csv
from tests.sync_world import World, make_world

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py


def planned(world: World) -> list[tuple[str, str | None, int | None]]:
    async def run() -> list[tuple[str, str | None, int | None]]:
        async with world.http() as http:
            account = world.account()
            plan = plan_account(world.store, account, build_connector(world.store, account, http))
        return [(op.kind.value, op.variant_sku, op.new) for op in plan.ops]

    return asyncio.run(run())


def catalog_rows(products: int, variants: int) -> list[dict[str, Any]]:
    rows = make_rows(products, variants)
    if variants == 1:
        for r in rows:  # one variant, no options: a Shopee item without variations
            r.update(option1_name="", option1_value="")
    return rows


def changed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**r, "name": f"{r['name']} (mới)", "price_vnd": str(int(r["price_vnd"]) + 10_000), "stock": "7"} for r in rows
    ]


def assert_shop_shows(world: World, rows: list[dict[str, Any]]) -> None:
    items = {i.item_sku: i for i in world.items()}
    assert len(items) == len({r["product_sku"] for r in rows}) == len(world.items()), "one item per product"
    for r in rows:
        item = items[r["product_sku"]]
        assert item.item_name == r["name"]
        models = [m for m in item.models.values() if m.model_sku == r["variant_sku"]] if item.has_model else []
        model = models[0] if item.has_model else item.models[0]
        assert (model.original_price, model.seller_stock) == (int(r["price_vnd"]), int(r["stock"]))


@pytest.mark.parametrize("variants", [1, 2], ids=["single-variant", "multi-variant"])
def test_a_change_after_a_lost_create_reaches_the_shop(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variants: int
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=variants)
    rows = catalog_rows(2, variants)
    import_catalog(store, write_csv(tmp_path / "first.csv", rows))
    world.sandbox.faults.enqueue("/api/v2/product/add_item", Fault.lost_response(), times=2)
    first = world.push()
    assert first.report.unknown == 2 and first.outcome == "partial"
    assert len(world.items()) == 2  # Shopee made both items; we never heard

    rows = changed(rows)
    import_catalog(store, write_csv(tmp_path / "second.csv", rows))
    second = world.push()
    assert second.outcome == "ok", second.report.failures
    assert_shop_shows(world, rows)
    assert planned(world) == []
    third = world.push()
    assert (third.report.done, third.outcome) == (0, "ok")


class Killed(BaseException):
    """Stands for kill -9: nothing after it runs, no handler settles the operation."""


def test_a_run_killed_between_the_item_and_its_variants_then_a_change_reaches_the_shop(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=1, variants=2)
    rows = catalog_rows(1, 2)

    async def killed(self: ShopeeVariations, item_id: int, listing: Any) -> ListingRef:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(ShopeeVariations, "init", killed)
        with pytest.raises(Killed):
            world.push()
    [item] = world.items()
    assert not item.has_model  # add_item landed, init_tier_variation never left
    with store.engine.connect() as conn:
        assert conn.execute(select(OPERATION.c.state)).scalars().all() == ["sending"]

    rows = changed(rows)
    import_catalog(store, write_csv(tmp_path / "second.csv", rows))
    second = world.push()
    assert second.outcome == "ok", second.report.failures
    assert_shop_shows(world, rows)
    assert planned(world) == []


def test_a_rerun_after_lost_creates_counts_each_listing_once(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=3, variants=2)
    world.sandbox.faults.enqueue("/api/v2/product/add_item", Fault.lost_response(), times=2)
    assert world.push().report.unknown == 2
    second = world.push()  # nothing changed in the catalog: the plan looks at nothing, the apply finishes two
    assert (second.report.created, second.unchanged, second.outcome) == (2, 1, "ok")
    assert len(world.items()) == 3


def test_plan_shows_the_operations_waiting_for_a_lost_answer(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=1)
    world.sandbox.faults.enqueue("/api/v2/product/add_item", Fault.lost_response(), times=2)
    assert world.push().report.unknown == 2
    monkeypatch.setenv("CHOSYNC_DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("COLUMNS", "200")
    capsys.readouterr()
    assert run(["plan", "--json"]) == 0
    [account] = json.loads(capsys.readouterr().out)
    assert account["operations"] == []  # nothing new to plan...
    assert [(w["kind"], w["product_sku"], w["state"]) for w in account["waiting"]] == [
        ("create", "P000000", "unknown"),
        ("create", "P000001", "unknown"),
    ]  # ...but work is waiting
    assert run(["plan"]) == 0
    out = capsys.readouterr().out
    assert "nothing to send" not in out
    assert "2 waiting in the queue" in out and "answer lost: read back from the marketplace first" in out
    world.push()
    assert run(["plan"]) == 0
    assert "nothing to send" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("not_applied", "unknown", "created"),
    [pytest.param([], 1, 0, id="by-default-may-have-been-applied"), pytest.param(["http_503"], 0, 1, id="listed")],
)
def test_a_server_error_the_account_says_applied_nothing_is_retried_not_read_back(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, not_applied: list[str], unknown: int, created: int
) -> None:
    """A 503 on add_item: by default the create's outcome is unknown (resolved by a look-up next run); listed
    as applying nothing, it is sent again at once, like any retryable failure."""
    world = make_world(store, tmp_path, monkeypatch, products=1, variants=1)
    update_account(store, world.account().id, settings={"errors": {"not_applied": not_applied}})
    world.sandbox.faults.enqueue("/api/v2/product/add_item", Fault.server_error(503))
    first = world.push()
    assert (first.report.unknown, first.report.created, first.retries.total) == (unknown, created, created)
    assert world.push().outcome == "ok"
    assert len(world.items()) == 1
    assert world.sandbox.calls("/api/v2/product/add_item") == 2
