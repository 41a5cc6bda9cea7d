"""An oversell is the truth, recorded and shown, and never stops a seller's sync (issue 19, parts 2 and 4).

Two shops sell the same last units before chosync hears of either order: on hand goes below zero,
because the goods did leave. Every reader copes (channels show 0), the other products keep syncing,
and the oversell is reported where people look.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from core.catalog.importer import import_catalog
from core.cli import run
from core.db import Store
from core.models import VARIANT
from core.sync.connect import build_connector
from core.sync.plan import plan_account
from core.sync.reconcile import reconcile_job
from tests.catalog_files import make_rows, write_csv
from tests.sync_world import World, make_world

SHOPS = (14701711, 14701712)
NAMES = ("shopee", "shopee2")
SKU = "P000002-V1"  # 3 on hand: (2 + 1) % 50


def sell(world: World, shop_id: int, sku: str, quantity: int, status: str = "SHIPPED") -> str:
    [(item, model)] = [(i, m) for i in world.items(shop_id) for m in i.models.values() if m.model_sku == sku]
    return world.sandbox.place_order(shop_id, [(item.item_id, model.model_id, quantity)], status=status).order_sn


def shop_stock(world: World, shop_id: int, sku: str) -> int:
    return next(m.seller_stock for i in world.items(shop_id) for m in i.models.values() if m.model_sku == sku)


def on_hand(store: Store, sku: str) -> tuple[int, int]:
    with store.engine.connect() as conn:
        row = conn.execute(select(VARIANT.c.stock_on_hand, VARIANT.c.reserved).where(VARIANT.c.sku == sku)).one()
    return int(row.stock_on_hand), int(row.reserved)


@pytest.fixture
def oversold(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """Three on hand; shop 1 ships 3 and shop 2 ships 2 before either order is pulled: on hand −2."""
    world = make_world(store, tmp_path, monkeypatch, products=4, variants=2, shops=SHOPS)
    for name in NAMES:
        assert world.push(name).outcome == "ok"
    sell(world, SHOPS[0], SKU, 3)
    sell(world, SHOPS[1], SKU, 2)
    for name in NAMES:
        assert world.pull(name).error is None
    assert on_hand(store, SKU) == (-2, 0)
    monkeypatch.setenv("CHOSYNC_DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("COLUMNS", "200")
    return world


def test_an_oversold_variant_shows_zero_and_the_other_products_keep_syncing(
    oversold: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = oversold
    rows = [
        {**r, "price_vnd": str(int(r["price_vnd"]) + 5000)} for r in make_rows(4, 2) if r["product_sku"] == "P000001"
    ]
    import_catalog(world.store, write_csv(tmp_path / "repriced.csv", rows))
    for name in NAMES:
        result = world.push(name)
        assert result.outcome == "ok", result.error or result.report.failures
        assert result.report.prices == 2  # the other product's new prices went out
    assert [shop_stock(world, shop, SKU) for shop in SHOPS] == [0, 0]
    for name in NAMES:
        assert world.push(name, full=True).outcome == "ok"

    async def read_back() -> None:
        async with world.http() as http:
            for name in NAMES:
                account = world.account(name)
                plan = plan_account(world.store, account, build_connector(world.store, account, http), full=True)
                assert {op.new for op in plan.ops if op.variant_sku == SKU and op.kind.value == "stock"} == {0}
                report, error = await reconcile_job(world.store, account, http, trigger="test")
                assert error is None and report is not None

    asyncio.run(read_back())
    capsys.readouterr()
    for args in (
        ["plan"],
        ["catalog", "list"],
        ["catalog", "show", "P000002", "--seller", "HTX-DANTIEN"],
        ["catalog", "show", "P000002", "--seller", "HTX-DANTIEN", "--json"],
        ["catalog", "export", str(tmp_path / "export.csv")],
        ["status"],
    ):
        assert run(args) == 0, args
    shown = capsys.readouterr().out
    assert "-2" in shown and "attention: oversold: P000002-V1 (HTX-DANTIEN): on hand -2" in shown
    assert run(["oversold", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    # The sale that took on hand below zero is named; the one that took the last three units is not.
    assert [(o["account"], o["quantity"], o["state"]) for o in listed["orders"]] == [("shopee2", 2, "sold")]
    assert listed["short"] == 2
    exported = (tmp_path / "export.csv").read_text(encoding="utf-8-sig")
    assert f"{SKU}," in exported


def test_the_oversell_is_reported_by_the_pull_status_and_its_own_list(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=4, variants=2, shops=SHOPS)
    for name in NAMES:
        assert world.push(name).outcome == "ok"
    first = sell(world, SHOPS[0], SKU, 3)
    second = sell(world, SHOPS[1], SKU, 2, status="READY_TO_SHIP")
    assert world.pull("shopee").oversold == []
    monkeypatch.setenv("CHOSYNC_DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("COLUMNS", "200")
    # The CLI's client goes to the in-process sandbox, as the world's own clients do.
    monkeypatch.setattr("core.cli.orders.http_client", lambda **_: world.http())
    capsys.readouterr()

    assert run(["orders", "pull", "--channel", "shopee"]) == 0
    err = capsys.readouterr().err
    assert f"oversold: {SKU} (HTX-DANTIEN): on hand 0, held by orders 2, short by 2" in err
    assert "chosync oversold" in err

    assert run(["oversold", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["seller"], listed["variant_sku"], listed["on_hand"], listed["reserved"], listed["short"]) == (
        "HTX-DANTIEN", SKU, 0, 2, 2,
    )  # fmt: skip
    # The order holding units beyond what is there; the first took the last 3 units, which were there.
    assert [(o["account"], o["order_id"], o["quantity"], o["state"]) for o in listed["orders"]] == [
        ("shopee2", second, 2, "reserved")
    ]
    assert first not in json.dumps(listed)
    assert run(["oversold"]) == 0
    out = capsys.readouterr().out
    assert SKU in out and second in out and "set-stock" in out and "cancel" in out

    assert run(["status"]) == 0
    assert "oversold" in capsys.readouterr().out

    # A new count settles it: nothing is oversold any more.
    assert run(["catalog", "set-stock", SKU, "10", "--seller", "HTX-DANTIEN"]) == 0
    capsys.readouterr()
    assert run(["oversold", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
