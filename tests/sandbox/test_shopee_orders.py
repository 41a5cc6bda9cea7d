"""The Shopee sandbox's orders: scripted sales, the incremental order list, details, pushes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simulators.common.faults import ManualClock
from simulators.shopee.records import Item
from simulators.shopee.sandbox import ShopeeSandbox

from .shopee_api import PARTNER_KEY, SHOP_ID, START, ShopeeApi, hmac_hex

pytestmark = pytest.mark.anyio
DAY = 24 * 3600


@pytest.fixture
def honey(sandbox: ShopeeSandbox) -> Item:
    return sandbox.create_item(SHOP_ID, "Mật ong bạc hà Hà Giang 500ml", price=250000, stock=100, item_sku="MO-BH")


def _window(field: str = "create_time", start: int = START - DAY, span: int = 2 * DAY) -> dict[str, Any]:
    return {"time_range_field": field, "time_from": start, "time_to": start + span, "page_size": 100}


def test_an_order_takes_stock_and_a_cancellation_gives_it_back(sandbox: ShopeeSandbox, honey: Item) -> None:
    order = sandbox.place_order(SHOP_ID, [(honey.item_id, 0, 3)])
    assert sandbox.model(honey.item_id).seller_stock == 97
    assert order.order_status == "READY_TO_SHIP" and order.total_amount == 750000
    sandbox.set_order_status(order.order_sn, "CANCELLED")
    assert sandbox.model(honey.item_id).seller_stock == 100
    sandbox.set_order_status(order.order_sn, "CANCELLED")  # once only
    assert sandbox.model(honey.item_id).seller_stock == 100


def test_an_order_cannot_sell_more_than_the_stock(sandbox: ShopeeSandbox, honey: Item) -> None:
    with pytest.raises(ValueError, match="cannot sell"):
        sandbox.place_order(SHOP_ID, [(honey.item_id, 0, 101)])


def test_update_time_advances_on_every_status_change_even_on_a_frozen_clock(
    sandbox: ShopeeSandbox, honey: Item
) -> None:
    order = sandbox.place_order(SHOP_ID, [(honey.item_id, 0, 1)], status="UNPAID")
    times = [order.update_time]
    for status in ("READY_TO_SHIP", "PROCESSED", "SHIPPED"):
        times.append(sandbox.set_order_status(order.order_sn, status).update_time)
    assert times == sorted(set(times))
    assert order.pay_time is not None


async def test_the_order_list_walks_cursor_pages(
    api: ShopeeApi, sandbox: ShopeeSandbox, honey: Item, clock: ManualClock
) -> None:
    placed = []
    for _ in range(7):
        placed.append(sandbox.place_order(SHOP_ID, [(honey.item_id, 0, 1)]).order_sn)
        clock.advance(60)
    seen, cursor, pages = [], "", 0
    while True:
        page = await api.ok("GET", "order/get_order_list", _window() | {"page_size": 3, "cursor": cursor})
        seen += [o["order_sn"] for o in page["order_list"]]
        pages += 1
        if not page["more"]:
            assert page["next_cursor"] == ""
            break
        cursor = page["next_cursor"]
    assert (seen, pages) == (placed, 3)


async def test_an_order_updated_while_paging_is_seen_again_not_lost(
    api: ShopeeApi, sandbox: ShopeeSandbox, honey: Item, clock: ManualClock
) -> None:
    orders = [sandbox.place_order(SHOP_ID, [(honey.item_id, 0, 1)]) for _ in range(4)]
    first = await api.ok("GET", "order/get_order_list", _window("update_time") | {"page_size": 2})
    clock.advance(10)
    sandbox.set_order_status(orders[0].order_sn, "PROCESSED")
    rest = await api.ok("GET", "order/get_order_list", _window("update_time") | {"cursor": first["next_cursor"]})
    got = [o["order_sn"] for o in first["order_list"] + rest["order_list"]]
    assert set(got) == {o.order_sn for o in orders} and got.count(orders[0].order_sn) == 2


@pytest.mark.parametrize(
    ("span", "accepted"),
    [pytest.param(15 * DAY, True, id="15-days"), pytest.param(15 * DAY + 1, False, id="15-days-and-1s")],
)
async def test_the_order_window_is_at_most_fifteen_days(api: ShopeeApi, span: int, accepted: bool) -> None:
    envelope = (await api.get("order/get_order_list", _window(span=span))).json()
    if accepted:
        assert envelope["error"] == ""
    else:
        assert envelope["error"] == "order.order_list_invalid_time"
        assert "15days" in envelope["message"]


async def test_the_order_window_must_run_forwards(api: ShopeeApi) -> None:
    envelope = (await api.get("order/get_order_list", _window(span=-1))).json()
    assert envelope["error"] == "order.order_list_invalid_time"


async def test_the_order_list_filters_by_status_and_can_show_it(
    api: ShopeeApi, sandbox: ShopeeSandbox, honey: Item
) -> None:
    unpaid = sandbox.place_order(SHOP_ID, [(honey.item_id, 0, 1)], status="UNPAID")
    sandbox.place_order(SHOP_ID, [(honey.item_id, 0, 1)])
    query = _window() | {"order_status": "UNPAID", "response_optional_fields": "order_status"}
    answer = await api.ok("GET", "order/get_order_list", query)
    assert answer["order_list"] == [{"order_sn": unpaid.order_sn, "order_status": "UNPAID"}]
    plain = await api.ok("GET", "order/get_order_list", _window())
    assert all(set(o) == {"order_sn"} for o in plain["order_list"])


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"page_size": 0}, id="page-size-0"),
        pytest.param({"page_size": 101}, id="page-size-101"),
        pytest.param({"time_range_field": "pay_time"}, id="bad-field"),
        pytest.param({"cursor": "%%%"}, id="bad-cursor"),
    ],
)
async def test_the_order_list_refuses_bad_parameters(api: ShopeeApi, query: dict[str, Any]) -> None:
    assert (await api.get("order/get_order_list", _window() | query)).json()["error"] == "error_param"


async def test_order_detail_answers_lines_and_only_the_optional_fields_asked_for(
    api: ShopeeApi, sandbox: ShopeeSandbox, honey: Item
) -> None:
    sandbox.set_tiers(honey.item_id, [{"name": "Cỡ", "option_list": [{"option": "1l"}]}], [([0], "MO-1L", 450000, 9)])
    [model] = sandbox.item(honey.item_id).models.values()
    plain_item = sandbox.create_item(SHOP_ID, "Gạo ST25 túi 5kg", price=180000, stock=9, item_sku="GAO-ST25")
    order = sandbox.place_order(SHOP_ID, [(honey.item_id, model.model_id, 2), (plain_item.item_id, 0, 1)], cod=True)
    fields = "item_list,total_amount,recipient_address,package_list,buyer_username"
    query = {"order_sn_list": f"{order.order_sn},NOPE", "response_optional_fields": fields}
    [detail] = (await api.ok("GET", "order/get_order_detail", query))["order_list"]
    assert (detail["order_sn"], detail["region"], detail["currency"], detail["cod"]) == (
        order.order_sn,
        "VN",
        "VND",
        True,
    )
    assert detail["total_amount"] == 1080000.0
    lines = {line["item_sku"]: line for line in detail["item_list"]}
    expected = {"model_id": model.model_id, "model_sku": "MO-1L", "model_quantity_purchased": 2}
    assert lines["MO-BH"].items() >= expected.items()
    assert lines["MO-BH"]["model_original_price"] == 450000.0
    assert (lines["GAO-ST25"]["model_id"], lines["GAO-ST25"]["model_sku"]) == (0, "")
    assert "*" in detail["recipient_address"]["phone"]
    assert detail["package_list"][0]["logistics_status"] == "LOGISTICS_READY"
    bare = (await api.ok("GET", "order/get_order_detail", {"order_sn_list": order.order_sn}))["order_list"][0]
    assert "item_list" not in bare and "recipient_address" not in bare


async def test_order_detail_takes_one_to_fifty_orders(api: ShopeeApi) -> None:
    too_many = ",".join(f"SN{n}" for n in range(51))
    assert (await api.get("order/get_order_detail", {"order_sn_list": too_many})).json()["error"] == "error_param"
    assert (await api.get("order/get_order_detail", {"order_sn_list": ""})).json()["error"] == "error_param"


def test_a_push_body_is_signed_like_shopee_signs_it(sandbox: ShopeeSandbox, honey: Item) -> None:
    order = sandbox.place_order(SHOP_ID, [(honey.item_id, 0, 1)])
    url = "https://chosync.example/shopee/push"
    body, headers = sandbox.order_status_push(order.order_sn, url)
    assert headers["Authorization"] == hmac_hex(PARTNER_KEY, f"{url}|{body.decode()}")
    payload = json.loads(body)
    assert (payload["code"], payload["shop_id"], payload["data"]["ordersn"]) == (3, SHOP_ID, order.order_sn)
