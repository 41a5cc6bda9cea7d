"""Prices and stock on Lazada: batches across products, halved when Lazada times out on their size, a refusal
failing only the SKUs it names, and stock never sent under what open orders hold (raised, and said)."""

from __future__ import annotations

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from connectors.kit.retry import RetrySettings
from core.errors import ConfigError
from core.ports import ListingRef, PriceUpdate, StockUpdate
from tests.connectors.conftest import FakeClock
from tests.connectors.lazada_fixtures import (
    PRICE_QUANTITY,
    PRODUCTS,
    make_config,
    make_connector,
    ok,
    payload_of,
    product_entry,
    products,
    refusal,
    sku_entry,
)

pytestmark = pytest.mark.anyio
REFS = [ListingRef(item_id=f"3{p}", models={f"P{p}-A": f"9{p}1", f"P{p}-B": f"9{p}2"}) for p in range(3)]
TIMEOUT = refusal("ServiceTimeout", "The request has failed due to timeout: send fewer SKUs")


def _prices(price: int = 50_000) -> list[PriceUpdate]:
    return [PriceUpdate(ref=ref, variant_sku=sku, price_vnd=price) for ref in REFS for sku in ref.models]


def _skus(request: httpx.Request) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = payload_of(request)["Request"]["Product"]["Skus"]["Sku"]
    return entries


async def test_prices_go_in_batches_that_span_products(clock: FakeClock) -> None:
    config = make_config(limits={"price_quantity_batch": 4})
    with respx.mock() as router:
        route = router.post(PRICE_QUANTITY).mock(return_value=ok())
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock, config=config).update_prices(_prices())
    assert result.ok and len(result.items) == 6
    assert [len(_skus(call.request)) for call in route.calls] == [4, 2]
    assert _skus(route.calls[0].request)[2] == {"ItemId": "31", "SkuId": "911", "SellerSku": "P1-A", "Price": "50000"}


def test_a_batch_above_lazadas_fifty_is_refused_by_the_config() -> None:
    with pytest.raises(ConfigError, match="price_quantity_batch"):
        make_config(limits={"price_quantity_batch": 60})


async def test_a_service_timeout_halves_the_batch(clock: FakeClock) -> None:
    config = make_config(limits={"price_quantity_batch": 6})
    with respx.mock() as router:
        route = router.post(PRICE_QUANTITY).mock(side_effect=[TIMEOUT, ok(), TIMEOUT, ok(), ok()])
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock, config=config).update_prices(_prices())
    assert result.ok, result.failed
    assert [len(_skus(call.request)) for call in route.calls] == [6, 3, 3, 1, 2]


async def test_a_service_timeout_on_one_sku_is_retried_as_a_timeout(clock: FakeClock) -> None:
    with respx.mock() as router:
        route = router.post(PRICE_QUANTITY).mock(side_effect=[TIMEOUT, ok()])
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).update_prices(_prices()[:1])
    assert result.ok and route.call_count == 2


async def test_a_refusal_naming_one_sku_fails_it_alone_and_the_others_are_sent_again(clock: FakeClock) -> None:
    unknown = refusal(
        "SkuNotFound", "SkuId 921 not found", detail=[{"field": "SkuId", "message": "not found", "seller_sku": "P2-A"}]
    )
    with respx.mock() as router:
        route = router.post(PRICE_QUANTITY).mock(side_effect=[unknown, ok()])
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).update_prices(_prices())
    assert [item.variant_sku for item in result.failed] == ["P2-A"]
    assert "SkuId 921 not found" in str(result.failed[0].error)
    assert [len(_skus(call.request)) for call in route.calls] == [6, 5]


async def test_a_variant_the_listing_does_not_know_fails_alone_without_a_call(clock: FakeClock) -> None:
    with respx.mock() as router:
        route = router.post(PRICE_QUANTITY).mock(return_value=ok())
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).update_prices(
                [*_prices()[:1], PriceUpdate(ref=REFS[0], variant_sku="P0-Z", price_vnd=1_000)]
            )
    assert [item.variant_sku for item in result.failed] == ["P0-Z"]
    assert len(_skus(route.calls.last.request)) == 1


async def test_stock_is_sent_as_our_sellable_figure_plus_what_open_orders_hold(clock: FakeClock) -> None:
    held = product_entry("30", {})
    held["skus"] = [
        sku_entry("P0-A", "901", quantity=9, withhold_quantity=2, occupy_quantity=3),
        sku_entry("P0-B", "902", quantity=9),
    ]
    with capture_logs() as events, respx.mock() as router:
        holds = router.get(PRODUCTS).mock(return_value=products(held))
        route = router.post(PRICE_QUANTITY).mock(return_value=ok())
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).update_stock(
                [
                    StockUpdate(ref=REFS[0], variant_sku="P0-A", stock=1),
                    StockUpdate(ref=REFS[0], variant_sku="P0-B", stock=0),
                ]
            )
    assert result.ok
    assert holds.calls.last.request.url.params["sku_seller_list"] == '["P0-A","P0-B"]'
    # Lazada shows total − held as sellable: 1 more buyer for P0-A (its open orders keep their 5), none for P0-B.
    assert [(e["SellerSku"], e["Quantity"]) for e in _skus(route.calls.last.request)] == [("P0-A", 6), ("P0-B", 0)]
    said = [e for e in events if e["event"] == "lazada.stock_with_holds"]
    assert [(e["sku"], e["sellable"], e["held"], e["sent"]) for e in said] == [("P0-A", 1, 5, 6)]


async def test_an_order_arriving_between_the_read_and_the_write_makes_the_holds_be_read_again(clock: FakeClock) -> None:
    before = product_entry("30", {"P0-A": "901"})
    after = product_entry("30", {})
    after["skus"] = [sku_entry("P0-A", "901", occupy_quantity=4)]
    below = refusal("QuantityBelowOccupied", "Quantity of P0-A cannot be below 4: 0 withheld and 4 occupied by orders",
                    detail=[{"field": "Quantity", "message": "at least 4", "seller_sku": "P0-A"}])  # fmt: skip
    with respx.mock() as router:
        router.get(PRODUCTS).mock(side_effect=[products(before), products(after)])
        route = router.post(PRICE_QUANTITY).mock(side_effect=[below, ok()])
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).update_stock(
                [StockUpdate(ref=REFS[0], variant_sku="P0-A", stock=2)]
            )
    assert result.ok
    assert [_skus(call.request)[0]["Quantity"] for call in route.calls] == [2, 6]


async def test_stock_whose_holds_cannot_be_read_is_not_sent(clock: FakeClock) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.get(PRODUCTS).mock(return_value=httpx.Response(503))
        route = router.post(PRICE_QUANTITY).mock(return_value=ok())
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock, retry=RetrySettings(max_attempts=1))
            result = await connector.update_stock([StockUpdate(ref=REFS[0], variant_sku="P0-A", stock=2)])
    assert [item.variant_sku for item in result.failed] == ["P0-A"]
    assert route.call_count == 0
