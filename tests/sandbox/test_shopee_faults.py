"""Fault injection and rate limiting, seen from a client of the Shopee sandbox."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from simulators.common.faults import Fault, FaultKind, FaultPlan, ManualClock, TokenBucket
from simulators.shopee.config import ShopeeConfig
from simulators.shopee.sandbox import ShopeeSandbox

from .shopee_api import OTHER_SHOP_ID, SHOP_ID, ShopeeApi

pytestmark = pytest.mark.anyio
ADD_ITEM = "/api/v2/product/add_item"
CATEGORY = "/api/v2/product/get_category"


async def test_over_the_rate_a_partner_gets_429_with_retry_after(
    api: ShopeeApi, sandbox: ShopeeSandbox, clock: ManualClock
) -> None:
    sandbox.config.rate_limit_per_partner = 2.0
    statuses = [(await api.get("product/get_category")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = await api.get("product/get_category")
    assert refused.json()["error"] == "error_system_busy"
    assert refused.headers["Retry-After"] == "1"
    clock.advance(1)
    assert (await api.get("product/get_category")).status_code == 200


async def test_the_rate_limit_code_and_header_are_configurable(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    sandbox.config.rate_limit_per_partner = 1.0
    sandbox.config.rate_limit_error = "error_rate_limit"
    sandbox.config.retry_after = False
    await api.ok("GET", "product/get_category")
    refused = await api.get("product/get_category")
    assert (refused.status_code, refused.json()["error"]) == (429, "error_rate_limit")
    assert "Retry-After" not in refused.headers


async def test_a_shop_limit_does_not_slow_another_shop(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    sandbox.config.rate_limit_per_shop = 1.0
    await api.ok("GET", "product/get_category")
    assert (await api.get("product/get_category")).status_code == 429
    api.shop_id = OTHER_SHOP_ID
    api.access_token, _ = sandbox.authorize_shop(OTHER_SHOP_ID)
    await api.ok("GET", "product/get_category")


def test_a_token_bucket_says_how_long_to_wait() -> None:
    clock = ManualClock(0)
    bucket = TokenBucket(rate=4, burst=2, clock=clock)
    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == pytest.approx(0.25)
    clock.advance(0.25)
    assert bucket.take() == 0.0
    assert TokenBucket.retry_after(0.25) == 1


async def test_the_next_two_add_items_fail_with_500_and_nothing_is_created(
    api: ShopeeApi, sandbox: ShopeeSandbox
) -> None:
    body = await api.item_body()
    sandbox.faults.enqueue(ADD_ITEM, Fault.server_error(500), times=2)
    first, second = await api.post("product/add_item", body), await api.post("product/add_item", body)
    assert (first.status_code, first.json()["error"]) == (500, "error_server")
    assert second.status_code == 500
    assert sandbox.items == {}
    await api.ok("POST", "product/add_item", body)
    assert sandbox.calls(ADD_ITEM) == 3
    assert [c.fault for c in sandbox.recorded(ADD_ITEM)] == [
        FaultKind.SERVER_ERROR,
        FaultKind.SERVER_ERROR,
        None,
    ]
    assert [c.status for c in sandbox.recorded(ADD_ITEM)] == [500, 500, 200]
    assert json.loads(sandbox.recorded(ADD_ITEM)[2].body)["item_sku"] == "TRA-SHAN-100"


async def test_a_gateway_error_is_an_html_page(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    sandbox.faults.enqueue(CATEGORY, Fault.server_error(502))
    response = await api.get("product/get_category")
    assert response.status_code == 502 and response.headers["content-type"].startswith("text/html")


async def test_a_queued_none_lets_one_call_through(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    sandbox.faults.enqueue(CATEGORY, None, Fault.rate_limited())
    assert (await api.get("product/get_category")).status_code == 200
    throttled = await api.get("product/get_category")
    assert (throttled.status_code, throttled.json()["error"], throttled.headers["Retry-After"]) == (
        429,
        "error_system_busy",
        "1",
    )
    assert sandbox.faults.pending(CATEGORY) == 0


async def test_latency_delays_but_answers(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    sandbox.faults.enqueue(CATEGORY, Fault.latency(0.05))
    started = time.perf_counter()
    await api.ok("GET", "product/get_category")
    assert time.perf_counter() - started >= 0.05


async def test_a_held_request_times_out_at_the_client_and_is_not_applied(sandbox: ShopeeSandbox) -> None:
    async with sandbox.client(timeout=0.05) as http:
        api = ShopeeApi(http, ManualClock(sandbox.clock()))
        api.access_token, _ = sandbox.authorize_shop(SHOP_ID)
        body = await api.item_body()
        sandbox.faults.enqueue(ADD_ITEM, Fault.timeout(5.0))
        started = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            await api.post("product/add_item", body)
        assert time.perf_counter() - started < 1.0
    assert sandbox.items == {}


async def test_a_held_request_answers_504_to_a_patient_client(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    sandbox.faults.enqueue(CATEGORY, Fault.timeout(0.01))
    assert (await api.get("product/get_category")).status_code == 504


async def test_a_malformed_body_is_not_json_but_the_call_was_applied(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    body = await api.item_body()
    sandbox.faults.enqueue(ADD_ITEM, Fault.malformed_json())
    response = await api.post("product/add_item", body)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert len(sandbox.items_by_sku("TRA-SHAN-100")) == 1


async def test_a_lost_response_hides_a_created_item(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    """The create happened; the client only saw a 504, and finds the item by its SKU."""
    body = await api.item_body()
    sandbox.faults.enqueue(ADD_ITEM, Fault.lost_response())
    response = await api.post("product/add_item", body)
    assert response.status_code == 504
    [item] = sandbox.items_by_sku("TRA-SHAN-100")
    found = await api.ok("GET", "product/search_item", {"page_size": 10, "item_sku": "TRA-SHAN-100"})
    assert found["item_id_list"] == [item.item_id]


async def test_a_dropped_connection_after_the_create_is_a_transport_error(
    api: ShopeeApi, sandbox: ShopeeSandbox
) -> None:
    body = await api.item_body()
    sandbox.faults.enqueue(ADD_ITEM, Fault.lost_response(drop=True))
    with pytest.raises(httpx.RemoteProtocolError) as caught:
        await api.post("product/add_item", body)
    assert caught.value.request.url.path == ADD_ITEM
    assert len(sandbox.items_by_sku("TRA-SHAN-100")) == 1
    assert sandbox.recorded(ADD_ITEM)[0].status is None


async def test_a_plain_asgi_transport_sees_a_drop_as_an_httpx_error(sandbox: ShopeeSandbox) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url="https://sbx") as http:
        api = ShopeeApi(http, ManualClock(sandbox.clock()))
        api.access_token, _ = sandbox.authorize_shop(SHOP_ID)
        sandbox.faults.enqueue(CATEGORY, Fault.timeout(0.0, drop=True))
        with pytest.raises(httpx.RemoteProtocolError):
            await api.get("product/get_category")
        await api.ok("GET", "product/get_category")


async def test_global_faults_hit_every_path(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    sandbox.faults.enqueue("*", Fault.server_error(503))
    assert (await api.get("logistics/get_channel_list")).status_code == 503
    await api.ok("GET", "logistics/get_channel_list")


def _kinds(plan: FaultPlan, n: int) -> list[FaultKind | None]:
    return [fault.kind if (fault := plan.pick(CATEGORY)) else None for _ in range(n)]


def test_chance_faults_replay_exactly_with_the_same_seed() -> None:
    plans = [FaultPlan(seed=42), FaultPlan(seed=42)]
    for plan in plans:
        plan.add_chance(CATEGORY, Fault.server_error(), 0.3)
        plan.add_chance("*", Fault.latency(0.0), 0.2)
    first, second = _kinds(plans[0], 200), _kinds(plans[1], 200)
    assert first == second
    assert 30 < first.count(FaultKind.SERVER_ERROR) < 90 and FaultKind.LATENCY in first
    with pytest.raises(ValueError, match="probability"):
        plans[0].add_chance(CATEGORY, Fault.server_error(), 1.5)


def test_a_spared_path_meets_only_its_own_chances() -> None:
    plan = FaultPlan(seed=7)
    plan.add_chance("*", Fault.server_error(), 1.0)
    plan.spare(CATEGORY)
    assert _kinds(plan, 20) == [None] * 20  # every other path still fails
    assert (fault := plan.pick("/api/v2/other")) is not None and fault.kind is FaultKind.SERVER_ERROR
    plan.add_chance(CATEGORY, Fault.rate_limited(), 1.0)
    assert set(_kinds(plan, 5)) == {FaultKind.RATE_LIMIT}


async def test_chance_faults_through_http(config: ShopeeConfig, clock: ManualClock) -> None:
    sandbox = ShopeeSandbox(config, clock=clock, seed=1)
    sandbox.faults.add_chance(CATEGORY, Fault.server_error(), 1.0)
    async with sandbox.client() as http:
        api = ShopeeApi(http, clock)
        api.access_token, _ = sandbox.authorize_shop(SHOP_ID)
        assert {(await api.get("product/get_category")).status_code for _ in range(3)} == {500}
    assert sandbox.calls(CATEGORY) == 3 and sandbox.calls() == 3
