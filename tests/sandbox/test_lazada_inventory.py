"""Lazada prices and stock on the simulator: price_quantity/update, and reading products (and their holds) back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from simulators.common.faults import ManualClock
from simulators.lazada.sandbox import LazadaSandbox

from .lazada_api import SELLER, LazadaApi, connected, make_sandbox, sku

pytestmark = pytest.mark.anyio


@pytest.fixture
def lazada(clock: ManualClock) -> LazadaSandbox:
    return make_sandbox(clock, price_quantity_batch=5, timeout_batch=4)


@pytest.fixture
async def api(lazada: LazadaSandbox, clock: ManualClock) -> AsyncIterator[LazadaApi]:
    async with connected(lazada, clock) as client:
        yield client


async def listed(api: LazadaApi, prefix: str = "GAO", skus: int = 2) -> tuple[int, list[int]]:
    created = await api.create(*(sku(f"{prefix}-{k}", 100_000 + k, 10 + k) for k in range(skus)))
    return created["item_id"], [s["sku_id"] for s in created["sku_list"]]


async def test_one_call_sets_prices_and_stock_across_products(api: LazadaApi, lazada: LazadaSandbox) -> None:
    rice, (a, b) = await listed(api)
    salt, (c, _) = await listed(api, "MUOI")
    response = await api.set_skus(
        {"ItemId": rice, "SkuId": a, "Price": "55000", "Quantity": 0},
        {"ItemId": rice, "SkuId": b, "Quantity": "7"},
        {"ItemId": salt, "SkuId": c, "SellerSku": "MUOI-0", "Price": 30_000, "SalePrice": 25_000},
    )
    assert response.json()["code"] == "0"
    skus = {s.seller_sku: s for p in lazada.products.values() for s in p.skus.values()}
    assert [(skus[k].price, skus[k].quantity) for k in ("GAO-0", "GAO-1", "MUOI-0")] == [
        (55_000, 0), (100_001, 7), (30_000, 10)]  # fmt: skip
    assert skus["MUOI-0"].special_price == 25_000


async def test_a_sku_may_be_named_by_seller_sku_alone(api: LazadaApi, lazada: LazadaSandbox) -> None:
    await listed(api)
    assert (await api.set_skus({"SellerSku": "GAO-1", "Quantity": 2})).json()["code"] == "0"
    assert lazada.find_sku("GAO-1")[1].quantity == 2


async def test_batches_over_the_limit_or_the_timeout_apply_nothing(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, ids = await listed(api, skus=6)
    entries = [{"ItemId": item_id, "SkuId": i, "Quantity": 1} for i in ids]
    too_many = (await api.set_skus(*entries)).json()
    timed_out = (await api.set_skus(*entries[:5])).json()
    assert (too_many["code"], timed_out["code"], timed_out["type"]) == ("4171", "ServiceTimeout", "ISP")
    assert {s.quantity for s in lazada.product(item_id).skus.values()} == {10, 11, 12, 13, 14, 15}
    assert (await api.set_skus(*entries[:4])).json()["code"] == "0"


async def test_by_default_50_skus_a_call_are_refused_beyond_and_time_out_beyond_40(clock: ManualClock) -> None:
    lazada = make_sandbox(clock)
    made = [lazada.create_product(SELLER.seller_id, f"Sản phẩm {n}", [(f"S{n}-{k}", 1000, 1) for k in range(26)])
            for n in range(2)]  # fmt: skip
    entries = [{"ItemId": p.item_id, "SkuId": s, "Quantity": 5} for p in made for s in p.skus]
    async with connected(lazada, clock) as api:
        answers = [(await api.set_skus(*entries[:n])).json()["code"] for n in (51, 41, 40)]
    assert answers == ["4171", "ServiceTimeout", "0"]
    assert sorted(s.quantity for p in made for s in p.skus.values()) == [1] * 12 + [5] * 40


async def test_stock_below_what_orders_hold_refuses_the_whole_call(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, (a, b) = await listed(api)
    lazada.place_order(SELLER.seller_id, [("GAO-0", 2)], status="unpaid")
    lazada.place_order(SELLER.seller_id, [("GAO-0", 3)])
    refused = (await api.set_skus({"ItemId": item_id, "SkuId": b, "Quantity": 1},
                                  {"ItemId": item_id, "SkuId": a, "Quantity": 4})).json()  # fmt: skip
    assert refused["code"] == "QuantityBelowOccupied"
    assert "GAO-0" in refused["message"] and "5" in refused["message"]
    assert refused["detail"] == [{"field": "Quantity", "message": "at least 5", "seller_sku": "GAO-0"}]
    assert lazada.product(item_id).skus[b].quantity == 11, "all or nothing"
    await api.ok("POST", "/product/price_quantity/update", {"payload": json.dumps(
        {"Request": {"Product": {"Skus": {"Sku": [{"ItemId": item_id, "SkuId": a, "Quantity": 5}]}}}})})  # fmt: skip
    assert (lazada.product(item_id).skus[a].quantity, lazada.product(item_id).skus[a].available) == (5, 0)


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        pytest.param({"SkuId": 42, "Quantity": 1}, "SkuNotFound", id="unknown-sku-id"),
        pytest.param({"SellerSku": "NOPE", "Quantity": 1}, "SkuNotFound", id="unknown-seller-sku"),
        pytest.param({"SkuId": "OTHER-ITEM", "Quantity": 1}, "SkuNotFound", id="sku-of-another-item"),
        pytest.param({"SkuId": "B", "Price": 0}, "4118", id="price-zero"),
        pytest.param({"SkuId": "B", "Price": "10.5"}, "4104", id="price-decimals"),
        pytest.param({"SkuId": "B", "Price": 10_000, "SalePrice": 10_000}, "4157", id="sale-not-below-price"),
        pytest.param({"SkuId": "B", "Quantity": -1}, "E001", id="negative-quantity"),
        pytest.param({"SkuId": "B"}, "E001", id="nothing-to-change"),
    ],
)
async def test_one_bad_entry_refuses_the_whole_call(
    api: LazadaApi, lazada: LazadaSandbox, entry: dict[str, object], code: str
) -> None:
    item_id, (a, b) = await listed(api)
    _, (other, _) = await listed(api, "MUOI")
    named = {"B": b, "OTHER-ITEM": other}
    entry = {"ItemId": item_id, **entry} | ({"SkuId": named[entry["SkuId"]]} if entry.get("SkuId") in named else {})
    refused = (await api.set_skus({"ItemId": item_id, "SkuId": a, "Price": 1000, "Quantity": 1}, entry)).json()
    assert refused["code"] == code
    assert (lazada.product(item_id).skus[a].price, lazada.product(item_id).skus[a].quantity) == (100_000, 10)


async def test_products_get_shows_withheld_and_occupied_per_sku(api: LazadaApi, lazada: LazadaSandbox) -> None:
    await listed(api)
    lazada.place_order(SELLER.seller_id, [("GAO-0", 1)], status="unpaid")
    lazada.place_order(SELLER.seller_id, [("GAO-0", 2), ("GAO-1", 1)], status="packed")
    [product] = (await api.products())["products"]
    shown = {s["SellerSku"]: s for s in product["skus"]}
    gao0 = shown["GAO-0"]
    assert (gao0["quantity"], gao0["Available"], gao0["withhold_quantity"], gao0["occupy_quantity"]) == (10, 7, 1, 2)
    assert (shown["GAO-1"]["Available"], shown["GAO-1"]["occupy_quantity"]) == (10, 1)
    assert {k: gao0[k] for k in ("package_weight", "package_length", "package_width", "package_height")} == {
        "package_weight": "0.5", "package_length": "20", "package_width": "15", "package_height": "10"}  # fmt: skip


async def test_sku_seller_list_matches_exactly(api: LazadaApi) -> None:
    rice, _ = await listed(api)
    salt, _ = await listed(api, "GAO-0-X")
    exact = await api.products(sku_seller_list=json.dumps(["GAO-0"]))
    both = await api.products(sku_seller_list=json.dumps(["GAO-1", "GAO-0-X-1"]))
    none = await api.products(sku_seller_list=json.dumps(["GAO"]))
    assert [p["item_id"] for p in exact["products"]] == [rice]
    assert [p["item_id"] for p in both["products"]] == [rice, salt]
    assert (none["total_products"], none["products"]) == (0, [])
    too_many = await api.refused("GET", "/products/get", {"sku_seller_list": json.dumps([str(k) for k in range(101)])})
    assert too_many["code"] == "4171"


async def test_products_are_paged_with_limit_and_offset(api: LazadaApi) -> None:
    made = [(await listed(api, f"P{k}", skus=1))[0] for k in range(5)]
    first = await api.products(limit=2)
    last = await api.products(limit=2, offset=4)
    default = await api.products()
    assert [p["item_id"] for p in first["products"]] == made[:2] and first["total_products"] == 5
    assert [p["item_id"] for p in last["products"]] == made[4:]
    assert len(default["products"]) == 5
    refused = await api.refused("GET", "/products/get", {"limit": 51})
    assert refused["code"] == "E001"


async def test_filters_and_update_after_choose_the_products(
    api: LazadaApi, lazada: LazadaSandbox, clock: ManualClock
) -> None:
    old, _ = await listed(api, "OLD", skus=1)
    clock.advance(3600)
    new, _ = await listed(api, "NEW", skus=1)
    lazada.hand_set_stock("OLD-0", 0)
    since = await api.products(update_after="2023-11-15T06:00:00+07:00")  # between the creates, in Vietnam
    sold_out = await api.products(filter="sold-out")
    bad_date = await api.refused("GET", "/products/get", {"update_after": "2023-11-15 06:00"})
    bad_filter = await api.refused("GET", "/products/get", {"filter": "everything"})
    assert [p["item_id"] for p in since["products"]] == [old, new], "a hand edit is an update too"
    assert [p["item_id"] for p in sold_out["products"]] == [old]
    assert (bad_date["code"], bad_filter["code"]) == ("E017", "E001")
    clock.advance(60)
    lazada.hand_set_price("NEW-0", 1000)  # at 06:14:20
    window = {"update_after": "2023-11-15T06:14:00+07:00"}
    before = await api.products(**window, update_before="2023-11-15T06:14:20+07:00")
    including = await api.products(**window, update_before="2023-11-15T06:14:21+07:00")
    assert (before["products"], [p["item_id"] for p in including["products"]]) == ([], [new])


async def test_one_item_is_read_by_its_id(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, _ = await listed(api)
    item = await api.ok("GET", "/product/item/get", {"item_id": item_id})
    unknown = await api.refused("GET", "/product/item/get", {"item_id": 42})
    assert (item["item_id"], item["status"], len(item["skus"])) == (item_id, "Active", 2)
    assert item["created_time"] == item["updated_time"] == str(int(lazada.clock() * 1000))
    assert unknown["code"] == "SkuNotFound"


async def test_hand_edits_in_seller_center_show_through_the_api(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, _ = await listed(api)
    lazada.place_order(SELLER.seller_id, [("GAO-1", 2)])
    lazada.hand_set_price("GAO-1", 99_000)
    lazada.hand_set_stock("GAO-1", 4)
    lazada.hand_set_name(item_id, "Gạo ST25 loại đặc biệt")
    [product] = (await api.products())["products"]
    gao1 = next(s for s in product["skus"] if s["SellerSku"] == "GAO-1")
    assert (gao1["price"], gao1["Available"], gao1["quantity"]) == (99_000, 4, 6)
    assert product["attributes"]["name"] == "Gạo ST25 loại đặc biệt"
    lazada.hand_deactivate(item_id)
    assert (await api.products(filter="live"))["products"] == []


async def test_the_category_tree_attributes_and_brands(api: LazadaApi) -> None:
    tree = await api.ok("GET", "/category/tree/get", {"language_code": "vi_VN"}, token=False)
    food = tree[0]
    assert (food["name"], food["leaf"]) == ("Thực phẩm", False)
    assert [c["name"] for c in food["children"] if c["leaf"]] == ["Gạo", "Trái cây", "Bánh kẹo", "Đặc sản"]
    fruit = await api.ok("GET", "/category/attributes/get", {"primary_category_id": "10000102"}, token=False)
    mandatory = {a["name"]: a["label"] for a in fruit if a["is_mandatory"]}
    assert mandatory == {"name": "Tên sản phẩm", "brand_id": "Thương hiệu", "country_origin": "Xuất xứ"}
    not_leaf = await api.refused("GET", "/category/attributes/get", {"primary_category_id": "10000001"}, token=False)
    brands = await api.ok("GET", "/category/brands/query", {"startRow": 0, "pageSize": 200}, token=False)
    assert not_leaf["code"] == "4227"
    assert brands["module"][0] == {"brand_id": 20000001, "name": "No Brand", "name_en": "No Brand",
                                   "global_identifier": "No Brand"}  # fmt: skip
