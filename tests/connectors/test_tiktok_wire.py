"""The TikTok wire under trouble: rate limits, expired and revoked tokens, lost answers, shop choice, secrets."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from connectors.kit.retry import RetrySettings
from core.errors import ChosyncError, ConfigError, OutcomeUnknown
from core.ports import InMemoryTokenStore, ReauthorizeRequired
from tests.connectors.conftest import JPEG, FakeClock, product
from tests.connectors.tiktok_fixtures import (
    ACCESS,
    APP_SECRET,
    AUTH,
    BASE,
    NEW_ACCESS,
    NEW_REFRESH,
    PRODUCTS,
    REFRESH,
    SEARCH,
    make_config,
    make_connector,
    ok,
    refusal,
    search_product,
    token_answer,
    tokens_at,
)

pytestmark = pytest.mark.anyio
EMPTY = ok({"products": [], "next_page_token": ""})


async def test_a_rate_limit_waits_without_spending_an_attempt(clock: FakeClock) -> None:
    limited = refusal(36009002, "too many requests", status=429)
    with respx.mock(base_url=BASE) as router:
        route = router.post(SEARCH).mock(side_effect=[limited, limited, limited, EMPTY, EMPTY])
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock, retry=RetrySettings(max_attempts=1, rate_limited_wait_s=1.0))
            assert await connector.find_by_sku("TRA-TC") is None
    assert route.call_count == 5  # the seller-SKU search, then the scan for a product never mapped here
    assert clock.sleeps == [1.0, 1.0, 1.0]


async def test_an_expired_token_is_refreshed_once_mid_run(clock: FakeClock) -> None:
    store = InMemoryTokenStore(tokens_at())
    with respx.mock() as router:
        refresh = router.get(f"{AUTH}/api/v2/token/refresh").mock(return_value=token_answer())
        search = router.post(f"{BASE}{SEARCH}").mock(
            side_effect=[refusal(105002, "access token expired", status=401), EMPTY, EMPTY]
        )
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock, tokens=store)
            assert await connector.find_by_sku("TRA-TC") is None
    assert refresh.call_count == 1
    sent = refresh.calls.last.request.url.params
    assert (sent["refresh_token"], sent["grant_type"], sent["app_secret"]) == (REFRESH, "refresh_token", APP_SECRET)
    assert [c.request.headers["x-tts-access-token"] for c in search.calls] == [ACCESS, NEW_ACCESS, NEW_ACCESS]
    assert store.tokens is not None and store.tokens.refresh_token == NEW_REFRESH


async def test_a_refused_refresh_asks_for_a_new_authorisation(clock: FakeClock) -> None:
    with respx.mock() as router:
        router.get(f"{AUTH}/api/v2/token/refresh").mock(return_value=refusal(36004004, "invalid refresh_token"))
        router.post(f"{BASE}{SEARCH}").mock(return_value=refusal(105002, "access token expired", status=401))
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock)
            with pytest.raises(ReauthorizeRequired) as caught:
                await connector.find_by_sku("TRA-TC")
    assert "chosync channels connect tiktok" in str(caught.value)


async def test_the_token_is_refreshed_before_its_seven_days_end(clock: FakeClock) -> None:
    store = InMemoryTokenStore(tokens_at(days=0.5))  # inside the one-day margin
    with respx.mock() as router:
        refresh = router.get(f"{AUTH}/api/v2/token/refresh").mock(return_value=token_answer())
        router.post(f"{BASE}{SEARCH}").mock(return_value=EMPTY)
        async with httpx.AsyncClient() as http:
            await make_connector(http, clock, tokens=store).find_by_sku("TRA-TC")
    assert refresh.call_count == 1


async def test_a_lost_create_answer_is_resolved_by_seller_sku_search(clock: FakeClock) -> None:
    tea = product(images=("https://img.test/tra-1.jpg",))
    made = search_product("P1", {"TRA-TC-200": "S1", "TRA-TC-500": "S2"}, status="PENDING")
    with respx.mock() as router:
        router.get("https://img.test/tra-1.jpg").mock(return_value=httpx.Response(200, content=JPEG))
        router.post(f"{BASE}/product/202309/images/upload").mock(return_value=ok({"uri": "tos-1"}))
        search = router.post(f"{BASE}{SEARCH}").mock(
            side_effect=[EMPTY, ok({"products": [made], "next_page_token": ""})]
        )
        create = router.post(f"{BASE}{PRODUCTS}").mock(side_effect=httpx.ReadTimeout("lost"))
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock)
            with pytest.raises(OutcomeUnknown):
                await connector.create_listing(tea)
            ref = await connector.create_listing(tea)  # how the core resolves an unknown create
    assert create.call_count == 1  # never re-sent blindly
    assert [json.loads(c.request.content) for c in search.calls] == [{"seller_skus": ["TRA-TC-200", "TRA-TC-500"]}] * 2
    assert (ref.item_id, ref.models, ref.found) == ("P1", {"TRA-TC-200": "S1", "TRA-TC-500": "S2"}, True)


async def test_a_lost_create_answer_not_found_yet_is_an_unknown_outcome(clock: FakeClock) -> None:
    tea = product(images=("https://img.test/tra-1.jpg",))
    with respx.mock() as router:
        router.get("https://img.test/tra-1.jpg").mock(return_value=httpx.Response(200, content=JPEG))
        router.post(f"{BASE}/product/202309/images/upload").mock(return_value=ok({"uri": "tos-1"}))
        router.post(f"{BASE}{SEARCH}").mock(return_value=EMPTY)
        create = router.post(f"{BASE}{PRODUCTS}").mock(return_value=httpx.Response(502))
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock)
            with pytest.raises(OutcomeUnknown):
                await connector.create_listing(tea)
            key = create.calls.last.request.content
            create.mock(
                return_value=ok(
                    {
                        "product_id": "P1",
                        "skus": [{"id": "S1", "seller_sku": "TRA-TC-200"}, {"id": "S2", "seller_sku": "TRA-TC-500"}],
                    }
                )
            )
            await connector.create_listing(tea)
    # the re-sent create carries the same idempotency key, so TikTok answers with the first product
    assert b'"idempotency_key":"chosync-' in key
    assert create.calls.last.request.content == key


async def test_connecting_learns_the_shop_cipher_and_warehouse(clock: FakeClock) -> None:
    config = make_config(shop_id=None, shop_cipher=None, warehouse_id=None)
    shops = {"shops": [{"id": "7001", "name": "HTX", "region": "VN", "seller_type": "LOCAL", "cipher": "ROW_c"}]}
    warehouses = {
        "warehouses": [
            {"id": "W9", "is_default": False, "effect_status": "ENABLED"},
            {"id": "W1", "is_default": True, "effect_status": "ENABLED"},
        ]
    }
    with respx.mock() as router:
        router.get(f"{AUTH}/api/v2/token/get").mock(return_value=token_answer())
        router.get(f"{BASE}/authorization/202309/shops").mock(return_value=ok(shops))
        house = router.get(f"{BASE}/logistics/202309/warehouses").mock(return_value=ok(warehouses))
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock, config=config, tokens=InMemoryTokenStore())
            await connector.connect("the-code")
    assert connector.learned_settings() == {"shop_id": "7001", "shop_cipher": "ROW_c", "warehouse_id": "W1"}
    assert house.calls.last.request.url.params["shop_cipher"] == "ROW_c"


async def test_a_grant_of_several_shops_needs_a_shop_id(clock: FakeClock) -> None:
    config = make_config(shop_id=None, shop_cipher=None)
    shops = {"shops": [{"id": "7001", "name": "Bưởi", "cipher": "c1"}, {"id": "7002", "name": "Trà", "cipher": "c2"}]}
    with respx.mock() as router:
        router.get(f"{BASE}/authorization/202309/shops").mock(return_value=ok(shops))
        async with httpx.AsyncClient() as http:
            with pytest.raises(ConfigError) as caught:
                await make_connector(http, clock, config=config).find_by_sku("X")
    assert "7001 (Bưởi" in str(caught.value) and "7002 (Trà" in str(caught.value)
    assert "--set shop_id=" in str(caught.value)


async def test_no_secret_reaches_logs_or_errors(clock: FakeClock) -> None:
    secrets = [APP_SECRET, "the-code", NEW_ACCESS, NEW_REFRESH, ACCESS]
    errors: list[str] = []
    with capture_logs() as events, respx.mock() as router:
        router.get(f"{AUTH}/api/v2/token/get").mock(return_value=token_answer(ACCESS, REFRESH))
        router.get(f"{AUTH}/api/v2/token/refresh").mock(return_value=token_answer())
        router.post(f"{BASE}{SEARCH}").mock(
            side_effect=[
                refusal(105002, f"access token {ACCESS} expired", status=401),
                EMPTY,
                EMPTY,
                refusal(12019004, f"bad app_secret={APP_SECRET} token {NEW_ACCESS}"),
            ]
        )
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock, tokens=InMemoryTokenStore(), retry=RetrySettings(max_attempts=1))
            await connector.connect("the-code")
            await connector.find_by_sku("A")
            try:
                await connector.find_by_sku("B")
            except ChosyncError as exc:
                errors.append(f"{exc!s} {exc!r} {exc.hint}")
    assert any(e["event"] == "tiktok.request" for e in events)
    assert any(e["event"] == "tiktok.token_refreshed" for e in events)
    assert errors
    text = repr(events) + " ".join(errors)
    for secret in secrets:
        assert secret not in text


async def test_a_code_exchange_whose_answer_is_lost_sends_the_code_once_more(clock: FakeClock) -> None:
    store = InMemoryTokenStore()
    with respx.mock() as router:
        route = router.get(f"{AUTH}/api/v2/token/get").mock(side_effect=[httpx.Response(502), token_answer()])
        async with httpx.AsyncClient() as http:
            tokens = await make_connector(http, clock, tokens=store).client.authorizer.exchange_code("the-code")
    assert route.call_count == 2
    assert store.tokens == tokens and tokens.access_token == NEW_ACCESS


async def test_a_code_spent_by_a_lost_first_try_asks_to_authorise_again(clock: FakeClock) -> None:
    store = InMemoryTokenStore()
    spent = refusal(36004004, "invalid auth_code")
    with respx.mock() as router:
        router.get(f"{AUTH}/api/v2/token/get").mock(side_effect=[httpx.Response(502), spent])
        async with httpx.AsyncClient() as http:
            with pytest.raises(ReauthorizeRequired, match="authorise again"):
                await make_connector(http, clock, tokens=store).client.authorizer.exchange_code("the-code")
    assert store.tokens is None
