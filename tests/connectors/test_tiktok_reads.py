"""TikTok reads: orders by update time with page tokens, statuses mapped, line items grouped per SKU;
listing states with our product SKU; look-ups by seller SKU ten at a time."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from connectors.kit.normalize import decode_cursor
from connectors.tiktok.normalize import order_from, product_sku_of
from core.errors import PermanentError
from core.ports import ListingStatus, OrderStatus
from tests.connectors.conftest import NOW, FakeClock
from tests.connectors.tiktok_fixtures import BASE, SEARCH, make_config, make_connector, ok, search_product

pytestmark = pytest.mark.anyio
ORDERS = "/order/202309/orders/search"


def _order(
    order_id: str, status: str, units: list[tuple[str, str, str]], updated: int = 1_717_243_000
) -> dict[str, Any]:
    return {
        "id": order_id,
        "status": status,
        "create_time": updated - 60,
        "update_time": updated,
        "payment": {"currency": "VND", "sub_total": "0", "total_amount": "530000"},
        "line_items": [
            {
                "id": f"L{i}",
                "sku_id": sku_id,
                "seller_sku": seller_sku,
                "product_id": "P1",
                "sale_price": price,
                "original_price": price,
            }
            for i, (sku_id, seller_sku, price) in enumerate(units)
        ],
    }


def test_line_items_are_grouped_per_sku_one_per_unit() -> None:
    statuses = make_config().orders.statuses
    units = [("S1", "TRA-TC-200", "120000")] * 3 + [("S2", "TRA-TC-500", "170000")]
    order = order_from(_order("O1", "AWAITING_SHIPMENT", units), statuses)
    assert [(x.line_id, x.variant_sku, x.item_id, x.quantity, x.unit_price_vnd) for x in order.lines] == [
        ("S1", "TRA-TC-200", "P1", 3, 120_000),
        ("S2", "TRA-TC-500", "P1", 1, 170_000),
    ]
    assert (order.status, order.raw_status, order.total_vnd) == (OrderStatus.READY, "AWAITING_SHIPMENT", 530_000)


@pytest.mark.parametrize(
    ("raw", "ours"),
    [
        ("UNPAID", OrderStatus.PENDING),
        ("ON_HOLD", OrderStatus.READY),
        ("AWAITING_COLLECTION", OrderStatus.READY),
        ("PARTIALLY_SHIPPING", OrderStatus.READY),
        ("IN_TRANSIT", OrderStatus.SHIPPED),
        ("DELIVERED", OrderStatus.SHIPPED),
        ("COMPLETED", OrderStatus.COMPLETED),
        ("CANCELLED", OrderStatus.CANCELLED),
        ("CANCEL", OrderStatus.CANCELLED),
    ],
)
def test_statuses_map_onto_ours(raw: str, ours: OrderStatus) -> None:
    assert order_from(_order("O", raw, [("S1", "A", "1000")]), make_config().orders.statuses).status is ours


def test_an_unknown_status_or_a_fractional_amount_is_a_data_error() -> None:
    statuses = make_config().orders.statuses
    with pytest.raises(PermanentError, match="does not know"):
        order_from(_order("O", "TELEPORTED", [("S1", "A", "1000")]), statuses)
    with pytest.raises(PermanentError, match="whole"):
        order_from(_order("O", "COMPLETED", [("S1", "A", "1000.5")]), statuses)


async def test_orders_are_pulled_by_update_time_page_by_page(clock: FakeClock) -> None:
    pages = [
        ok({"orders": [_order("O1", "UNPAID", [("S1", "A", "1000")])], "next_page_token": "t2"}),
        ok({"orders": [_order("O2", "CANCELLED", [("S1", "A", "1000")])], "next_page_token": ""}),
    ]
    with respx.mock(base_url=BASE) as router:
        route = router.post(ORDERS).mock(side_effect=pages)
        async with httpx.AsyncClient() as http:
            batches = [b async for b in make_connector(http, clock).pull_orders(None)]
    now = int(NOW.timestamp())
    first, second = (call.request for call in route.calls)
    assert json.loads(first.content) == {"update_time_ge": now - 15 * 86400, "update_time_lt": now}
    assert (first.url.params["sort_field"], first.url.params["sort_order"], "page_token" in first.url.params) == (
        "update_time",
        "ASC",
        False,
    )
    assert second.url.params["page_token"] == "t2"
    assert [[o.order_id for o in b.orders] for b in batches] == [["O1"], ["O2"]]
    assert decode_cursor(batches[0].cursor, default=0, marketplace="t") == now - 15 * 86400
    assert decode_cursor(batches[1].cursor, default=0, marketplace="t") == now - 300


async def test_a_page_token_that_repeats_is_an_error_not_a_loop(clock: FakeClock) -> None:
    with respx.mock(base_url=BASE) as router:
        router.post(ORDERS).mock(return_value=ok({"orders": [], "next_page_token": "same"}))
        async with httpx.AsyncClient() as http:
            with pytest.raises(PermanentError, match="repeated page token"):
                _ = [b async for b in make_connector(http, clock).pull_orders(None)]


async def test_listing_states_name_our_product_and_log_a_rejection(clock: FakeClock) -> None:
    failed = search_product("P2", {"BUOI-1KG": "S9"}, status="FAILED")
    page = {"products": [search_product("P1", {"TRA-TC-200": "S1", "TRA-TC-500": "S2"}), failed], "next_page_token": ""}
    reasons = {**failed, "audit_failed_reasons": [{"position": "title", "reasons": ["banned word"]}]}
    with respx.mock(base_url=BASE) as router:
        router.post(SEARCH).mock(return_value=ok(page))
        router.get("/product/202309/products/P2").mock(return_value=ok(reasons))
        async with httpx.AsyncClient() as http:
            states = [s async for s in make_connector(http, clock).listing_states()]
    assert [(s.item_id, s.sku, s.status) for s in states] == [
        ("P1", "TRA-TC", ListingStatus.LIVE),
        ("P2", "BUOI-1KG", ListingStatus.REJECTED),
    ]
    assert {v.variant_sku: (v.model_id, v.price_vnd, v.stock) for v in states[0].variants} == {
        "TRA-TC-200": ("S1", 1000, 3),
        "TRA-TC-500": ("S2", 1000, 3),
    }


def test_our_product_sku_is_known_or_read_from_the_seller_skus() -> None:
    assert product_sku_of(["A-1", "A-2"], {"A-1": "GAO-ST25"}) == "GAO-ST25"
    assert product_sku_of(["TRA-TC-200", "TRA-TC-500"], {}) == "TRA-TC"
    assert product_sku_of(["MUOI"], {}) == "MUOI"


async def test_a_look_up_searches_ten_seller_skus_a_call(clock: FakeClock) -> None:
    from core.catalog.records import VariantRecord
    from tests.connectors.conftest import product

    many = product(variants=tuple(VariantRecord(sku=f"TRA-TC-{i:02}", price_vnd=1000) for i in range(12)))
    with respx.mock(base_url=BASE) as router:
        route = router.post(SEARCH).mock(return_value=ok({"products": [], "next_page_token": ""}))
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock)
            connector.map_product(many)
            assert await connector.find_by_sku("TRA-TC") is None
    assert [len(json.loads(c.request.content)["seller_skus"]) for c in route.calls] == [10, 2]
