"""Lazada products on the simulator: images, create with per-SKU packages, duplicates, QC, validation codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from simulators.common.faults import ManualClock
from simulators.lazada.records import ACTIVE, PENDING_QC, REJECTED
from simulators.lazada.sandbox import LazadaSandbox

from .lazada_api import FRUIT, SELLER, LazadaApi, connected, jpeg, make_sandbox, payload, sku

pytestmark = pytest.mark.anyio
CREATE = "/product/create"


@pytest.fixture
def lazada(clock: ManualClock) -> LazadaSandbox:
    return make_sandbox(clock)


@pytest.fixture
async def api(lazada: LazadaSandbox, clock: ManualClock) -> AsyncIterator[LazadaApi]:
    async with connected(lazada, clock) as client:
        yield client


async def test_an_uploaded_image_is_hosted_by_lazada(api: LazadaApi, lazada: LazadaSandbox) -> None:
    data = (await api.upload()).json()["data"]["image"]
    assert data["url"].startswith("https://vn-live-01.slatic.net/p/") and data["hash_code"]
    image = lazada.images[data["url"]]
    assert (image.width, image.height, image.seller_id) == (400, 400, SELLER.seller_id)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param(b"GIF89a" + bytes(100), "InvalidImage", id="not-jpeg-or-png"),
        pytest.param(jpeg(100), "InvalidImage", id="under-330-px"),
        pytest.param(b"\xff\xd8\xff\xe0" + bytes(200), "InvalidImage", id="size-unreadable"),
        pytest.param(b"\xff\xd8\xff" + bytes(3_145_728), "ImageTooLarge", id="over-3-mb"),
    ],
)
async def test_an_image_lazada_would_not_take_is_refused(api: LazadaApi, data: bytes, code: str) -> None:
    response = await api.upload(data)
    assert response.json()["code"] == code


async def test_with_no_minimum_size_the_smallest_fake_jpeg_is_taken(clock: ManualClock) -> None:
    lazada = make_sandbox(clock, image_px=(0, 5000))
    async with connected(lazada, clock) as api:
        assert (await api.upload(b"\xff\xd8\xff\xe0" + bytes(200))).json()["code"] == "0"


async def test_a_create_keeps_every_sku_with_its_own_package(api: LazadaApi, lazada: LazadaSandbox) -> None:
    heavy = sku("GAO-5KG", 250_000, 7, package_weight=5.1, package_length="40", package_width=30, package_height="12.5")
    light = sku("GAO-1KG", "60000", "3")
    created = await api.create(light, heavy)
    assert [s["seller_sku"] for s in created["sku_list"]] == ["GAO-1KG", "GAO-5KG"]
    assert created["item_status"] == ACTIVE
    product = lazada.product(created["item_id"])
    by_sku = {s.seller_sku: s for s in product.skus.values()}
    assert (by_sku["GAO-1KG"].price, by_sku["GAO-1KG"].quantity, by_sku["GAO-1KG"].package_weight) == (60_000, 3, "0.5")
    packed = by_sku["GAO-5KG"]
    assert (packed.package_weight, packed.package_length, packed.package_width, packed.package_height) == (
        "5.1", "40", "30", "12.5")  # fmt: skip
    assert {s["sku_id"] for s in created["sku_list"]} == set(product.skus)
    assert [s["shop_sku"] for s in created["sku_list"]] == [s.shop_sku for s in product.skus.values()]


async def test_a_seller_sku_already_in_the_shop_is_refused_with_4126_naming_it(
    api: LazadaApi, lazada: LazadaSandbox, clock: ManualClock
) -> None:
    await api.create()
    refused = await api.refused("POST", CREATE, {"payload": payload(await api.product(sku("NEW-1"), sku("GAO-1")))})
    twice = await api.refused("POST", CREATE, {"payload": payload(await api.product(sku("X-1"), sku("X-1", 5)))})
    assert (refused["code"], refused["message"]) == ("4126", "SellerSku is duplicate")
    assert refused["detail"] == [{"field": "SellerSku", "message": "SellerSku is duplicate", "seller_sku": "GAO-1"}]
    assert twice["code"] == "4126"
    assert len(lazada.products) == 1
    async with connected(lazada, clock, lazada.config.sellers[1]) as other:
        await other.create()  # another seller's shop may use the same SellerSku


async def test_a_product_waits_for_qc_then_goes_live(clock: ManualClock) -> None:
    lazada = make_sandbox(clock, qc_delay_s=600)
    async with connected(lazada, clock) as api:
        created = await api.create()
        pending = await api.products(filter="pending")
        clock.advance(600)
        live = await api.products(filter="live")
    assert created["item_status"] == PENDING_QC
    assert [p["item_id"] for p in pending["products"]] == [created["item_id"]]
    assert [p["status"] for p in live["products"]] == [ACTIVE]


async def test_a_banned_word_in_the_name_is_rejected_with_a_reason(api: LazadaApi, lazada: LazadaSandbox) -> None:
    name = {"name": "Trà thảo mộc chữa bệnh gan", "brand_id": "20000001"}
    created = await api.create(Attributes=name)
    [rejected] = (await api.products(filter="rejected"))["products"]
    assert created["item_status"] == rejected["status"] == REJECTED
    assert "chữa bệnh" in rejected["reject_reason"]
    assert lazada.product(created["item_id"]).reject_reason == rejected["reject_reason"]
    assert (await api.products(filter="live"))["products"] == []


def _brand(brand: str = "20000001", **more: Any) -> dict[str, Any]:
    return {"Attributes": {"name": "Xoài cát Hòa Lộc", "brand_id": brand, **more}}


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        pytest.param({"Images": {"Image": []}}, "4139", None, id="4139-no-image"),
        pytest.param({"Images": {"Image": ["u"] * 9}}, "4169", None, id="4169-nine-images"),
        pytest.param({"Images": {"Image": ["https://example.com/a.jpg"]}}, "4138", "Images", id="4138-external"),
        pytest.param({"PrimaryCategory": None}, "4227", None, id="4227-no-category"),
        pytest.param({"PrimaryCategory": "10000001"}, "4227", None, id="4227-not-a-leaf"),
        pytest.param({"Skus": {"Sku": [sku("A", package_weight="40.01")]}}, "4164", "package_weight", id="4164"),
        pytest.param(
            {"Skus": {"Sku": [sku("A", package_length=150, package_width=100, package_height="50.01")]}},
            "4165",
            "package_length",
            id="4165",
        ),
        pytest.param({"Skus": {"Sku": [sku("A", price=0)]}}, "4118", "price", id="4118-price-zero"),
        pytest.param({"Skus": {"Sku": [sku("A", price="1000.5")]}}, "4104", "price", id="4104-decimals"),
        pytest.param({"Attributes": {"brand_id": "20000001"}}, "E030", "name", id="E030-name"),
        pytest.param({"Attributes": {"name": "Gạo"}}, "E030", "brand_id", id="E030-brand"),
        pytest.param({"PrimaryCategory": FRUIT, **_brand()}, "E030", "country_origin", id="E030-origin-on-fruit"),
        pytest.param(
            {"PrimaryCategory": FRUIT, **_brand(country_origin="Mặt trăng")},
            "E030",
            "country_origin",
            id="E030-origin-not-an-option",
        ),
        pytest.param(
            {"Skus": {"Sku": [{k: v for k, v in sku("A").items() if k != "package_height"}]}},
            "E030",
            "package_height",
            id="E030-package-height",
        ),
        pytest.param({"Skus": {"Sku": [sku(f"S{k}") for k in range(51)]}}, "4171", None, id="4171-51-skus"),
        pytest.param(_brand("99"), "4142", "brand_id", id="4142-unknown-brand"),
        pytest.param(
            {"Skus": {"Sku": [sku("A", saleProp={"v": "1"}), sku("B", saleProp={"v": "1"})]}},
            "4112",
            None,
            id="4112-same-sale-props",
        ),
        pytest.param({"Skus": {"Sku": [sku("A", quantity=-1)]}}, "E001", "quantity", id="bad-quantity"),
    ],
)
async def test_a_create_breaking_a_rule_is_refused_with_lazadas_code(
    api: LazadaApi, lazada: LazadaSandbox, change: dict[str, Any], code: str, field: str | None
) -> None:
    product = await api.product() | change
    refused = await api.refused("POST", CREATE, {"payload": payload(product)})
    assert refused["code"] == code, refused
    if field is not None:
        assert refused["detail"][0]["field"] == field
    assert lazada.products == {}


async def test_fruit_with_its_origin_and_a_single_sku_is_created(api: LazadaApi) -> None:
    created = await api.create(sku("XOAI-1"), PrimaryCategory=FRUIT, **_brand(country_origin="Việt Nam"))
    assert created["item_status"] == ACTIVE


@pytest.mark.parametrize(
    "raw",
    ["not json", '{"Request": []}', '{"Product": {}}', "[1, 2]"],
    ids=["not-json", "request-not-object", "no-request", "a-list"],
)
async def test_a_payload_that_is_not_the_documented_shape_is_refused(api: LazadaApi, raw: str) -> None:
    refused = await api.refused("POST", CREATE, {"payload": raw})
    assert refused["code"] == "E001"
    missing = await api.refused("POST", CREATE)
    assert missing["code"] == "MissingParameter"
