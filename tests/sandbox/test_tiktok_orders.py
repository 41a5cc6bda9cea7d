"""TikTok Shop orders on the sandbox: the search a sync pulls with, paged by update time; stock they move."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from simulators.common.faults import ManualClock
from simulators.tiktok.sandbox import TikTokSandbox

from .tiktok_api import SHOP, WAREHOUSE, TikTokApi, connected, make_sandbox

pytestmark = pytest.mark.anyio
SEARCH = "/order/202309/orders/search"


@pytest.fixture
def tiktok(clock: ManualClock) -> TikTokSandbox:
    sandbox = make_sandbox(clock)
    sandbox.create_product(
        SHOP.shop_id, "Nước mắm Phú Quốc 40 độ đạm chai 500ml", [("NM-1", 80_000, 50), ("NM-2", 150_000, 50)]
    )
    return sandbox


@pytest.fixture
async def api(tiktok: TikTokSandbox, clock: ManualClock) -> AsyncIterator[TikTokApi]:
    async with connected(tiktok, clock) as client:
        yield client


async def pull(api: TikTokApi, body: dict[str, Any], page_size: int) -> tuple[list[dict[str, Any]], int]:
    """Every page of a search, in order; and how many pages it took."""
    orders, token, pages = [], "", 0
    while True:
        query = {"page_size": page_size, "page_token": token, "sort_field": "update_time", "sort_order": "ASC"}
        page = await api.ok("POST", SEARCH, body, query=query)
        orders += page["orders"]
        pages += 1
        token = page["next_page_token"]
        if not token:
            return orders, pages


async def test_one_line_item_per_unit_with_prices_as_strings(api: TikTokApi, tiktok: TikTokSandbox) -> None:
    order = tiktok.place_order(SHOP.shop_id, [("NM-1", 3), ("NM-2", 1)])
    [found], _ = await pull(api, {}, page_size=10)
    assert found["id"] == order.order_id and found["status"] == "AWAITING_SHIPMENT"
    assert [line["seller_sku"] for line in found["line_items"]] == ["NM-1", "NM-1", "NM-1", "NM-2"]
    assert len({line["id"] for line in found["line_items"]}) == 4
    assert found["payment"] == {"currency": "VND", "sub_total": "390000", "total_amount": "390000"}


async def test_orders_come_by_update_time_page_by_page(
    api: TikTokApi, tiktok: TikTokSandbox, clock: ManualClock
) -> None:
    ids = []
    for _ in range(5):
        ids.append(tiktok.place_order(SHOP.shop_id, [("NM-1", 1)]).order_id)
        clock.advance(10)
    tiktok.set_order_status(ids[0], "IN_TRANSIT")  # now the most recently updated
    orders, pages = await pull(api, {}, page_size=2)
    assert [o["id"] for o in orders] == [*ids[1:], ids[0]]
    assert pages == 3
    since = orders[2]["update_time"]
    later, _ = await pull(api, {"update_time_ge": since}, page_size=2)
    assert [o["id"] for o in later] == [ids[3], ids[4], ids[0]]
    shipped, _ = await pull(api, {"order_status": "IN_TRANSIT"}, page_size=2)
    assert [o["id"] for o in shipped] == [ids[0]]


async def test_committed_units_are_sold_on_shipping_and_back_on_cancel(tiktok: TikTokSandbox) -> None:
    product, sku = tiktok.find_sku("NM-1")
    shipped = tiktok.place_order(SHOP.shop_id, [("NM-1", 2)])
    cancelled = tiktok.place_order(SHOP.shop_id, [("NM-1", 3)])
    assert (sku.available[WAREHOUSE], sku.committed[WAREHOUSE]) == (45, 5)
    tiktok.set_order_status(shipped.order_id, "IN_TRANSIT")
    tiktok.set_order_status(shipped.order_id, "DELIVERED")
    tiktok.set_order_status(cancelled.order_id, "CANCELLED")
    tiktok.set_order_status(cancelled.order_id, "CANCELLED")
    assert (sku.available[WAREHOUSE], sku.committed[WAREHOUSE]) == (48, 0)
    assert cancelled.cancel_reason
    assert product.status == "ACTIVATE"


async def test_an_order_status_update_always_moves_update_time(tiktok: TikTokSandbox) -> None:
    order = tiktok.place_order(SHOP.shop_id, [("NM-2", 1)], status="UNPAID")
    before = order.update_time
    tiktok.set_order_status(order.order_id, "AWAITING_SHIPMENT")
    assert order.update_time == before + 1  # the clock did not move: a second at least


async def test_a_bad_page_token_is_refused(api: TikTokApi) -> None:
    response = await api.call("POST", SEARCH, {}, query={"page_size": 10, "page_token": "bm90LWEtdG9rZW4="})
    assert response.json()["code"] == 36009001
