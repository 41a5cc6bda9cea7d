"""Reading Shopee back: SKU look-up, listing states page by page, and the order walk across windows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from connectors.shopee.config import ShopeeConfig
from connectors.shopee.normalize import (
    ORDER_STATUS_MAP,
    decode_cursor,
    encode_cursor,
    order_from_detail,
    time_windows,
    vnd,
)
from core.errors import PermanentError
from core.ports import InMemoryTokenStore, ListingRef, ListingStatus, OrderBatch, OrderStatus
from tests.connectors.conftest import BASE_URL, NOW, FakeClock, envelope, make_config, make_connector

pytestmark = pytest.mark.anyio

API = f"{BASE_URL}/api/v2"
DAY = 86_400


def _base(
    item_id: int, sku: str | None, status: str = "NORMAL", *, has_model: bool = False, **extra: Any
) -> dict[str, Any]:
    return {"item_id": item_id, "item_sku": sku or "", "item_status": status, "has_model": has_model, **extra}


async def test_find_by_sku_matches_the_exact_sku_only(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{API}/product/search_item").mock(return_value=envelope({"item_id_list": [11, 12, 13]}))
        base = router.get(f"{API}/product/get_item_base_info").mock(
            return_value=envelope(
                {
                    "item_list": [
                        _base(11, "TRA-TC-OLD"),  # search is by prefix: not ours
                        _base(12, "TRA-TC", "UNLIST", has_model=True),
                        _base(13, "TRA-TC", "SELLER_DELETE"),  # deleted: not a listing any more
                    ]
                }
            )
        )
        router.get(f"{API}/product/get_model_list").mock(
            return_value=envelope(
                {"model": [{"model_id": 5, "model_sku": "TRA-TC-200"}, {"model_id": 6, "model_sku": ""}]}
            )
        )
        async with httpx.AsyncClient() as http:
            ref = await make_connector(config, tokens, clock, http).find_by_sku("TRA-TC")
    assert ref == ListingRef(item_id="12", models={"TRA-TC-200": "5"})
    assert base.calls.last.request.url.params["item_id_list"] == "11,12,13"


async def test_find_by_sku_prefers_the_live_item_among_duplicates(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{API}/product/search_item").mock(return_value=envelope({"item_id_list": [21, 22]}))
        router.get(f"{API}/product/get_item_base_info").mock(
            return_value=envelope({"item_list": [_base(21, "S", "UNLIST"), _base(22, "S", "NORMAL")]})
        )
        async with httpx.AsyncClient() as http:
            assert await make_connector(config, tokens, clock, http).find_by_sku("S") == ListingRef(item_id="22")


async def test_find_by_sku_of_an_unknown_sku_is_none(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        search = router.get(f"{API}/product/search_item").mock(return_value=envelope({}))
        async with httpx.AsyncClient() as http:
            assert await make_connector(config, tokens, clock, http).find_by_sku("NOPE") is None
    assert search.calls.last.request.url.params.get_list("item_status") == [
        "NORMAL",
        "BANNED",
        "UNLIST",
        "REVIEWING",
    ]


async def test_listing_states_page_through_every_status(tokens: InMemoryTokenStore, clock: FakeClock) -> None:
    """Page 1 (3 items, 2 base-info batches), page 2 empty but says more, page 3 the last."""
    config = make_config(limits={"item_list_page_size": 3, "item_base_info_batch": 2})
    pages = {
        "0": {
            "item": [{"item_id": 1}, {"item_id": 2}, {"item_id": 3}],
            "has_next_page": True,
            "next_offset": 3,
        },
        "3": {"item": [], "has_next_page": True, "next_offset": 6},
        "6": {"item": [{"item_id": 4}], "has_next_page": False, "next_offset": 7},
    }
    bases = {
        1: _base(1, "A", price_info=[{"original_price": 120000.0}], stock_info_v2={"seller_stock": [{"stock": 4}]}),
        2: _base(2, "B", "BANNED", has_model=True),
        3: _base(
            3,
            None,
            "REVIEWING",
            price_info=[{"original_price": 5000}],
            stock_info_v2={"summary_info": {"total_available_stock": 2}},
        ),
        4: _base(4, "D", "SHOPEE_DELETE"),
    }

    def base_info(request: httpx.Request) -> httpx.Response:
        ids = [int(i) for i in request.url.params["item_id_list"].split(",")]
        return envelope({"item_list": [bases[i] for i in ids]})

    with respx.mock(assert_all_called=True) as router:
        listing = router.get(f"{API}/product/get_item_list").mock(
            side_effect=lambda request: envelope(pages[request.url.params["offset"]])
        )
        info = router.get(f"{API}/product/get_item_base_info").mock(side_effect=base_info)
        router.get(f"{API}/product/get_model_list").mock(
            return_value=envelope(
                {
                    "model": [
                        {
                            "model_id": 7,
                            "model_sku": "B-1",
                            "price_info": [{"original_price": 9000}],
                            "stock_info_v2": {"seller_stock": [{"stock": 1}, {"stock": 2}]},
                        }
                    ]
                }
            )
        )
        async with httpx.AsyncClient() as http:
            states = [state async for state in make_connector(config, tokens, clock, http).listing_states()]
    assert [call.request.url.params["offset"] for call in listing.calls] == ["0", "3", "6"]
    assert listing.calls[0].request.url.params.get_list("item_status") == [
        "NORMAL",
        "BANNED",
        "UNLIST",
        "REVIEWING",
        "SELLER_DELETE",
        "SHOPEE_DELETE",
    ]
    assert [len(call.request.url.params["item_id_list"].split(",")) for call in info.calls] == [2, 1, 1]
    assert [(s.item_id, s.sku, s.status) for s in states] == [
        ("1", "A", ListingStatus.LIVE),
        ("2", "B", ListingStatus.BANNED),
        ("3", None, ListingStatus.IN_REVIEW),
        ("4", "D", ListingStatus.DELETED),
    ]
    assert [(v.variant_sku, v.model_id, v.price_vnd, v.stock) for v in states[0].variants] == [("A", "0", 120_000, 4)]
    assert [(v.variant_sku, v.model_id, v.price_vnd, v.stock) for v in states[1].variants] == [("B-1", "7", 9000, 3)]
    assert states[2].variants[0].stock == 2


async def test_an_empty_shop_has_no_listing_states(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{API}/product/get_item_list").mock(
            return_value=envelope({"total_count": 0, "has_next_page": False})
        )
        async with httpx.AsyncClient() as http:
            assert [s async for s in make_connector(config, tokens, clock, http).listing_states()] == []


async def test_more_pages_without_a_next_offset_is_an_error_not_a_loop(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{API}/product/get_item_list").mock(return_value=envelope({"item": [], "has_next_page": True}))
        async with httpx.AsyncClient() as http:
            with pytest.raises(PermanentError, match="no next offset"):
                _ = [s async for s in make_connector(config, tokens, clock, http).listing_states()]


# --- orders --------------------------------------------------------------------------------------


def _detail(order_sn: str, status: str = "READY_TO_SHIP", **extra: Any) -> dict[str, Any]:
    detail = {
        "order_sn": order_sn,
        "region": "VN",
        "currency": "VND",
        "order_status": status,
        "create_time": 1717200000,
        "update_time": 1717203600,
        "total_amount": 255000.0,
        "item_list": [
            {
                "item_id": 800001,
                "item_sku": "TRA-TC",
                "model_id": 9001,
                "model_sku": "TRA-TC-200",
                "model_quantity_purchased": 2,
                "model_original_price": 120000.0,
                "model_discounted_price": 110000.0,
            },
            {
                "item_id": 800002,
                "item_sku": "MO-1",
                "model_id": 0,
                "model_sku": "",
                "model_quantity_purchased": 1,
                "model_original_price": 35000.0,
            },
        ],
        "recipient_address": {"name": "Nguyễn Văn A", "phone": "0900000000", "full_address": "Hà Nội"},
        "buyer_username": "buyer123",
    }
    detail.update(extra)
    return detail


def test_an_order_is_normalised_without_buyer_data() -> None:
    order = order_from_detail(_detail("240601ABC"))
    assert order.status is OrderStatus.READY
    assert order.raw_status == "READY_TO_SHIP"
    assert order.created_at == datetime(2024, 6, 1, 0, 0, tzinfo=UTC)
    assert order.total_vnd == 255_000
    assert [(line.line_id, line.variant_sku, line.quantity, line.unit_price_vnd) for line in order.lines] == [
        ("800001:9001", "TRA-TC-200", 2, 110_000),
        ("800002:0", "MO-1", 1, 35_000),
    ]
    dumped = order.model_dump_json()
    for private in ("Nguyễn Văn A", "0900000000", "Hà Nội", "buyer123"):
        assert private not in dumped


@pytest.mark.parametrize(
    ("raw", "ours"),
    [
        pytest.param("UNPAID", OrderStatus.PENDING, id="unpaid"),
        pytest.param("PENDING", OrderStatus.PENDING, id="pending"),
        pytest.param("INVOICE_PENDING", OrderStatus.PENDING, id="invoice-pending"),
        pytest.param("READY_TO_SHIP", OrderStatus.READY, id="ready-to-ship"),
        pytest.param("PROCESSED", OrderStatus.READY, id="processed"),
        pytest.param("RETRY_SHIP", OrderStatus.READY, id="retry-ship"),
        pytest.param("IN_CANCEL", OrderStatus.READY, id="in-cancel-is-not-cancelled-yet"),
        pytest.param("SHIPPED", OrderStatus.SHIPPED, id="shipped"),
        pytest.param("TO_CONFIRM_RECEIVE", OrderStatus.SHIPPED, id="to-confirm-receive"),
        pytest.param("COMPLETED", OrderStatus.COMPLETED, id="completed"),
        pytest.param("CANCELLED", OrderStatus.CANCELLED, id="cancelled"),
        pytest.param("TO_RETURN", OrderStatus.RETURNED, id="to-return"),
    ],
)
def test_order_statuses_map_to_ours(raw: str, ours: OrderStatus) -> None:
    assert ORDER_STATUS_MAP[raw] is ours
    assert order_from_detail(_detail("X", raw)).status is ours


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"order_status": "TELEPORTED"}, "does not know", id="unknown-status"),
        pytest.param({"total_amount": 255000.5}, "not a whole number of đồng", id="non-whole-total"),
        pytest.param({"currency": "SGD"}, "đồng only", id="other-currency"),
        pytest.param({"create_time": "yesterday"}, "not a time", id="bad-time"),
        pytest.param(
            {"item_list": [{"item_id": 1, "model_id": 0, "model_quantity_purchased": 0, "model_original_price": 1}]},
            "could not be read",
            id="zero-quantity",
        ),
    ],
)
def test_unreadable_orders_are_errors_never_guesses(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(PermanentError, match=message):
        order_from_detail(_detail("X", **changes))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(12500.0, 12500, id="float"),
        pytest.param(12500, 12500, id="int"),
        pytest.param("99000", 99000, id="text"),
    ],
)
def test_whole_dong_amounts_convert(value: object, expected: int) -> None:
    assert vnd(value, what="price") == expected


@pytest.mark.parametrize("value", [12500.01, -1, float("nan"), float("inf"), True, None, "abc"])
def test_other_amounts_are_refused(value: object) -> None:
    with pytest.raises(PermanentError):
        vnd(value, what="price")


def test_time_windows_never_exceed_the_span() -> None:
    assert time_windows(0, 40 * DAY, 15 * DAY) == [(0, 15 * DAY), (15 * DAY, 30 * DAY), (30 * DAY, 40 * DAY)]
    assert time_windows(10, 10, 15 * DAY) == []


def test_cursors_round_trip_and_foreign_ones_are_refused() -> None:
    assert decode_cursor(encode_cursor(1717200000), default=0) == 1717200000
    assert decode_cursor(None, default=42) == 42
    for foreign in ("not json", '{"cursor": "abc"}', '{"v": 2, "update_time_from": 1}'):
        with pytest.raises(PermanentError, match="cursor"):
            decode_cursor(foreign, default=0)


async def test_order_walk_crosses_15_day_windows_and_pages(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    """From a cursor 40 days back: three windows; the first has two pages, the second nothing, the
    third 60 orders (two detail batches). Each batch says which cursor to store once it is saved."""
    now = int(NOW.timestamp())
    start = now - 40 * DAY
    windows = [(start, start + 15 * DAY), (start + 15 * DAY, start + 30 * DAY), (start + 30 * DAY, now)]
    third = [f"C{i:03d}" for i in range(60)]
    answers = {
        (windows[0][0], ""): {
            "more": True,
            "next_cursor": "page-2",
            "order_list": [{"order_sn": "A1"}, {"order_sn": "A2"}],
        },
        (windows[0][0], "page-2"): {
            "more": False,
            "next_cursor": "",
            "order_list": [{"order_sn": "A3"}, {"order_sn": "A2"}],
        },
        (windows[1][0], ""): {"more": False, "next_cursor": "", "order_list": []},
        (windows[2][0], ""): {
            "more": False,
            "next_cursor": "",
            "order_list": [{"order_sn": sn} for sn in third],
        },
    }

    def order_list(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["time_range_field"] == "update_time"
        assert int(params["time_to"]) - int(params["time_from"]) <= 15 * DAY
        return envelope(answers[(int(params["time_from"]), params["cursor"])])

    def order_detail(request: httpx.Request) -> httpx.Response:
        assert request.url.params["response_optional_fields"] == "item_list,total_amount"
        sns = request.url.params["order_sn_list"].split(",")
        return envelope({"order_list": [_detail(sn) for sn in sns]})

    with respx.mock(assert_all_called=True) as router:
        router.get(f"{API}/order/get_order_list").mock(side_effect=order_list)
        details = router.get(f"{API}/order/get_order_detail").mock(side_effect=order_detail)
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http)
            batches = [batch async for batch in connector.pull_orders(encode_cursor(start))]
    assert [[o.order_id for o in b.orders] for b in batches] == [
        ["A1", "A2", "A3"],
        [],
        third[:50],
        third[50:],
    ]
    assert [json.loads(b.cursor)["update_time_from"] for b in batches] == [
        windows[0][1],
        windows[1][1],
        windows[2][0],  # mid-window: a crash here replays the window
        now - config.orders.overlap_s,
    ]
    assert [len(c.request.url.params["order_sn_list"].split(",")) for c in details.calls] == [3, 50, 10]


async def test_the_first_pull_reads_the_configured_lookback(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        route = router.get(f"{API}/order/get_order_list").mock(return_value=envelope({"more": False, "order_list": []}))
        async with httpx.AsyncClient() as http:
            batches: list[OrderBatch] = [b async for b in make_connector(config, tokens, clock, http).pull_orders(None)]
    params = route.calls.last.request.url.params
    assert int(params["time_from"]) == int((NOW - timedelta(days=15)).timestamp())
    assert int(params["time_to"]) == int(NOW.timestamp())
    assert len(batches) == 1
    assert batches[0].orders == ()


async def test_more_orders_without_a_cursor_is_an_error_not_a_loop(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{API}/order/get_order_list").mock(
            return_value=envelope({"more": True, "next_cursor": "", "order_list": []})
        )
        async with httpx.AsyncClient() as http:
            with pytest.raises(PermanentError, match="no next cursor"):
                _ = [b async for b in make_connector(config, tokens, clock, http).pull_orders(None)]
