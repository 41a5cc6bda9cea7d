"""Lazada product updates, deactivation and removal on the simulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from simulators.common.faults import ManualClock
from simulators.lazada.records import ACTIVE, DELETED, INACTIVE, PENDING_QC
from simulators.lazada.sandbox import LazadaSandbox

from .lazada_api import SELLER, LazadaApi, connected, make_sandbox, payload, sku

pytestmark = pytest.mark.anyio
UPDATE = "/product/update"


@pytest.fixture
def lazada(clock: ManualClock) -> LazadaSandbox:
    return make_sandbox(clock)


@pytest.fixture
async def api(lazada: LazadaSandbox, clock: ManualClock) -> AsyncIterator[LazadaApi]:
    async with connected(lazada, clock) as client:
        yield client


async def listed(api: LazadaApi) -> tuple[int, list[int]]:
    created = await api.create()
    return created["item_id"], [s["sku_id"] for s in created["sku_list"]]


async def update(api: LazadaApi, item_id: int, *skus: dict[str, Any], **product: Any) -> Any:
    return await api.post(UPDATE, {"payload": payload({"ItemId": item_id, "Skus": {"Sku": list(skus)}} | product)})


def deactivation(item_id: int, *sku_ids: int, tag: str = "SkuId") -> dict[str, str]:
    skus = "".join(f"<{tag}>{s}</{tag}>" for s in sku_ids)
    body = f"<Request><Product><ItemId>{item_id}</ItemId>{f'<Skus>{skus}</Skus>' if skus else ''}</Product></Request>"
    return {"apiRequestBody": body}


async def test_an_update_changes_the_skus_it_names_and_leaves_the_others(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, (a, b) = await listed(api)
    answer = (await update(api, item_id, {"SkuId": a, "price": 70_000, "package_weight": "1.25"})).json()
    assert answer["code"] == "0"
    assert [s["sku_id"] for s in answer["data"]["sku_list"]] == [a, b]
    skus = lazada.product(item_id).skus
    assert (skus[a].price, skus[a].package_weight, skus[a].package_length) == (70_000, "1.25", "20")
    assert (skus[b].price, skus[b].package_weight) == (100_001, "0.5")


async def test_every_listed_sku_needs_its_sku_id(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, (a, _) = await listed(api)
    known_without_id = (await update(api, item_id, {"SellerSku": "GAO-0", "price": 1000})).json()
    neither = (await update(api, item_id, {"price": 1000})).json()
    assert known_without_id["code"] == neither["code"] == "4216"
    assert known_without_id["detail"][0]["seller_sku"] == "GAO-0"
    assert lazada.product(item_id).skus[a].price == 100_000


async def test_a_sku_with_a_new_seller_sku_and_no_id_is_added(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, (a, b) = await listed(api)
    answer = (await update(api, item_id, sku("GAO-2", 120_000, 4, package_weight="2"))).json()
    [added] = [s for s in answer["data"]["sku_list"] if s["seller_sku"] == "GAO-2"]
    assert [s["sku_id"] for s in answer["data"]["sku_list"]] == [a, b, added["sku_id"]]
    new = lazada.product(item_id).skus[added["sku_id"]]
    assert (new.price, new.quantity, new.package_weight) == (120_000, 4, "2")
    taken = (await update(api, item_id, sku("GAO-2", 5000))).json()
    assert taken["code"] == "4216", "a SellerSku the item has is an update: it needs its SkuId"


async def test_an_added_sku_needs_everything_and_a_seller_sku_unused_in_the_shop(
    api: LazadaApi, lazada: LazadaSandbox
) -> None:
    item_id, _ = await listed(api)
    other = await api.create(sku("MUOI-1"), sku("MUOI-2"))
    incomplete = (await update(api, item_id, {"SellerSku": "GAO-9", "price": 5000})).json()
    elsewhere = (await update(api, item_id, sku("MUOI-1"))).json()
    assert (incomplete["code"], incomplete["detail"][0]["field"]) == ("E030", "package_weight")
    assert elsewhere["code"] == "4126"
    assert len(lazada.product(item_id).skus) == 2 and len(lazada.product(other["item_id"]).skus) == 2


async def test_an_unknown_sku_id_or_item_is_not_found_and_nothing_changes(
    api: LazadaApi, lazada: LazadaSandbox
) -> None:
    item_id, (a, _) = await listed(api)
    unknown_sku = (await update(api, item_id, {"SkuId": a, "price": 1}, {"SkuId": 42, "price": 1})).json()
    unknown_item = (await update(api, 42, {"SkuId": a, "price": 1})).json()
    no_item = (await api.post(UPDATE, {"payload": payload({"Skus": {"Sku": [{"SkuId": a}]}})})).json()
    assert unknown_sku["code"] == unknown_item["code"] == "SkuNotFound"
    assert no_item["code"] == "E001"
    assert lazada.product(item_id).skus[a].price == 100_000


async def test_sku_status_inactive_and_deleted_are_honoured(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, (a, b) = await listed(api)
    await update(api, item_id, {"SkuId": a, "Status": "inactive"})
    assert lazada.product(item_id).status == ACTIVE, "one SKU still on sale"
    await update(api, item_id, {"SkuId": b, "Status": "deleted"})
    product = lazada.product(item_id)
    assert (product.status, product.skus[a].status, product.skus[b].status) == (INACTIVE, "inactive", "deleted")
    await update(api, item_id, {"SkuId": a, "Status": "active"})
    [shown] = (await api.products(filter="live"))["products"]
    assert [(s["SkuId"], s["Status"]) for s in shown["skus"]] == [(a, "active")]


async def test_a_changed_name_goes_back_to_qc(clock: ManualClock) -> None:
    lazada = make_sandbox(clock, qc_delay_s=60)
    async with connected(lazada, clock) as api:
        item_id, (a, _) = await listed(api)
        clock.advance(60)
        await update(api, item_id, {"SkuId": a, "price": 90_000})
        assert lazada.product(item_id).status == ACTIVE, "a price is not content"
        await update(api, item_id, Attributes={"name": "Gạo ST25 mới"})
        assert lazada.product(item_id).status == PENDING_QC
        clock.advance(60)
        assert lazada.product(item_id).status == ACTIVE
    assert lazada.product(item_id).attributes["brand_id"] == "20000001", "attributes not sent are kept"


async def test_deactivating_an_item_takes_it_off_sale_and_twice_is_done(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, (a, b) = await listed(api)
    await api.ok("POST", "/product/deactivate", deactivation(item_id))
    await api.ok("POST", "/product/deactivate", deactivation(item_id))
    product = lazada.product(item_id)
    assert (product.status, product.skus[a].status, product.skus[b].status) == (INACTIVE, "inactive", "inactive")
    assert [p["item_id"] for p in (await api.products(filter="inactive"))["products"]] == [item_id]


async def test_deactivating_some_skus_leaves_the_item_on_sale(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, (a, b) = await listed(api)
    await api.ok("POST", "/product/deactivate", deactivation(item_id, a))
    assert (lazada.product(item_id).status, lazada.product(item_id).skus[b].status) == (ACTIVE, "active")
    by_seller_sku = await api.refused("POST", "/product/deactivate", deactivation(item_id, 1, tag="SellerSku"))
    unknown = await api.refused("POST", "/product/deactivate", deactivation(item_id, 42))
    not_xml = await api.refused("POST", "/product/deactivate", {"apiRequestBody": "<Request><Product>"})
    assert (by_seller_sku["code"], unknown["code"], not_xml["code"]) == ("4193", "SkuNotFound", "E001")


async def test_removing_every_sku_deletes_the_item(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, (a, b) = await listed(api)
    await api.ok("POST", "/product/remove", {"sku_id_list": json.dumps([f"SkuId_{item_id}_{a}"])})
    assert (lazada.product(item_id).status, lazada.product(item_id).skus[a].status) == (ACTIVE, "deleted")
    again = await api.refused("POST", "/product/remove", {"sku_id_list": json.dumps([f"SkuId_{item_id}_{a}"])})
    assert again["code"] == "SkuNotFound"
    await api.ok("POST", "/product/remove", {"sku_id_list": json.dumps([f"SkuId_{item_id}_{b}"])})
    assert lazada.product(item_id).status == DELETED
    assert (await api.products())["products"] == []
    [gone] = (await api.products(filter="deleted"))["products"]
    assert [s["Status"] for s in gone["skus"]] == ["deleted", "deleted"]
    assert lazada.products_by_seller_sku("GAO-0", seller_id=SELLER.seller_id) == []


async def test_a_remove_is_all_or_nothing_and_at_most_50(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, (a, _) = await listed(api)

    def remove(*ids: object) -> dict[str, str]:
        return {"sku_id_list": json.dumps(list(ids))}

    mixed = await api.refused("POST", "/product/remove", remove(f"SkuId_{item_id}_{a}", f"SkuId_{item_id}_42"))
    malformed = await api.refused("POST", "/product/remove", remove(str(a)))
    many = await api.refused("POST", "/product/remove", remove(*(f"SkuId_1_{k}" for k in range(51))))
    assert (mixed["code"], malformed["code"], many["code"]) == ("SkuNotFound", "E001", "4171")
    assert lazada.product(item_id).skus[a].status == "active"


async def test_an_update_may_not_give_two_skus_the_same_sale_properties(api: LazadaApi, lazada: LazadaSandbox) -> None:
    item_id, (a, b) = await listed(api)
    same_as_b = (await update(api, item_id, {"SkuId": a, "saleProp": {"variation": "GAO-1"}})).json()
    swapped = (await update(api, item_id, {"SkuId": a, "saleProp": {"variation": "GAO-1"}},
                            {"SkuId": b, "saleProp": {"variation": "GAO-0"}})).json()  # fmt: skip
    added_twin = (await update(api, item_id, sku("GAO-2", saleProp={"variation": "GAO-1"}))).json()
    assert (same_as_b["code"], added_twin["code"]) == ("4112", "4112")
    assert swapped["code"] == "0"
    assert lazada.product(item_id).skus[a].sale_prop == {"variation": "GAO-1"}
