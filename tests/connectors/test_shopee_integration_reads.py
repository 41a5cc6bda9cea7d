"""The Shopee connector's reads against the Shopee sandbox: listing states and the order walk.

Listings and orders are put in the sandbox's back office directly (as a seller or a buyer would), then
read back through the connector; the assertions cover the normalised answer and the exact pages and
batches the sandbox was asked for.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest

from connectors.shopee.normalize import encode_cursor
from core.ports import ListingStatus, Order, OrderBatch, OrderStatus, VariantState
from simulators.shopee.records import Item
from simulators.shopee.sandbox import ShopeeSandbox
from tests.connectors.sandbox_fixtures import SHOP_ID, START, World, honey, path, shopee_world

pytestmark = pytest.mark.anyio

DAY, HOUR, MINUTE = 86_400, 3_600, 60
TEA_TIERS = [
    {"name": "Khối lượng", "option_list": [{"option": "100g"}, {"option": "250g"}]},
]


def _query(world: World, call: str) -> list[dict[str, list[str]]]:
    return [parse_qs(c.query, keep_blank_values=True) for c in world.sandbox.recorded(path(call))]


def _tea_item(sandbox: ShopeeSandbox, sku: str = "TRA-ST", stock: int = 10_000) -> Item:
    item = sandbox.create_item(SHOP_ID, "Trà Shan Tuyết cổ thụ Hà Giang", price=95_000, item_sku=sku)
    sandbox.set_tiers(
        item.item_id, TEA_TIERS, [([0], f"{sku}-100", 95_000, stock), ([1], f"{sku}-250", 220_000, stock)]
    )
    return item


# --- listing states ---------------------------------------------------------------------------------

SEEDED_STATUS = {1: "UNLIST", 2: "BANNED", 3: "REVIEWING", 4: "SELLER_DELETE"}
EXPECTED_STATUS = {
    "NORMAL": ListingStatus.LIVE,
    "UNLIST": ListingStatus.DELISTED,
    "BANNED": ListingStatus.BANNED,
    "REVIEWING": ListingStatus.IN_REVIEW,
    "SELLER_DELETE": ListingStatus.DELETED,
}


async def test_listing_states_page_through_130_items_with_statuses_and_whole_dong() -> None:
    """get_item_list 100 a page, get_item_base_info 50 a call, get_model_list for items with models;
    the sandbox answers prices as floats (12500.0), the connector gives whole đồng as int."""
    async with shopee_world() as w:
        expected: dict[str, tuple[str | None, ListingStatus, tuple[VariantState, ...]]] = {}
        for n in range(130):
            raw_status = SEEDED_STATUS.get(n % 10, "NORMAL")
            sku = "" if n == 7 else f"GAO-{n:03d}"  # one item made by hand, without a SKU
            if n in (5, 65, 125):
                item = _tea_item(w.sandbox, sku=f"TRA-{n:03d}", stock=n)
                variants = tuple(
                    VariantState(variant_sku=m.model_sku, model_id=str(m.model_id), price_vnd=m.original_price, stock=n)
                    for m in item.models.values()
                )
            else:
                item = w.sandbox.create_item(
                    SHOP_ID, f"Gạo ST25 Sóc Trăng túi {n} kg", price=12_500 + 1_000 * n, stock=n, item_sku=sku
                )
                variants = (VariantState(variant_sku=sku or None, model_id="0", price_vnd=12_500 + 1_000 * n, stock=n),)
            w.sandbox.set_item_status(item.item_id, raw_status)
            expected[str(item.item_id)] = (item.item_sku or None, EXPECTED_STATUS[raw_status], variants)

        states = [state async for state in w.shopee.listing_states()]

        assert {s.item_id: (s.sku, s.status, s.variants) for s in states} == expected
        assert len(states) == 130
        assert all(type(v.price_vnd) is int for s in states for v in s.variants)
        assert Counter(s.status for s in states) == {
            ListingStatus.LIVE: 78,
            ListingStatus.DELISTED: 13,
            ListingStatus.BANNED: 13,
            ListingStatus.IN_REVIEW: 13,
            ListingStatus.DELETED: 13,
        }
        pages = _query(w, "product/get_item_list")
        assert [(q["offset"], q["page_size"]) for q in pages] == [(["0"], ["100"]), (["100"], ["100"])]
        assert pages[0]["item_status"] == [
            "NORMAL",
            "BANNED",
            "UNLIST",
            "REVIEWING",
            "SELLER_DELETE",
            "SHOPEE_DELETE",
        ]
        batches = [q["item_id_list"][0].split(",") for q in _query(w, "product/get_item_base_info")]
        assert [len(b) for b in batches] == [50, 50, 30]
        assert w.sandbox.calls(path("product/get_model_list")) == 3
        assert Counter(w.calls()) == {
            "product/get_item_list": 2,
            "product/get_item_base_info": 3,
            "product/get_model_list": 3,
        }


# --- orders -------------------------------------------------------------------------------------------

RAW_STATUSES = (
    "UNPAID",
    "READY_TO_SHIP",
    "PROCESSED",
    "SHIPPED",
    "TO_CONFIRM_RECEIVE",
    "COMPLETED",
    "IN_CANCEL",
    "CANCELLED",
    "TO_RETURN",
)
OUR_STATUS = {
    "UNPAID": OrderStatus.PENDING,
    "READY_TO_SHIP": OrderStatus.READY,
    "PROCESSED": OrderStatus.READY,
    "IN_CANCEL": OrderStatus.READY,
    "SHIPPED": OrderStatus.SHIPPED,
    "TO_CONFIRM_RECEIVE": OrderStatus.SHIPPED,
    "COMPLETED": OrderStatus.COMPLETED,
    "CANCELLED": OrderStatus.CANCELLED,
    "TO_RETURN": OrderStatus.RETURNED,
}
BUYER = "nguyen.van.an.hn"
NOTE = "Gọi 0912 345 678 trước khi giao"

# Order times (days after START): 12 in the first 15-day window, 120 in the second (two list pages,
# three detail batches), 15 in the third; none on a window edge, none in the last hour.
TIMES = (
    [START + 1 * DAY + k * HOUR for k in range(12)]
    + [START + 20 * DAY + k * 10 * MINUTE for k in range(120)]
    + [START + 30 * DAY + k * 16 * HOUR for k in range(15)]
)
PULL_AT = START + 40 * DAY


def _place_orders(w: World, tea: Item, honey: Item) -> dict[str, tuple[str, list[tuple[str, int, int]]]]:
    """Orders over 40 days as the clock moves; returns order_sn → (raw status, [(sku, qty, unit price)])."""
    models = list(tea.models.values())
    placed = {}
    for k, at in enumerate(TIMES):
        w.clock.set(at)
        model = models[k % 2]
        lines = [(tea.item_id, model.model_id, 1 + k % 3)]
        expected = [(model.model_sku, 1 + k % 3, model.original_price - 5_000 * (k % 2))]
        if k % 4 == 0:
            lines.append((honey.item_id, 0, 1))
            expected.append(("MO-UMINH", 1, 185_000 - 5_000 * (k % 2)))
        status = RAW_STATUSES[k % len(RAW_STATUSES)]
        order = w.sandbox.place_order(
            SHOP_ID, lines, status, buyer_username=BUYER, note=NOTE, discount=5_000 * (k % 2), cod=k % 5 == 0
        )
        placed[order.order_sn] = (status, expected)
    return placed


async def _pull(w: World, cursor: str | None) -> list[OrderBatch]:
    return [batch async for batch in w.shopee.pull_orders(cursor)]


def _orders(batches: list[OrderBatch]) -> list[Order]:
    return [order for batch in batches for order in batch.orders]


async def test_orders_over_40_days_are_walked_window_by_window_page_by_page() -> None:
    # The first pull of this account looks back 42 days: three 15-day windows at most.
    async with shopee_world(settings={"orders": {"initial_lookback_days": 42}}, authorize=False) as w:
        tea = _tea_item(w.sandbox)
        honey = w.sandbox.create_item(
            SHOP_ID, "Mật ong rừng U Minh Hạ", price=185_000, stock=10_000, item_sku="MO-UMINH"
        )
        placed = _place_orders(w, tea, honey)
        w.clock.set(PULL_AT)
        await w.shopee.connect(w.sandbox.issue_code(SHOP_ID))  # the 30-day refresh token ran out meanwhile
        w.sandbox.log.reset()

        batches = await _pull(w, None)

        orders = _orders(batches)
        assert sorted(o.order_id for o in orders) == sorted(placed)  # each once: windows do not overlap here
        for order in orders:
            raw_status, lines = placed[order.order_id]
            created = w.sandbox.order(order.order_id).create_time
            assert (order.raw_status, order.status) == (raw_status, OUR_STATUS[raw_status])
            assert [(ln.variant_sku, ln.quantity, ln.unit_price_vnd) for ln in order.lines] == lines
            assert order.total_vnd == sum(qty * price for _, qty, price in lines)
            assert order.created_at == order.updated_at == datetime.fromtimestamp(created, UTC)
            assert (order.currency, type(order.total_vnd)) == ("VND", int)
        as_json = json.dumps([o.model_dump(mode="json") for o in orders], ensure_ascii=False)
        assert BUYER not in as_json and "0912" not in as_json and "N***n" not in as_json

        lists = _query(w, "order/get_order_list")
        assert [int(q["time_to"][0]) - int(q["time_from"][0]) for q in lists] == [
            15 * DAY,
            15 * DAY,
            15 * DAY,
            12 * DAY,
        ]
        assert [bool(q["cursor"][0]) for q in lists] == [False, False, True, False]  # window 2, page 2
        assert {(q["time_range_field"][0], q["page_size"][0]) for q in lists} == {("update_time", "100")}
        details = _query(w, "order/get_order_detail")
        assert [len(q["order_sn_list"][0].split(",")) for q in details] == [12, 50, 50, 20, 15]
        assert {q["response_optional_fields"][0] for q in details} == {"item_list,total_amount"}  # no buyer data
        assert w.calls() == [
            *["order/get_order_list", "order/get_order_detail"],
            *["order/get_order_list", "order/get_order_list", *["order/get_order_detail"] * 3],
            *["order/get_order_list", "order/get_order_detail"],
        ]
        # A batch's cursor is where to resume once it is saved: mid-window, the window's start (a crash
        # replays it, never skips it); at the end, now minus the 5-minute overlap.
        assert [b.cursor for b in batches] == [
            *[encode_cursor(PULL_AT - 27 * DAY)] * 3,
            encode_cursor(PULL_AT - 12 * DAY),
            encode_cursor(PULL_AT - 300),
        ]

        # Later: three orders move on, one is new; the next pull from the stored cursor sees just those.
        first_w1, first_w2, last = orders[0].order_id, orders[12].order_id, orders[-1].order_id
        w.clock.advance(HOUR)
        w.sandbox.set_order_status(first_w1, "SHIPPED")
        w.sandbox.set_order_status(first_w2, "CANCELLED", cancel_reason="OUT_OF_STOCK")
        w.sandbox.set_order_status(last, "COMPLETED")
        new = w.sandbox.place_order(SHOP_ID, [(tea.item_id, list(tea.models)[1], 2)], "UNPAID")
        w.clock.advance(10 * MINUTE)
        mark = w.mark()

        later = _orders(await _pull(w, batches[-1].cursor))

        assert {(o.order_id, o.status) for o in later} == {
            (first_w1, OrderStatus.SHIPPED),
            (first_w2, OrderStatus.CANCELLED),
            (last, OrderStatus.COMPLETED),
            (new.order_sn, OrderStatus.PENDING),
        }
        assert w.calls(mark) == ["order/get_order_list", "order/get_order_detail"]
        assert next(o for o in later if o.order_id == first_w1).updated_at == datetime.fromtimestamp(
            PULL_AT + HOUR, UTC
        )


SINGLE_VARIANT_SKU = (
    "KNOWN LIMITATION (connectors/shopee/normalize.py {0}): a Shopee item without models carries only "
    "item_sku = the PRODUCT SKU, so {1} the product SKU as variant_sku when it differs from the variant's; "
    "the core resolves it through the binding (core/sync/orders.py, core/sync/reconcile.py). No connector-only "
    "fix: order detail names a model_sku only for a model (model_id 0 has none to set), and item_sku must stay "
    "the product SKU, since create's look-up and reconcile find items by it"
)


@pytest.mark.xfail(strict=True, reason=SINGLE_VARIANT_SKU.format("listing_state_from", "its listing state gives"))
async def test_the_listing_state_of_a_single_variant_product_names_our_variant_sku() -> None:
    async with shopee_world() as w:
        await w.shopee.create_listing(honey())  # product MO-UMINH, its one variant MO-UMINH-500ML
        [state] = [state async for state in w.shopee.listing_states()]
        assert [v.variant_sku for v in state.variants] == ["MO-UMINH-500ML"]


@pytest.mark.xfail(strict=True, reason=SINGLE_VARIANT_SKU.format("_lines", "its order lines give"))
async def test_an_order_line_of_a_single_variant_product_names_our_variant_sku() -> None:
    async with shopee_world() as w:
        ref = await w.shopee.create_listing(honey())  # product MO-UMINH, its one variant MO-UMINH-500ML
        w.sandbox.place_order(SHOP_ID, [(int(ref.item_id), 0, 2)])
        w.clock.advance(HOUR)
        [order] = _orders(await _pull(w, None))
        assert [ln.variant_sku for ln in order.lines] == ["MO-UMINH-500ML"]
