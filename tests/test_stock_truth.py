"""One stock truth: an order on one shop moves stock on every shop of the seller, and is never counted twice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from core.cli import run
from core.db import Store
from core.models import VARIANT
from tests.sync_world import World, make_world

SHOPS = (14701711, 14701712)


def shop_stock(world: World, shop_id: int, sku: str) -> int:
    return next(m.seller_stock for i in world.items(shop_id) for m in i.models.values() if m.model_sku == sku)


def test_an_order_on_one_shop_lowers_stock_on_every_shop(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=3, variants=2, shops=SHOPS)
    for name in ("shopee", "shopee2"):
        assert world.push(name).outcome == "ok"
    sku = "P000002-V1"  # 3 on hand: (2 + 1) % 50
    assert [shop_stock(world, shop, sku) for shop in SHOPS] == [3, 3]
    [item] = [i for i in world.items(SHOPS[0]) if i.item_sku == "P000002"]
    model = next(m for m in item.models.values() if m.model_sku == sku)
    world.sandbox.place_order(SHOPS[0], [(item.item_id, model.model_id, 2)], status="READY_TO_SHIP")
    for _ in range(3):  # replaying the same order changes nothing
        report = world.pull("shopee")
        assert report.error is None
    with store.engine.connect() as conn:
        on_hand, reserved = conn.execute(
            select(VARIANT.c.stock_on_hand, VARIANT.c.reserved).where(VARIANT.c.sku == sku)
        ).one()
    assert (on_hand, reserved) == (3, 2)
    second = world.push("shopee2")
    assert (second.report.stocks, second.report.prices) == (1, 0)
    first = world.push("shopee")  # the shop the order came from is corrected too (from our truth)
    assert first.report.stocks == 1
    assert [shop_stock(world, shop, sku) for shop in SHOPS] == [1, 1]
    world.sandbox.set_order_status(next(iter(world.sandbox.orders)), "SHIPPED")
    time.sleep(1.1)  # the sandbox stamps a change at least 1 s after the last: let real time catch up
    assert world.pull("shopee").error is None
    with store.engine.connect() as conn:
        assert conn.execute(select(VARIANT.c.stock_on_hand, VARIANT.c.reserved).where(VARIANT.c.sku == sku)).one() == (
            1,
            0,
        )
    assert world.push("shopee2").report.stocks == 0  # available stayed 1: nothing to send


def test_a_stock_count_by_hand_reaches_every_shop(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=1, shops=SHOPS)
    for name in ("shopee", "shopee2"):
        world.push(name)
    monkeypatch.setenv("CHOSYNC_DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    assert run(["catalog", "set-stock", "P000001-V0", "42", "--seller", "HTX-DANTIEN"]) == 0
    assert "stock on hand 1 → 42" in capsys.readouterr().out
    assert run(["catalog", "set-stock", "NOPE", "1", "--seller", "HTX-DANTIEN"]) == 1
    for name in ("shopee", "shopee2"):
        assert world.push(name).report.stocks == 1
    assert [shop_stock(world, shop, "P000001-V0") for shop in SHOPS] == [42, 42]
