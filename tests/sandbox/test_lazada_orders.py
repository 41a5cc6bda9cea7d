"""Lazada orders on the simulator: the time-window list with its offset cap, one item per unit, stock per status."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from simulators.common.faults import ManualClock
from simulators.lazada.sandbox import LazadaSandbox

from .lazada_api import OTHER_SELLER, SELLER, LazadaApi, connected, make_sandbox, sku

pytestmark = pytest.mark.anyio
ORDERS, ITEMS = "/orders/get", "/orders/items/get"
SINCE = "2023-11-15T00:00:00+07:00"  # before START (05:13:20 in Vietnam)


@pytest.fixture
def lazada(clock: ManualClock) -> LazadaSandbox:
    sandbox = make_sandbox(clock)
    sandbox.create_product(SELLER.seller_id, "Gạo ST25 túi 5kg", [("GAO-0", 100_000, 10), ("GAO-1", 150_000, 10)])
    sandbox.create_product(OTHER_SELLER.seller_id, "Muối tôm Tây Ninh", [("MUOI", 30_000, 5)])
    return sandbox


@pytest.fixture
async def api(lazada: LazadaSandbox, clock: ManualClock) -> AsyncIterator[LazadaApi]:
    async with connected(lazada, clock) as client:
        yield client


def stock(lazada: LazadaSandbox, seller_sku: str) -> tuple[int, int, int, int]:
    """(total, sellable, withheld, occupied)."""
    found = lazada.find_sku(seller_sku)[1]
    return found.quantity, found.available, found.withheld, found.occupied


async def test_an_order_lists_one_item_per_unit_bought(api: LazadaApi, lazada: LazadaSandbox) -> None:
    order = lazada.place_order(SELLER.seller_id, [("GAO-0", 2), ("GAO-1", 1)])
    [entry] = await api.ok("GET", ITEMS, {"order_ids": json.dumps([order.order_id])})
    items = entry["order_items"]
    assert [(i["sku"], i["status"], i["item_price"]) for i in items] == [
        ("GAO-0", "pending", 100_000), ("GAO-0", "pending", 100_000), ("GAO-1", "pending", 150_000)]  # fmt: skip
    assert len({i["order_item_id"] for i in items}) == 3
    gao0 = lazada.find_sku("GAO-0")[1]
    assert (items[0]["sku_id"], items[0]["shop_sku"], items[0]["currency"]) == (str(gao0.sku_id), gao0.shop_sku, "VND")
    [listed] = (await api.ok("GET", ORDERS, {"update_after": SINCE}))["orders"]
    assert (listed["order_id"], listed["items_count"], listed["statuses"], listed["price"]) == (
        order.order_id, 3, ["pending"], "350000.00")  # fmt: skip
    assert listed["created_at"] == listed["updated_at"] == "2023-11-15 05:13:20 +0700"


async def test_stock_follows_each_items_status(lazada: LazadaSandbox) -> None:
    unpaid = lazada.place_order(SELLER.seller_id, [("GAO-0", 2)], status="unpaid")
    assert stock(lazada, "GAO-0") == (10, 8, 2, 0)
    lazada.set_order_status(unpaid.order_id, "pending")
    assert stock(lazada, "GAO-0") == (10, 8, 0, 2)
    first, second = (item.order_item_id for item in unpaid.items)
    lazada.set_item_status(first, "ready_to_ship")
    assert stock(lazada, "GAO-0") == (9, 8, 0, 1), "handed to the carrier: out of the total"
    lazada.set_item_status(second, "canceled")
    assert stock(lazada, "GAO-0") == (9, 9, 0, 0), "cancelled before it left: sellable again"
    assert unpaid.statuses == ["ready_to_ship", "canceled"]
    lazada.set_item_status(first, "delivered")
    lazada.set_item_status(first, "returned")
    assert stock(lazada, "GAO-0") == (9, 9, 0, 0), "a return is restocked by hand, not by Lazada"
    with pytest.raises(ValueError, match="cannot be held again"):
        lazada.set_item_status(second, "pending")


async def test_an_order_cannot_sell_more_than_is_sellable_nor_an_item_off_sale(lazada: LazadaSandbox) -> None:
    lazada.place_order(SELLER.seller_id, [("GAO-0", 8)])
    with pytest.raises(ValueError, match="cannot sell"):
        lazada.place_order(SELLER.seller_id, [("GAO-0", 2), ("GAO-0", 1)])
    lazada.hand_deactivate(lazada.find_sku("GAO-1")[0].item_id)
    with pytest.raises(ValueError, match="not on sale"):
        lazada.place_order(SELLER.seller_id, [("GAO-1", 1)])
    assert stock(lazada, "GAO-0") == (10, 2, 0, 8)


async def test_orders_are_chosen_by_update_time_and_sorted_as_asked(
    api: LazadaApi, lazada: LazadaSandbox, clock: ManualClock
) -> None:
    first = lazada.place_order(SELLER.seller_id, [("GAO-0", 1)])
    clock.advance(600)
    second = lazada.place_order(SELLER.seller_id, [("GAO-1", 1)])
    lazada.place_order(OTHER_SELLER.seller_id, [("MUOI", 1)])
    clock.advance(600)
    lazada.set_order_status(first.order_id, "packed")  # updated at 05:33:20
    asc = await api.ok("GET", ORDERS, {"update_after": SINCE, "sort_by": "updated_at", "sort_direction": "ASC"})
    newest = await api.ok("GET", ORDERS, {"update_after": SINCE})
    window = await api.ok("GET", ORDERS, {"update_after": "2023-11-15T05:23:20+07:00",
                                          "update_before": "2023-11-15T05:33:20+07:00"})  # fmt: skip
    assert [o["order_id"] for o in asc["orders"]] == [second.order_id, first.order_id]
    assert [o["order_id"] for o in newest["orders"]] == [second.order_id, first.order_id], "created_at, DESC"
    assert [o["order_id"] for o in window["orders"]] == [second.order_id], "update_before is exclusive"
    assert asc["orders"][1]["statuses"] == ["packed"]
    assert asc["orders"][1]["updated_at"] == "2023-11-15 05:33:20 +0700"


async def test_orders_get_pages_with_offset_up_to_5000(api: LazadaApi, lazada: LazadaSandbox) -> None:
    made = [lazada.place_order(SELLER.seller_id, [("GAO-0", 1)]).order_id for _ in range(5)]
    base = {"update_after": SINCE, "sort_direction": "ASC", "limit": 2}
    pages = [await api.ok("GET", ORDERS, base | {"offset": offset}) for offset in (0, 2, 4)]
    at_cap = await api.ok("GET", ORDERS, base | {"offset": 5000})
    beyond = await api.refused("GET", ORDERS, base | {"offset": 5001})
    assert [o["order_id"] for page in pages for o in page["orders"]] == made
    assert [(p["count"], p["countTotal"]) for p in pages] == [(2, 5), (2, 5), (1, 5)]
    assert (at_cap["count"], at_cap["orders"]) == (0, [])
    assert beyond["code"] == "E019"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        pytest.param({}, "MissingParameter", id="no-time"),
        pytest.param({"update_after": "2023-11-15"}, "E017", id="no-offset"),
        pytest.param({"update_after": SINCE, "limit": 101}, "E001", id="limit-over-100"),
        pytest.param({"update_after": SINCE, "sort_by": "price"}, "E001", id="bad-sort"),
    ],
)
async def test_orders_get_refuses_what_lazada_would(api: LazadaApi, params: dict[str, object], code: str) -> None:
    assert (await api.refused("GET", ORDERS, params))["code"] == code


async def test_items_of_up_to_50_orders_and_only_the_sellers_own(api: LazadaApi, lazada: LazadaSandbox) -> None:
    mine = lazada.place_order(SELLER.seller_id, [("GAO-0", 1)])
    theirs = lazada.place_order(OTHER_SELLER.seller_id, [("MUOI", 1)])
    data = await api.ok("GET", ITEMS, {"order_ids": json.dumps([mine.order_id, theirs.order_id, 42])})
    too_many = await api.refused("GET", ITEMS, {"order_ids": json.dumps(list(range(51)))})
    assert [entry["order_id"] for entry in data] == [mine.order_id]
    assert too_many["code"] == "4171"
    one = await api.ok("GET", "/order/items/get", {"order_id": mine.order_id})
    assert [i["order_item_id"] for i in one] == [mine.items[0].order_item_id]
    assert (await api.refused("GET", "/order/get", {"order_id": theirs.order_id}))["code"] == "E016"


async def test_an_unpaid_order_withholds_units_of_a_product_listed_over_the_api(
    api: LazadaApi, lazada: LazadaSandbox
) -> None:
    created = await api.create(sku("NUOC-0", 20_000, 3), sku("NUOC-1", 25_000, 3))
    order = lazada.place_order(SELLER.seller_id, [("NUOC-1", 3)], status="unpaid")
    [entry] = await api.ok("GET", ITEMS, {"order_ids": json.dumps([str(order.order_id)])})
    assert {i["product_id"] for i in entry["order_items"]} == {created["item_id"]}
    [product] = (await api.products(sku_seller_list=json.dumps(["NUOC-1"])))["products"]
    [nuoc1] = [s for s in product["skus"] if s["SellerSku"] == "NUOC-1"]
    assert (nuoc1["Available"], nuoc1["withhold_quantity"]) == (0, 3)
    assert (await api.products(filter="sold-out"))["products"] == []
