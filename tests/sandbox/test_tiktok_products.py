"""TikTok Shop products on the sandbox: create (once per idempotency key), full edit, audit, and the rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from simulators.common.faults import ManualClock
from simulators.tiktok.sandbox import TikTokSandbox

from .tiktok_api import CREATE, SHOP, TikTokApi, connected, make_sandbox, sku

pytestmark = pytest.mark.anyio


@pytest.fixture
def tiktok(clock: ManualClock) -> TikTokSandbox:
    return make_sandbox(clock)


@pytest.fixture
async def api(tiktok: TikTokSandbox, clock: ManualClock) -> AsyncIterator[TikTokApi]:
    async with connected(tiktok, clock) as client:
        yield client


async def test_a_repeated_idempotency_key_answers_the_first_create_and_makes_nothing(
    api: TikTokApi, tiktok: TikTokSandbox
) -> None:
    body = await api.product_body(idempotency_key="create-GAO-1")
    first = await api.ok("POST", CREATE, body)
    second = await api.ok("POST", CREATE, body | {"title": body["title"] + " (lần hai)"})
    assert second == first
    assert list(tiktok.products) == [first["product_id"]]
    other = await api.ok("POST", CREATE, body | {"idempotency_key": "create-GAO-2"})
    assert other["product_id"] != first["product_id"]


async def test_a_full_edit_keeps_named_skus_adds_new_ones_and_deletes_the_rest(
    api: TikTokApi, tiktok: TikTokSandbox
) -> None:
    created = await api.create(skus=3)
    product_id = created["product_id"]
    kept, dropped = created["skus"][0]["id"], {s["id"] for s in created["skus"][1:]}
    body = await api.product_body()
    body["skus"] = [sku("GAO-0", 120_000, 4, value="1kg") | {"id": kept}, sku("GAO-NEW", 90_000, 2, value="10kg")]
    edited = await api.ok("PUT", f"{CREATE}/{product_id}", body)
    assert edited["product_id"] == product_id
    assert [s["seller_sku"] for s in edited["skus"]] == ["GAO-0", "GAO-NEW"]
    assert edited["skus"][0]["id"] == kept
    assert not dropped & set(tiktok.product(product_id).skus)
    assert tiktok.product(product_id).skus[kept].price == 120_000


async def test_editing_a_deleted_product_answers_not_found(api: TikTokApi) -> None:
    product_id = (await api.create())["product_id"]
    await api.ok("DELETE", CREATE, {"product_ids": [product_id]})
    response = await api.call("PUT", f"{CREATE}/{product_id}", await api.product_body())
    assert (response.status_code, response.json()["code"]) == (200, 12052404)


async def test_a_product_waits_for_audit_then_goes_live(clock: ManualClock) -> None:
    tiktok = make_sandbox(clock, audit_delay_s=120)
    async with connected(tiktok, clock) as api:
        product_id = (await api.create())["product_id"]
        path = f"{CREATE}/{product_id}"
        assert (await api.ok("GET", path))["status"] == "PENDING"
        clock.advance(119)
        assert (await api.ok("GET", path))["status"] == "PENDING"
        clock.advance(1)
        assert (await api.ok("GET", path))["status"] == "ACTIVATE"


async def test_a_banned_word_fails_the_audit_with_reasons_on_the_title(api: TikTokApi) -> None:
    created = await api.create(title="Trà thảo mộc chữa bệnh tiểu đường, gói 100g")
    product = await api.ok("GET", f"{CREATE}/{created['product_id']}")
    assert product["status"] == "FAILED"
    [reason] = product["audit_failed_reasons"]
    assert reason["position"] == "title"
    assert any("chữa bệnh" in text for text in reason["reasons"]) and reason["suggestions"]


async def test_a_retitle_in_seller_center_goes_back_to_audit(clock: ManualClock) -> None:
    tiktok = make_sandbox(clock, audit_delay_s=60)
    product = tiktok.create_product(SHOP.shop_id, "Mật ong hoa nhãn Hưng Yên chai 500ml", [("MAT-ONG", 150_000, 5)])
    clock.advance(60)
    assert tiktok.product(product.product_id).status == "ACTIVATE"
    tiktok.hand_set_title(product.product_id, "Mật ong hoa nhãn Hưng Yên chai 1 lít")
    assert tiktok.product(product.product_id).status == "PENDING"


def _without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != name}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        pytest.param(lambda b: b | {"title": "Gạo ngon"}, 12019003, id="title-too-short"),
        pytest.param(lambda b: b | {"category_id": "600001"}, 12019001, id="category-not-a-leaf"),
        pytest.param(lambda b: b | {"category_id": "999"}, 12019001, id="category-unknown"),
        pytest.param(lambda b: b | {"category_id": "600104"}, 12019002, id="required-attribute-missing"),
        pytest.param(lambda b: b | {"main_images": [{"uri": "tos/never-uploaded"}]}, 12019006, id="image-unknown"),
        pytest.param(lambda b: b | {"main_images": []}, 12019006, id="no-image"),
        pytest.param(lambda b: b | {"description": "x" * 10_001}, 12019007, id="description-too-long"),
        pytest.param(lambda b: _without(b, "package_weight"), 12019008, id="no-weight"),
        pytest.param(
            lambda b: b | {"package_dimensions": {"length": "4.5", "width": "3", "height": "1", "unit": "CENTIMETER"}},
            12019008,
            id="dimension-not-integer",
        ),
        pytest.param(lambda b: b | {"skus": [sku("GAO 1", 1000, 1, single=True)]}, 12019004, id="sku-with-space"),
        pytest.param(lambda b: b | {"skus": [sku("G", 180_000_001, 1, single=True)]}, 12019005, id="price-too-high"),
        pytest.param(lambda b: b | {"skus": [sku("G", 0, 1, single=True)]}, 12019005, id="price-zero"),
    ],
)
async def test_a_create_that_breaks_a_rule_is_refused_with_its_code(
    api: TikTokApi, tiktok: TikTokSandbox, change: Any, code: int
) -> None:
    response = await api.call("POST", CREATE, change(await api.product_body()))
    assert (response.status_code, response.json()["code"]) == (200, code)
    assert tiktok.products == {}


async def test_a_required_attribute_given_lets_the_create_through(api: TikTokApi) -> None:
    attributes = [{"id": "100198", "values": [{"id": "1001"}]}]
    created = await api.create(category_id="600104", product_attributes=attributes)
    product = await api.ok("GET", f"{CREATE}/{created['product_id']}")
    assert product["product_attributes"] == attributes
    assert [c["id"] for c in product["category_chains"]] == ["600001", "600104"]


async def test_categories_and_attributes_describe_the_tree(api: TikTokApi) -> None:
    categories = (await api.ok("GET", "/product/202309/categories", query={"locale": "vi-VN"}))["categories"]
    leaves = {c["local_name"] for c in categories if c["is_leaf"]}
    assert {"Gạo", "Trái cây", "Bánh kẹo", "Đặc sản"} <= leaves and "Thực phẩm" not in leaves
    attributes = (await api.ok("GET", "/product/202309/categories/600104/attributes"))["attributes"]
    assert {a["name"] for a in attributes if a["is_requried"]} == {"Xuất xứ"}
