"""TikTok writes: full edits keep every live SKU id, per-SKU stock refusals, the sold-out policy, audit
rejections with TikTok's reasons, delisting what is gone."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from core.errors import PermanentError
from core.ports import ListingRef, PriceUpdate, StockUpdate
from tests.connectors.conftest import JPEG, FakeClock, product
from tests.connectors.tiktok_fixtures import (
    BASE,
    PRODUCTS,
    SEARCH,
    WAREHOUSE,
    make_config,
    make_connector,
    ok,
    refusal,
    search_product,
)

pytestmark = pytest.mark.anyio
REF = ListingRef(item_id="P1", models={"TRA-TC-200": "S1", "TRA-TC-500": "S2"})


def _detail(status: str = "ACTIVATE", skus: dict[str, str] | None = None, **extra: object) -> httpx.Response:
    return ok(search_product("P1", skus or REF.models, status=status, **extra))


async def test_a_full_edit_carries_every_live_sku_id_and_new_variants_without(clock: FakeClock) -> None:
    from core.catalog.records import OptionValue, VariantRecord

    tea = product(images=("https://img.test/tra-1.jpg",))
    kilo = VariantRecord(sku="TRA-TC-1KG", options=(OptionValue(name="Khối lượng", value="1kg"),), price_vnd=500_000)
    tea = tea.model_copy(update={"variants": (*tea.variants, kilo)})
    answer = {
        "product_id": "P1",
        "skus": [
            {"id": "S1", "seller_sku": "TRA-TC-200"},
            {"id": "S2", "seller_sku": "TRA-TC-500"},
            {"id": "S3", "seller_sku": "TRA-TC-1KG"},
        ],
    }
    with respx.mock() as router:
        router.get("https://img.test/tra-1.jpg").mock(return_value=httpx.Response(200, content=JPEG))
        router.post(f"{BASE}/product/202309/images/upload").mock(return_value=ok({"uri": "tos-1"}))
        router.get(f"{BASE}{PRODUCTS}/P1").mock(return_value=_detail())
        edit = router.put(f"{BASE}{PRODUCTS}/P1").mock(return_value=ok(answer))
        async with httpx.AsyncClient() as http:
            ref = await make_connector(http, clock).update_listing(ListingRef(item_id="P1"), tea)
    skus = json.loads(edit.calls.last.request.content)["skus"]
    assert [(s.get("id"), s["seller_sku"]) for s in skus] == [
        ("S1", "TRA-TC-200"),
        ("S2", "TRA-TC-500"),
        (None, "TRA-TC-1KG"),
    ]
    assert skus[2]["inventory"] == [{"warehouse_id": WAREHOUSE, "quantity": 0}]
    assert ref.models == {"TRA-TC-200": "S1", "TRA-TC-500": "S2", "TRA-TC-1KG": "S3"}


async def test_stock_refused_for_one_sku_fails_that_variant_only(clock: FakeClock) -> None:
    errors = {
        "errors": [
            {
                "code": 12052146,
                "message": "quantity must exceed locked quantity",
                "detail": {"sku_id": "S2", "extra_errors": []},
            }
        ]
    }
    with respx.mock(base_url=BASE) as router:
        route = router.post(f"{PRODUCTS}/P1/inventory/update").mock(return_value=ok(errors))
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).update_stock(
                [
                    StockUpdate(ref=REF, variant_sku="TRA-TC-200", stock=5),
                    StockUpdate(ref=REF, variant_sku="TRA-TC-500", stock=1),
                ]
            )
    assert json.loads(route.calls.last.request.content) == {
        "skus": [
            {"id": "S1", "inventory": [{"warehouse_id": WAREHOUSE, "quantity": 5}]},
            {"id": "S2", "inventory": [{"warehouse_id": WAREHOUSE, "quantity": 1}]},
        ]
    }
    assert [(i.variant_sku, i.ok) for i in result.items] == [("TRA-TC-200", True), ("TRA-TC-500", False)]
    assert "locked quantity" in str(result.failed[0].error)


async def test_stock_zero_is_sent_as_zero_by_default(clock: FakeClock) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(f"{PRODUCTS}/P1/inventory/update").mock(return_value=ok({"errors": []}))
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).update_stock(
                [StockUpdate(ref=REF, variant_sku="TRA-TC-200", stock=0)]
            )
    assert result.ok
    assert json.loads(route.calls.last.request.content)["skus"][0]["inventory"][0]["quantity"] == 0


async def test_a_sold_out_product_is_deactivated_then_activated_when_stock_returns(clock: FakeClock) -> None:
    config = make_config(listing={"zero_stock": "deactivate"})
    held = {
        "inventory": [
            {
                "product_id": "P1",
                "skus": [{"id": "S1", "total_available_quantity": 4}, {"id": "S2", "total_available_quantity": 0}],
            }
        ]
    }
    with respx.mock(base_url=BASE) as router:
        router.post("/product/202309/inventory/search").mock(return_value=ok(held))
        deactivate = router.post(f"{PRODUCTS}/deactivate").mock(return_value=ok({"errors": []}))
        activate = router.post(f"{PRODUCTS}/activate").mock(return_value=ok({"errors": []}))
        update = router.post(f"{PRODUCTS}/P1/inventory/update").mock(return_value=ok({"errors": []}))
        router.post(SEARCH).mock(
            return_value=ok({"products": [search_product("P1", REF.models, "SELLER_DEACTIVATED")]})
        )
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock, config=config)
            gone = await connector.update_stock([StockUpdate(ref=REF, variant_sku="TRA-TC-200", stock=0)])
            assert (gone.ok, deactivate.call_count, update.call_count) == (True, 1, 0)
            assert json.loads(deactivate.calls.last.request.content) == {"product_ids": ["P1"]}
            back = await connector.update_stock([StockUpdate(ref=REF, variant_sku="TRA-TC-200", stock=6)])
    assert back.ok
    assert (update.call_count, activate.call_count) == (1, 1)


async def test_a_sku_at_zero_beside_stock_is_sent_even_when_deactivating(clock: FakeClock) -> None:
    config = make_config(listing={"zero_stock": "deactivate"})
    held = {
        "inventory": [
            {
                "product_id": "P1",
                "skus": [{"id": "S1", "total_available_quantity": 4}, {"id": "S2", "total_available_quantity": 9}],
            }
        ]
    }
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post("/product/202309/inventory/search").mock(return_value=ok(held))
        deactivate = router.post(f"{PRODUCTS}/deactivate").mock(return_value=ok({"errors": []}))
        update = router.post(f"{PRODUCTS}/P1/inventory/update").mock(return_value=ok({"errors": []}))
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock, config=config).update_stock(
                [StockUpdate(ref=REF, variant_sku="TRA-TC-200", stock=0)]
            )
    assert (result.ok, deactivate.call_count, update.call_count) == (True, 0, 1)


async def test_a_rejected_audit_is_surfaced_with_tiktoks_reason(clock: FakeClock) -> None:
    reasons = [{"position": "title", "reasons": ["medical claim: chữa bệnh"], "suggestions": ["remove the claim"]}]
    with respx.mock(base_url=BASE) as router:
        router.post(f"{PRODUCTS}/P1/prices/update").mock(return_value=refusal(12052003, "status does not allow"))
        router.get(f"{PRODUCTS}/P1").mock(return_value=_detail("FAILED", audit_failed_reasons=reasons))
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).update_prices(
                [PriceUpdate(ref=REF, variant_sku="TRA-TC-200", price_vnd=99_000)]
            )
    error = result.failed[0].error
    assert isinstance(error, PermanentError) and error.code == "audit_failed"
    assert "title: medical claim: chữa bệnh (suggestion: remove the claim)" in str(error)


async def test_prices_go_per_product_as_integer_strings(clock: FakeClock) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(f"{PRODUCTS}/P1/prices/update").mock(return_value=ok())
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).update_prices(
                [PriceUpdate(ref=REF, variant_sku="TRA-TC-500", price_vnd=285_000)]
            )
    assert result.ok
    assert json.loads(route.calls.last.request.content) == {
        "skus": [{"id": "S2", "price": {"amount": "285000", "currency": "VND"}}]
    }


async def test_delisting_what_is_gone_is_done(clock: FakeClock) -> None:
    answer = {
        "errors": [
            {"code": 12052404, "message": "product not found", "detail": {"product_id": "P2"}},
            {"code": 12052999, "message": "locked", "detail": {"product_id": "P3"}},
        ]
    }
    with respx.mock(base_url=BASE) as router:
        route = router.post(f"{PRODUCTS}/deactivate").mock(return_value=ok(answer))
        delete = router.delete(PRODUCTS).mock(return_value=refusal(12052404, "product not found"))
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock)
            result = await connector.delist([ListingRef(item_id=p) for p in ("P1", "P2", "P3")])
            deleted = await connector.delist([ListingRef(item_id="P4")], delete=True)
    assert json.loads(route.calls.last.request.content) == {"product_ids": ["P1", "P2", "P3"]}
    assert [(i.item_id, i.ok) for i in result.items] == [("P1", True), ("P2", True), ("P3", False)]
    assert deleted.ok and delete.call_count == 1
