"""TikTok Shop prices and stock on the sandbox: when updates are allowed, batch limits, partial failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from simulators.common.faults import ManualClock
from simulators.tiktok.sandbox import TikTokSandbox

from .tiktok_api import CREATE, SHOP, WAREHOUSE, TikTokApi, connected, make_sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture
def tiktok(clock: ManualClock) -> TikTokSandbox:
    return make_sandbox(clock, price_batch=3, inventory_batch=3)


@pytest.fixture
async def api(tiktok: TikTokSandbox, clock: ManualClock) -> AsyncIterator[TikTokApi]:
    async with connected(tiktok, clock) as client:
        yield client


def prices(*pairs: tuple[str, int]) -> dict[str, Any]:
    return {"skus": [{"id": sku_id, "price": {"amount": str(price), "currency": "VND"}} for sku_id, price in pairs]}


def stock(*pairs: tuple[str, int]) -> dict[str, Any]:
    return {"skus": [{"id": i, "inventory": [{"warehouse_id": WAREHOUSE, "quantity": q}]} for i, q in pairs]}


async def listed(api: TikTokApi, skus: int = 2) -> tuple[str, list[str]]:
    created = await api.create(skus=skus)
    return created["product_id"], [s["id"] for s in created["skus"]]


async def test_prices_change_on_a_live_product(api: TikTokApi, tiktok: TikTokSandbox) -> None:
    product_id, (a, b) = await listed(api)
    assert await api.ok("POST", f"{CREATE}/{product_id}/prices/update", prices((a, 55_000), (b, 66_000))) == {}
    assert [s.price for s in tiktok.product(product_id).skus.values()] == [55_000, 66_000]


async def test_a_product_under_audit_refuses_price_and_stock_until_it_is_live(clock: ManualClock) -> None:
    tiktok = make_sandbox(clock, audit_delay_s=300)
    async with connected(tiktok, clock) as api:
        product_id, (a, _) = await listed(api)
        refused = await api.call("POST", f"{CREATE}/{product_id}/prices/update", prices((a, 55_000)))
        refused_stock = await api.call("POST", f"{CREATE}/{product_id}/inventory/update", stock((a, 3)))
        clock.advance(300)
        await api.ok("POST", f"{CREATE}/{product_id}/prices/update", prices((a, 55_000)))
    assert refused.json()["code"] == refused_stock.json()["code"] == 12052003
    assert tiktok.product(product_id).skus[a].price == 55_000


async def test_a_deactivated_product_takes_prices_by_default(api: TikTokApi, tiktok: TikTokSandbox) -> None:
    product_id, (a, _) = await listed(api)
    tiktok.hand_deactivate(product_id)
    await api.ok("POST", f"{CREATE}/{product_id}/prices/update", prices((a, 70_000)))
    tiktok.config.price_update_statuses = ("ACTIVATE",)
    refused = await api.call("POST", f"{CREATE}/{product_id}/prices/update", prices((a, 71_000)))
    assert refused.json()["code"] == 12052003
    assert tiktok.product(product_id).skus[a].price == 70_000


@pytest.mark.parametrize("what", ["prices", "inventory"])
async def test_more_skus_than_the_batch_limit_are_refused_whole(
    api: TikTokApi, tiktok: TikTokSandbox, what: str
) -> None:
    product_id, ids = await listed(api, skus=4)
    body = prices(*((i, 1000) for i in ids)) if what == "prices" else stock(*((i, 1) for i in ids))
    response = await api.call("POST", f"{CREATE}/{product_id}/{what}/update", body)
    assert response.json()["code"] == 12019120
    assert [s.price for s in tiktok.product(product_id).skus.values()] == [100_000, 100_001, 100_002, 100_003]
    three = prices(*((i, 1000) for i in ids[:3])) if what == "prices" else stock(*((i, 1) for i in ids[:3]))
    await api.ok("POST", f"{CREATE}/{product_id}/{what}/update", three)


async def test_one_unknown_sku_fails_the_whole_price_call(api: TikTokApi, tiktok: TikTokSandbox) -> None:
    product_id, (a, _) = await listed(api)
    response = await api.call("POST", f"{CREATE}/{product_id}/prices/update", prices((a, 1000), ("42", 2000)))
    assert response.json()["code"] == 12052404
    assert tiktok.product(product_id).skus[a].price == 100_000


async def test_a_price_in_a_promotion_is_locked(api: TikTokApi, tiktok: TikTokSandbox) -> None:
    product_id, (a, _) = await listed(api)
    tiktok.lock_price(a)
    response = await api.call("POST", f"{CREATE}/{product_id}/prices/update", prices((a, 1000)))
    assert response.json()["code"] == 12052038


async def test_a_stock_call_applies_what_it_can_and_lists_the_rest(api: TikTokApi, tiktok: TikTokSandbox) -> None:
    product_id, (a, b) = await listed(api)
    tiktok.lock_quantity(b, 5)
    data = await api.ok("POST", f"{CREATE}/{product_id}/inventory/update", stock((a, 7), (b, 5), ("42", 1)))
    assert [(e["code"], e["detail"]["sku_id"]) for e in data["errors"]] == [(12052146, b), (12052404, "42")]
    skus = tiktok.product(product_id).skus
    assert (skus[a].available[WAREHOUSE], skus[b].available[WAREHOUSE]) == (7, 11)


@pytest.mark.parametrize(("accept_zero", "errors"), [(True, []), (False, [12052147])], ids=["accepted", "refused"])
async def test_zero_quantity_follows_the_config(clock: ManualClock, accept_zero: bool, errors: list[int]) -> None:
    tiktok = make_sandbox(clock, accept_zero_quantity=accept_zero)
    async with connected(tiktok, clock) as api:
        product_id, (a, _) = await listed(api)
        data = await api.ok("POST", f"{CREATE}/{product_id}/inventory/update", stock((a, 0)))
        too_many = await api.ok("POST", f"{CREATE}/{product_id}/inventory/update", stock((a, 100_000)))
    assert [e["code"] for e in data["errors"]] == errors
    assert [e["code"] for e in too_many["errors"]] == [12052147]
    assert tiktok.product(product_id).skus[a].available[WAREHOUSE] == (0 if accept_zero else 10)


async def test_inventory_search_shows_available_and_committed_per_warehouse(
    api: TikTokApi, tiktok: TikTokSandbox
) -> None:
    product_id, (a, b) = await listed(api)
    tiktok.place_order(SHOP.shop_id, [("GAO-0", 3)])
    by_product = await api.ok("POST", "/product/202309/inventory/search", {"product_ids": [product_id]})
    by_sku = await api.ok("POST", "/product/202309/inventory/search", {"sku_ids": [b]})
    [entry] = by_product["inventory"]
    first = entry["skus"][0]
    assert (first["id"], first["total_available_quantity"], first["total_committed_quantity"]) == (a, 7, 3)
    assert first["warehouse_inventory"] == [
        {"warehouse_id": WAREHOUSE, "available_quantity": 7, "committed_quantity": 3}
    ]
    assert [s["id"] for s in by_sku["inventory"][0]["skus"]] == [b]


async def test_hand_edits_in_seller_center_show_through_the_api(api: TikTokApi, tiktok: TikTokSandbox) -> None:
    product_id, _ = await listed(api)
    tiktok.hand_set_price("GAO-1", 99_000)
    tiktok.hand_set_stock("GAO-1", 4)
    skus = {s["seller_sku"]: s for s in (await api.ok("GET", f"{CREATE}/{product_id}"))["skus"]}
    assert skus["GAO-1"]["price"] == {"amount": "99000", "currency": "VND"}
    assert skus["GAO-1"]["inventory"] == [{"warehouse_id": WAREHOUSE, "quantity": 4}]
