"""Faults and the rate limit, seen from a client of the Lazada simulator; faults aimed through the harness."""

from __future__ import annotations

import json

import httpx
import pytest

from simulators.common.faults import Fault, FaultKind, ManualClock
from simulators.common.harness import HeldVariant, Operation
from simulators.lazada.harness import APP_KEY, APP_SECRET, SELLER_ID, LazadaHarness

from .lazada_api import OTHER_SELLER, LazadaApi, connected, make_sandbox, payload

pytestmark = pytest.mark.anyio
CREATE = "/rest/product/create"
PRODUCTS = "/products/get"


async def test_a_lost_create_made_the_product_and_its_retry_is_a_4126_naming_the_sku(clock: ManualClock) -> None:
    lazada = make_sandbox(clock)
    async with connected(lazada, clock) as api:
        body = {"payload": payload(await api.product())}
        lazada.faults.enqueue(CREATE, Fault.lost_response())
        lost = await api.post("/product/create", body)
        assert lost.status_code == 504
        assert len(lazada.products) == 1, "applied, answer lost"
        retried = await api.refused("POST", "/product/create", body)
        found = await api.products(sku_seller_list=json.dumps(["GAO-0"]))
    assert (retried["code"], retried["detail"][0]["seller_sku"]) == ("4126", "GAO-0")
    assert [p["item_id"] for p in found["products"]] == list(lazada.products)
    assert [c.fault for c in lazada.recorded(CREATE)] == [FaultKind.LOST_RESPONSE, None]


@pytest.mark.parametrize(
    ("fault", "config", "status", "code"),
    [
        pytest.param(Fault.rate_limited(), {}, 200, "ApiCallLimit", id="throttled-http-200"),
        pytest.param(Fault.rate_limited(), {"throttle_http_status": 429}, 429, "ApiCallLimit", id="throttled-429"),
        pytest.param(Fault.rate_limited(), {"fault_throttle_code": "901"}, 200, "901", id="throttled-901"),
        pytest.param(Fault.server_error(500), {}, 500, "InternalError", id="500"),
        pytest.param(Fault.server_error(503), {}, 503, None, id="503-not-json"),
        pytest.param(Fault.server_error(503), {"gateway_html_pages": False}, 503, "InternalError", id="503-json"),
    ],
)
async def test_injected_refusals_apply_nothing_and_answer_like_lazada(
    clock: ManualClock, fault: Fault, config: dict[str, object], status: int, code: str | None
) -> None:
    lazada = make_sandbox(clock, **config)
    async with connected(lazada, clock) as api:
        body = {"payload": payload(await api.product())}
        lazada.faults.enqueue(CREATE, fault)
        refused = await api.post("/product/create", body)
        assert lazada.products == {}
        await api.ok("POST", "/product/create", body)
    assert refused.status_code == status
    if code is None:
        assert refused.headers["content-type"].startswith("text/html")
    else:
        answer = refused.json()
        assert answer["code"] == code
        assert answer["type"] == ("SYSTEM" if code == "InternalError" else "ISP")
        assert "retry-after" not in refused.headers
    if code == "901":
        assert refused.json()["message"].startswith("E901")


async def test_over_the_rate_an_api_is_banned_for_a_second_per_seller_and_api(clock: ManualClock) -> None:
    lazada = make_sandbox(clock, rate_limit_per_api=2.0)
    async with connected(lazada, clock) as api, connected(lazada, clock, OTHER_SELLER) as other:
        answers = [(await api.get(PRODUCTS)).json()["code"] for _ in range(3)]
        other_seller = await other.get(PRODUCTS)
        other_api = await api.get("/orders/get", {"update_after": "2023-11-15T00:00:00+07:00"})
        clock.advance(0.6)
        still_banned = await api.get(PRODUCTS)
        clock.advance(0.5)
        again = await api.get(PRODUCTS)
    assert answers == ["0", "0", "ApiCallLimit"]
    banned = still_banned.json()
    assert (still_banned.status_code, banned["code"], banned["type"]) == (200, "ApiCallLimit", "ISP")
    assert banned["message"] == "Api access frequency exceeds the limit. this ban will last 1 seconds"
    assert [r.json()["code"] for r in (other_seller, other_api, again)] == ["0", "0", "0"]


async def test_the_token_host_is_limited_per_app(clock: ManualClock) -> None:
    lazada = make_sandbox(clock, rate_limit_per_api=1.0, throttle_http_status=429)
    async with lazada.client() as http:
        api = LazadaApi(http, clock)
        first = await api.post("/auth/token/refresh", {"refresh_token": "x"}, token=False)
        second = await api.post("/auth/token/refresh", {"refresh_token": "x"}, token=False)
    assert (first.json()["code"], second.status_code, second.json()["code"]) == (
        "IllegalRefreshToken", 429, "ApiCallLimit")  # fmt: skip


async def test_a_request_held_past_the_client_timeout_applies_nothing(clock: ManualClock) -> None:
    lazada = make_sandbox(clock)
    async with connected(lazada, clock) as api:
        body = {"payload": payload(await api.product())}
        lazada.faults.enqueue(CREATE, Fault.timeout(0.5))
        with pytest.raises(httpx.ReadTimeout):
            await api.http.post("/product/create", data=api.signed("/product/create", body), timeout=0.05)
    assert lazada.products == {}


async def test_the_harness_aims_price_and_stock_at_the_one_price_quantity_call() -> None:
    harness = LazadaHarness()
    sandbox = harness.sandbox
    product = sandbox.create_product(SELLER_ID, "Gạo ST25 Sóc Trăng", [("P-V0", 10_000, 5), ("P-V1", 11_000, 6)])
    [a, b] = product.skus
    harness.inject(Operation.PRICE, Fault.server_error(503))
    harness.inject(Operation.STOCK, Fault.rate_limited())
    async with httpx.AsyncClient(transport=harness.transport(), base_url=harness.base_url) as http:
        api = LazadaApi(http, harness.clock, (APP_KEY, APP_SECRET))
        api.access_token = harness.authorize().access_token
        answers = [await api.set_skus({"ItemId": product.item_id, "SkuId": a, "Price": 12_000, "Quantity": 3})
                   for _ in range(3)]  # fmt: skip
        listed = await api.products()
        too_many = await api.set_skus(*({"SkuId": s, "Quantity": 1} for s in [a, b, a, b, a]))
    assert [r.status_code for r in answers] == [503, 429, 200]
    assert answers[1].json()["code"] == "ApiCallLimit"
    assert harness.calls(Operation.PRICE) == harness.calls(Operation.STOCK) == 4
    assert harness.calls(Operation.CREATE) == 0
    assert harness.listings("P")[0].variants == {"P-V0": HeldVariant(12_000, 3), "P-V1": HeldVariant(11_000, 6)}
    assert listed["total_products"] == 1
    assert too_many.json()["code"] == "4171", "the harness's batch limit is the simulator's"
