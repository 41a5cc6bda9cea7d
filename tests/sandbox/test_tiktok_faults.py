"""Faults and the rate limit, seen from a client of the TikTok Shop sandbox; faults aimed through the harness."""

from __future__ import annotations

import httpx
import pytest

from simulators.common.faults import Fault, FaultKind, ManualClock
from simulators.common.harness import HeldVariant, Operation
from simulators.tiktok.harness import APP_KEY, APP_SECRET, SHOP, SHOP_ID, TikTokHarness

from .tiktok_api import CREATE, OTHER_SHOP, TikTokApi, connected, make_sandbox

pytestmark = pytest.mark.anyio
WAREHOUSES = "/logistics/202309/warehouses"


async def test_a_lost_create_made_the_product_and_its_retry_with_the_key_makes_no_other(clock: ManualClock) -> None:
    tiktok = make_sandbox(clock)
    async with connected(tiktok, clock) as api:
        body = await api.product_body(idempotency_key="k-1")
        tiktok.faults.enqueue(CREATE, Fault.lost_response())
        lost = await api.call("POST", CREATE, body)
        assert lost.status_code == 504
        assert len(tiktok.products) == 1, "applied, answer lost"
        retried = await api.ok("POST", CREATE, body)
    assert list(tiktok.products) == [retried["product_id"]]
    assert [c.fault for c in tiktok.recorded(CREATE)] == [FaultKind.LOST_RESPONSE, None]


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        pytest.param(Fault.rate_limited(), 429, 36009002, id="429"),
        pytest.param(Fault.server_error(500), 500, 36009003, id="500"),
        pytest.param(Fault.server_error(503), 503, None, id="503-not-json"),
    ],
)
async def test_injected_refusals_apply_nothing_and_answer_like_tiktok(
    clock: ManualClock, fault: Fault, status: int, code: int | None
) -> None:
    tiktok = make_sandbox(clock)
    async with connected(tiktok, clock) as api:
        body = await api.product_body()
        tiktok.faults.enqueue(CREATE, fault)
        refused = await api.call("POST", CREATE, body)
        assert tiktok.products == {}
        await api.ok("POST", CREATE, body)
    assert refused.status_code == status
    if code is None:
        assert refused.headers["content-type"].startswith("text/html")
    else:
        assert refused.json()["code"] == code
    if status == 429:
        assert refused.headers["retry-after"] == "1"


async def test_over_the_rate_an_api_gets_429_per_shop_and_per_api(clock: ManualClock) -> None:
    tiktok = make_sandbox(clock, rate_limit_per_api=2.0)
    async with connected(tiktok, clock) as api, connected(tiktok, clock, OTHER_SHOP) as other:
        statuses = [(await api.call("GET", WAREHOUSES)).status_code for _ in range(3)]
        refused = await api.call("GET", WAREHOUSES)
        other_shop = await other.call("GET", WAREHOUSES)
        other_api = await api.call("GET", "/product/202309/categories")
        clock.advance(1)
        again = await api.call("GET", WAREHOUSES)
    assert statuses == [200, 200, 429]
    assert (refused.json()["code"], refused.headers["retry-after"]) == (36009002, "1")
    assert (other_shop.status_code, other_api.status_code, again.status_code) == (200, 200, 200)


async def test_the_harness_aims_a_fault_at_a_price_call_whatever_its_product_id() -> None:
    harness = TikTokHarness()
    sandbox = harness.sandbox
    product = sandbox.create_product(SHOP_ID, "Gạo ST25 Sóc Trăng túi 5kg OCOP", [("P-V0", 10_000, 5)])
    [sku_id] = product.skus
    harness.inject(Operation.PRICE, Fault.server_error(503))
    path = f"{CREATE}/{product.product_id}"
    price = {"skus": [{"id": sku_id, "price": {"amount": "12000", "currency": "VND"}}]}
    stock = {"skus": [{"id": sku_id, "inventory": [{"warehouse_id": SHOP.warehouse_ids[0], "quantity": 3}]}]}
    async with httpx.AsyncClient(transport=harness.transport(), base_url=harness.base_url) as http:
        api = TikTokApi(http, harness.clock, SHOP, (APP_KEY, APP_SECRET))
        api.access_token = harness.authorize().access_token
        stocked = await api.call("POST", f"{path}/inventory/update", stock)
        first = await api.call("POST", f"{path}/prices/update", price)
        second = await api.call("POST", f"{path}/prices/update", price)
    assert (stocked.status_code, first.status_code, second.status_code) == (200, 503, 200)
    assert [harness.calls(op) for op in (Operation.PRICE, Operation.STOCK, Operation.CREATE)] == [2, 1, 0]
    assert harness.listings("P")[0].variants["P-V0"] == HeldVariant(12_000, 3)
