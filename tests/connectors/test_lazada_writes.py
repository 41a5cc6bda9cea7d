"""Lazada writes: creates with every SKU and its own package, bound instead of repeated, updates by SkuId,
variants removed, delisting and deleting what may already be gone."""

from __future__ import annotations

import httpx
import pytest
import respx

from core.catalog.records import OptionValue, ProductRecord, VariantRecord
from core.errors import OutcomeUnknown
from core.ports import ListingRef
from tests.connectors.conftest import JPEG, FakeClock, product
from tests.connectors.lazada_fixtures import (
    CREATE,
    DEACTIVATE,
    ITEM,
    NONE_FOUND,
    PRODUCTS,
    REMOVE,
    UPDATE,
    UPLOAD,
    make_connector,
    ok,
    payload_of,
    product_entry,
    products,
    refusal,
    sent,
)

pytestmark = pytest.mark.anyio
IMAGE = "https://img.test/tra-1.jpg"
HOSTED = ok({"image": {"url": "https://vn-live.slatic.test/p/1.jpg", "hash_code": "h1"}})
MADE = {"TRA-TC-200": "901", "TRA-TC-500": "902"}
CREATED = ok(
    {
        "item_id": 31,
        "sku_list": [{"seller_sku": s, "shop_sku": f"{i}-VN", "sku_id": int(i)} for s, i in MADE.items()],
        "item_status": "Pending QC",
    }
)


def _tea() -> ProductRecord:
    def variant(sku: str, grams: str, price: int, stock: int, **package: float) -> VariantRecord:
        option = OptionValue(name="Khối lượng", value=grams)
        return VariantRecord(sku=sku, options=(option,), price_vnd=price, stock=stock, **package)

    small = variant("TRA-TC-200", "200g", 120_000, 30, weight_g=250, length_cm=15, width_cm=8, height_cm=4.25)
    large = variant("TRA-TC-500", "500g", 280_000, 12, weight_g=1005, length_cm=20, width_cm=10.5, height_cm=5)
    # Each variant its own package (conftest's product gives every variant the same one).
    return product(images=(IMAGE,)).model_copy(update={"variants": (small, large)})


def _media(router: respx.MockRouter) -> respx.Route:
    router.get(IMAGE).mock(return_value=httpx.Response(200, content=JPEG))
    return router.post(UPLOAD).mock(return_value=HOSTED)


async def test_a_create_carries_every_sku_with_its_sale_properties_and_its_own_package(clock: FakeClock) -> None:
    with respx.mock() as router:
        upload = _media(router)
        lookup = router.get(PRODUCTS).mock(return_value=NONE_FOUND)
        create = router.post(CREATE).mock(return_value=CREATED)
        async with httpx.AsyncClient() as http:
            ref = await make_connector(http, clock).create_listing(_tea())
    assert (ref.item_id, ref.models, ref.found) == ("31", MADE, False)
    assert lookup.calls.last.request.url.params["sku_seller_list"] == '["TRA-TC-200","TRA-TC-500"]'
    assert upload.call_count == 1
    body = payload_of(create.calls.last.request)["Request"]["Product"]
    assert body["PrimaryCategory"] == "10000151"
    assert body["Images"] == {"Image": ["https://vn-live.slatic.test/p/1.jpg"]}
    assert body["Attributes"]["name"] == "Trà Tân Cương Thái Nguyên"
    assert body["Attributes"]["brand_id"] == "20000001"  # no brand map entry: "No Brand"
    assert body["Skus"]["Sku"] == [
        {"SellerSku": "TRA-TC-200", "package_weight": "0.25", "package_length": "15", "package_width": "8",
         "package_height": "4.25", "saleProp": {"variation": "200g"}, "price": "120000", "quantity": 30},
        {"SellerSku": "TRA-TC-500", "package_weight": "1.01", "package_length": "20", "package_width": "10.5",
         "package_height": "5", "saleProp": {"variation": "500g"}, "price": "280000", "quantity": 12},
    ]  # fmt: skip


async def test_a_product_already_on_lazada_is_bound_not_created_again(clock: FakeClock) -> None:
    with respx.mock() as router:
        router.get(PRODUCTS).mock(return_value=products(product_entry("31", MADE, status="Pending QC")))
        async with httpx.AsyncClient() as http:
            ref = await make_connector(http, clock).create_listing(_tea())
    assert (ref.item_id, ref.models, ref.found) == ("31", MADE, True)


async def test_a_4126_on_a_retried_create_binds_the_item_the_lost_one_made(clock: FakeClock) -> None:
    """The first create landed and its answer was lost; the look-up before the retry missed it (Lazada's
    search lags); the retried create is refused as a duplicate SellerSku: the item is found and bound."""
    duplicate = refusal(
        "4126",
        "SellerSku is duplicate",
        detail=[{"field": "SellerSku", "message": "SellerSku is duplicate", "seller_sku": "TRA-TC-200"}],
    )
    with respx.mock() as router:
        _media(router)
        lookup = router.get(PRODUCTS).mock(
            side_effect=[NONE_FOUND, NONE_FOUND, products(product_entry("31", MADE, status="Pending QC"))]
        )
        create = router.post(CREATE).mock(side_effect=[httpx.ReadTimeout("lost"), duplicate])
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock)
            with pytest.raises(OutcomeUnknown):
                await connector.create_listing(_tea())
            ref = await connector.create_listing(_tea())  # how the core resolves it
    assert create.call_count == 2
    assert lookup.call_count == 3
    assert (ref.item_id, ref.models, ref.found) == ("31", MADE, True)


async def test_a_lost_create_found_by_the_look_up_is_never_sent_again(clock: FakeClock) -> None:
    with respx.mock() as router:
        _media(router)
        router.get(PRODUCTS).mock(side_effect=[NONE_FOUND, products(product_entry("31", MADE))])
        create = router.post(CREATE).mock(side_effect=httpx.ReadTimeout("lost"))
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock)
            with pytest.raises(OutcomeUnknown):
                await connector.create_listing(_tea())
            ref = await connector.create_listing(_tea())
    assert create.call_count == 1
    assert ref.found and ref.item_id == "31"


async def test_an_update_names_every_held_sku_by_its_skuid_adds_new_ones_and_removes_old(clock: FakeClock) -> None:
    kilo = VariantRecord(sku="TRA-TC-1KG", options=(OptionValue(name="Khối lượng", value="1kg"),), price_vnd=500_000,
                         stock=4, weight_g=1100, length_cm=25, width_cm=12, height_cm=6)  # fmt: skip
    tea = _tea()
    small, large = tea.variants
    tea = tea.model_copy(update={"variants": (small, kilo, large.model_copy(update={"status": "archived"}))})
    held = ok(product_entry("31", {**MADE, "HAND-MADE": "909"}))
    after = {"TRA-TC-200": "901", "TRA-TC-1KG": "903", "HAND-MADE": "909"}
    answer = ok(
        {"item_id": 31, "sku_list": [{"seller_sku": s, "sku_id": int(i)} for s, i in {**MADE, **after}.items()]}
    )
    with respx.mock() as router:
        _media(router)
        router.get(ITEM).mock(return_value=held)
        update = router.post(UPDATE).mock(return_value=answer)
        remove = router.post(REMOVE).mock(return_value=ok())
        async with httpx.AsyncClient() as http:
            ref = await make_connector(http, clock).update_listing(ListingRef(item_id="31", models=MADE), tea)
    body = payload_of(update.calls.last.request)["Request"]["Product"]
    assert body["ItemId"] == "31"
    skus = body["Skus"]["Sku"]
    assert [(s.get("SkuId"), s["SellerSku"], s["Status"]) for s in skus] == [
        ("901", "TRA-TC-200", "active"),
        (None, "TRA-TC-1KG", "active"),
    ]
    assert "price" not in skus[0] and "quantity" not in skus[0]  # they go by price_quantity/update
    assert (skus[1]["price"], skus[1]["quantity"], skus[1]["package_weight"]) == ("500000", 4, "1.1")
    # the archived variant goes (ours); the SKU someone added by hand on Lazada stays
    assert sent(remove.calls.last.request)["sku_id_list"] == '["SkuId_31_902"]'
    assert ref.models == {"TRA-TC-200": "901", "TRA-TC-1KG": "903"}


async def test_an_update_that_adds_a_sku_and_loses_its_answer_is_not_resent(clock: FakeClock) -> None:
    kilo = VariantRecord(sku="TRA-TC-1KG", options=(OptionValue(name="Khối lượng", value="1kg"),), price_vnd=500_000,
                         weight_g=1100, length_cm=25, width_cm=12, height_cm=6)  # fmt: skip
    tea = _tea()
    tea = tea.model_copy(update={"variants": (*tea.variants, kilo)})
    with respx.mock() as router:
        _media(router)
        router.get(ITEM).mock(return_value=ok(product_entry("31", MADE)))
        update = router.post(UPDATE).mock(side_effect=httpx.ReadTimeout("lost"))
        async with httpx.AsyncClient() as http:
            with pytest.raises(OutcomeUnknown):
                await make_connector(http, clock).update_listing(ListingRef(item_id="31", models=MADE), tea)
    assert update.call_count == 1


async def test_delisting_deactivates_the_item_and_its_skus_and_what_is_gone_is_done(clock: FakeClock) -> None:
    gone = refusal("SkuNotFound", "Item 32 not found")
    with respx.mock() as router:
        route = router.post(DEACTIVATE).mock(side_effect=[ok(), gone, refusal("4193", "SellerSku is not supported")])
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).delist(
                [ListingRef(item_id="31", models=MADE), ListingRef(item_id="32"), ListingRef(item_id="33")]
            )
    bodies = [sent(call.request)["apiRequestBody"] for call in route.calls]
    assert bodies[0] == (
        "<Request><Product><ItemId>31</ItemId><Skus><SkuId>901</SkuId><SkuId>902</SkuId></Skus></Product></Request>"
    )
    assert bodies[1] == "<Request><Product><ItemId>32</ItemId></Product></Request>"
    assert [(i.item_id, i.ok) for i in result.items] == [("31", True), ("32", True), ("33", False)]


async def test_a_stale_skuid_deactivates_the_whole_item(clock: FakeClock) -> None:
    with respx.mock() as router:
        route = router.post(DEACTIVATE).mock(side_effect=[refusal("SkuNotFound", "SkuId 902 not found"), ok()])
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).delist([ListingRef(item_id="31", models=MADE)])
    assert result.ok
    assert (
        sent(route.calls.last.request)["apiRequestBody"] == "<Request><Product><ItemId>31</ItemId></Product></Request>"
    )


async def test_deleting_removes_every_sku_of_the_item_and_deleting_twice_is_done(clock: FakeClock) -> None:
    deleted = product_entry("31", MADE, status="Deleted")
    with respx.mock() as router:
        router.get(ITEM).mock(side_effect=[ok(product_entry("31", {**MADE, "HAND": "909"})), ok(deleted)])
        remove = router.post(REMOVE).mock(return_value=ok())
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock)
            once = await connector.delist([ListingRef(item_id="31", models=MADE)], delete=True)
            twice = await connector.delist([ListingRef(item_id="31", models=MADE)], delete=True)
    assert once.ok and twice.ok
    assert remove.call_count == 1
    assert sent(remove.calls.last.request)["sku_id_list"] == '["SkuId_31_901","SkuId_31_902","SkuId_31_909"]'
