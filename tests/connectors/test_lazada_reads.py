"""Reading Lazada back: listing states with QC (in review, rejected with Lazada's reason), look-ups, and orders
by update time (the +07:00 boundary, the window sliding past the 5,000 offset cap, per-unit statuses folded
into our lines, cursors that make a replay harmless)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx

from connectors.lazada.normalize import lazada_time, parse_time
from core.errors import PermanentError
from core.ports import ListingStatus, OrderStatus
from tests.connectors.conftest import NOW, FakeClock
from tests.connectors.lazada_fixtures import (
    BASE,
    NONE_FOUND,
    PRODUCTS,
    make_config,
    make_connector,
    ok,
    product_entry,
    products,
    refusal,
)

pytestmark = pytest.mark.anyio
ORDERS, ITEMS = f"{BASE}/orders/get", f"{BASE}/orders/items/get"
VN = timezone(timedelta(hours=7))
SKU_IDS = {"TRA-TC-200": "901", "TRA-TC-500": "902"}


def _lazada_time(moment: datetime) -> str:
    return moment.astimezone(VN).strftime("%Y-%m-%d %H:%M:%S %z")


async def test_listing_states_show_qc_and_rejections_with_lazadas_reason(clock: FakeClock) -> None:
    live = product_entry("31", {"TRA-TC-200": "901", "TRA-TC-500": "902"})
    review = product_entry("32", {"BUOI-1": "903"}, status="Pending QC")
    rejected = product_entry("33", {"X-1": "904"}, status="Rejected", reject_reason="banned word: chữa bệnh")
    gone = product_entry("34", {"OLD-1": "905"}, status="Deleted")
    gone["skus"][0]["Status"] = "deleted"
    with respx.mock() as router:
        route = router.get(PRODUCTS).mock(side_effect=[products(live, review, rejected), products(gone)])
        async with httpx.AsyncClient() as http:
            states = [s async for s in make_connector(http, clock).listing_states()]
    assert [call.request.url.params["filter"] for call in route.calls] == ["all", "deleted"]
    assert [(s.item_id, s.sku, s.status, s.reason) for s in states] == [
        ("31", "TRA-TC", ListingStatus.LIVE, None),
        ("32", "BUOI-1", ListingStatus.IN_REVIEW, None),
        ("33", "X-1", ListingStatus.REJECTED, "banned word: chữa bệnh"),
        ("34", "OLD-1", ListingStatus.DELETED, None),
    ]
    assert [(v.variant_sku, v.model_id, v.price_vnd, v.stock) for v in states[0].variants] == [
        ("TRA-TC-200", "901", 120_000, 5),
        ("TRA-TC-500", "902", 120_000, 5),
    ]
    assert states[0].content is not None and states[0].content.category == "10000151"
    assert states[3].variants == ()


async def test_a_status_chosync_does_not_know_is_a_data_error(clock: FakeClock) -> None:
    with respx.mock() as router:
        router.get(PRODUCTS).mock(return_value=products(product_entry("31", {"A-1": "9"}, status="Suspended")))
        async with httpx.AsyncClient() as http:
            with pytest.raises(PermanentError, match="Suspended"):
                _ = [s async for s in make_connector(http, clock).listing_states()]


async def test_listing_states_page_by_offset(clock: FakeClock) -> None:
    config = make_config(limits={"products_page_size": 2}, reads={"include_deleted": False})
    page = [product_entry(str(40 + n), {f"S{n}-1": str(n)}) for n in range(3)]
    with respx.mock() as router:
        route = router.get(PRODUCTS).mock(
            side_effect=[
                ok({"total_products": 3, "products": page[:2]}),
                ok({"total_products": 3, "products": page[2:]}),
            ]
        )
        async with httpx.AsyncClient() as http:
            states = [s async for s in make_connector(http, clock, config=config).listing_states()]
    assert [s.item_id for s in states] == ["40", "41", "42"]
    assert [call.request.url.params["offset"] for call in route.calls] == ["0", "2"]


async def test_a_product_never_mapped_here_is_found_by_its_variants_seller_skus(clock: FakeClock) -> None:
    mine = product_entry("31", {"TRA-TC-200": "901", "TRA-TC-500": "902"})
    other = product_entry("32", {"TRA-TCX-1": "903"})
    with respx.mock() as router:
        route = router.get(PRODUCTS).mock(side_effect=[NONE_FOUND, products(mine, other)])
        async with httpx.AsyncClient() as http:
            ref = await make_connector(http, clock).find_by_sku("TRA-TC")
    assert ref is not None and (ref.item_id, ref.models) == ("31", {"TRA-TC-200": "901", "TRA-TC-500": "902"})
    assert route.calls[0].request.url.params["sku_seller_list"] == '["TRA-TC"]'
    assert "sku_seller_list" not in route.calls[1].request.url.params


# --- orders -------------------------------------------------------------------------------------------------


def _order(order_id: int, updated: datetime, units: list[tuple[str, str]]) -> dict[str, Any]:
    """An order and its items: ``units`` is (SellerSku, status), one per unit bought."""
    return {
        "order_id": order_id,
        "created_at": _lazada_time(updated - timedelta(minutes=5)),
        "updated_at": _lazada_time(updated),
        "price": f"{60_000 * len(units)}.00",
        "statuses": sorted({status for _, status in units}),
        "items": [
            {"order_item_id": order_id * 10 + n, "order_id": order_id, "product_id": 31, "sku": sku,
             "sku_id": SKU_IDS.get(sku, "999"), "status": status, "item_price": 60_000, "paid_price": 60_000,
             "currency": "VND", "updated_at": _lazada_time(updated)}
            for n, (sku, status) in enumerate(units)
        ],
    }  # fmt: skip


class FakeOrders:
    """orders/get and orders/items/get over a list of orders, refusing offsets past ``offset_max``."""

    def __init__(self, orders: list[dict[str, Any]], offset_max: int) -> None:
        self.orders = orders
        self.offset_max = offset_max
        self.windows: list[str] = []

    def page(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        offset, limit = int(params["offset"]), int(params["limit"])
        if offset > self.offset_max:
            return refusal("E019", "Invalid Offset")
        after = datetime.fromisoformat(params["update_after"])
        before = datetime.fromisoformat(params["update_before"])
        self.windows.append(params["update_after"])
        chosen = [
            o for o in self.orders if after <= datetime.strptime(o["updated_at"], "%Y-%m-%d %H:%M:%S %z") < before
        ]
        chosen.sort(key=lambda o: (o["updated_at"], o["order_id"]))
        page = [{k: v for k, v in o.items() if k != "items"} for o in chosen[offset : offset + limit]]
        return ok({"count": len(page), "countTotal": len(chosen), "orders": page})

    def items(self, request: httpx.Request) -> httpx.Response:
        wanted = {str(i) for i in json.loads(request.url.params["order_ids"])}
        assert len(wanted) <= 50
        found = [o for o in self.orders if str(o["order_id"]) in wanted]
        return ok([{"order_id": o["order_id"], "order_items": o["items"]} for o in found])


async def test_orders_are_read_by_update_time_with_the_shops_offset(clock: FakeClock) -> None:
    fake = FakeOrders([_order(1, NOW - timedelta(hours=1), [("TRA-TC-200", "pending")])], offset_max=5000)
    with respx.mock() as router:
        route = router.get(ORDERS).mock(side_effect=fake.page)
        router.get(ITEMS).mock(side_effect=fake.items)
        async with httpx.AsyncClient() as http:
            batches = [b async for b in make_connector(http, clock).pull_orders(None)]
    params = route.calls.last.request.url.params
    assert params["update_after"] == (NOW - timedelta(days=15)).astimezone(VN).isoformat()
    assert params["update_before"] == "2024-06-01T19:00:00+07:00"
    assert (params["sort_by"], params["sort_direction"]) == ("updated_at", "ASC")
    [order] = batches[-1].orders
    assert order.updated_at == NOW - timedelta(hours=1) and order.updated_at.tzinfo is not None
    assert json.loads(batches[-1].cursor)["update_time_from"] == int(NOW.timestamp()) - 300


async def test_per_unit_statuses_fold_into_lines_per_sku_and_one_order_status(clock: FakeClock) -> None:
    when = NOW - timedelta(minutes=30)
    orders = [
        _order(1, when, [("TRA-TC-200", "pending"), ("TRA-TC-200", "pending"), ("TRA-TC-500", "packed")]),
        _order(2, when, [("TRA-TC-200", "canceled"), ("TRA-TC-500", "ready_to_ship"), ("TRA-TC-500", "shipped")]),
        _order(3, when, [("TRA-TC-200", "canceled"), ("TRA-TC-200", "canceled")]),
        _order(4, when, [("TRA-TC-500", "unpaid")]),
    ]
    fake = FakeOrders(orders, offset_max=5000)
    with respx.mock() as router:
        router.get(ORDERS).mock(side_effect=fake.page)
        router.get(ITEMS).mock(side_effect=fake.items)
        async with httpx.AsyncClient() as http:
            pulled = {o.order_id: o async for b in make_connector(http, clock).pull_orders(None) for o in b.orders}
    lines = {oid: [(line.variant_sku, line.quantity) for line in o.lines] for oid, o in pulled.items()}
    assert {oid: o.status for oid, o in pulled.items()} == {
        "1": OrderStatus.READY,
        "2": OrderStatus.SHIPPED,  # the cancelled unit is left out; the others shipped
        "3": OrderStatus.CANCELLED,
        "4": OrderStatus.PENDING,
    }
    assert lines == {
        "1": [("TRA-TC-200", 2), ("TRA-TC-500", 1)],
        "2": [("TRA-TC-500", 2)],
        "3": [("TRA-TC-200", 2)],
        "4": [("TRA-TC-500", 1)],
    }
    assert pulled["2"].raw_status == "canceled×1, ready_to_ship×1, shipped×1"
    assert (pulled["1"].total_vnd, pulled["1"].lines[0].unit_price_vnd, pulled["1"].lines[0].line_id) == (
        180_000,
        60_000,
        "901",
    )


async def test_the_window_slides_past_the_offset_cap_and_reads_every_order_once(clock: FakeClock) -> None:
    start = NOW - timedelta(days=1)
    # 13 orders, two a second (a slid window restarts a second early and reads some again)
    orders = [_order(100 + n, start + timedelta(seconds=n // 2), [("TRA-TC-200", "pending")]) for n in range(13)]
    fake = FakeOrders(orders, offset_max=4)
    config = make_config(limits={"orders_page_size": 2, "orders_offset_max": 4})
    cursor = json.dumps({"v": 1, "update_time_from": int(start.timestamp())})
    with respx.mock() as router:
        router.get(ORDERS).mock(side_effect=fake.page)
        router.get(ITEMS).mock(side_effect=fake.items)
        async with httpx.AsyncClient() as http:
            batches = [b async for b in make_connector(http, clock, config=config).pull_orders(cursor)]
    ids = [o.order_id for b in batches for o in b.orders]
    assert sorted(ids) == sorted({str(o["order_id"]) for o in orders}) and len(ids) == len(set(ids))
    assert len(set(fake.windows)) > 2  # the window moved, more than once
    starts = [json.loads(b.cursor)["update_time_from"] for b in batches]
    assert starts == sorted(starts)  # cursors only move forward; a crash replays from the last one saved


async def test_a_window_that_cannot_slide_is_an_error_not_a_loop(clock: FakeClock) -> None:
    same = NOW - timedelta(hours=2)
    orders = [_order(200 + n, same, [("TRA-TC-200", "pending")]) for n in range(8)]
    fake = FakeOrders(orders, offset_max=2)
    config = make_config(limits={"orders_page_size": 2, "orders_offset_max": 2})
    with respx.mock() as router:
        router.get(ORDERS).mock(side_effect=fake.page)
        router.get(ITEMS).mock(side_effect=fake.items)
        async with httpx.AsyncClient() as http:
            with pytest.raises(PermanentError, match="one second"):
                _ = [b async for b in make_connector(http, clock, config=config).pull_orders(None)]


async def test_an_item_status_chosync_does_not_know_is_a_data_error(clock: FakeClock) -> None:
    fake = FakeOrders([_order(1, NOW - timedelta(hours=1), [("A-1", "teleported")])], offset_max=5000)
    with respx.mock() as router:
        router.get(ORDERS).mock(side_effect=fake.page)
        router.get(ITEMS).mock(side_effect=fake.items)
        async with httpx.AsyncClient() as http:
            with pytest.raises(PermanentError, match="teleported"):
                _ = [b async for b in make_connector(http, clock).pull_orders(None)]


def test_lazadas_times_become_utc() -> None:
    assert parse_time("2026-12-07 21:00:00 +0700", what="t") == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    assert parse_time("2024-01-01T00:00:00+07:00", what="t") == datetime(2023, 12, 31, 17, 0, tzinfo=UTC)
    assert parse_time("1717200000000", what="t") == datetime(2024, 6, 1, tzinfo=UTC)
    assert lazada_time(datetime(2023, 12, 31, 17, 0, tzinfo=UTC), "+07:00") == "2024-01-01T00:00:00+07:00"
    with pytest.raises(PermanentError):
        parse_time("2026-12-07 21:00:00", what="t")  # no offset: never guessed
