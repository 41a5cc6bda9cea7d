"""Shopee tokens: exchange, refresh ahead of expiry, single-flight under races, and no secret in logs."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from connectors.kit.retry import RetrySettings
from connectors.shopee.auth import PushRejected, push_signature
from connectors.shopee.config import ShopeeConfig
from core.errors import ChosyncError
from core.ports import (
    Authorizing,
    InMemoryTokenStore,
    ReauthorizeRequired,
    RefreshOutcomeUnknown,
    available_channels,
    get_connector_class,
)
from tests.connectors.conftest import (
    ACCESS_TOKEN,
    BASE_URL,
    NOW,
    PARTNER_ID,
    PARTNER_KEY,
    REFRESH_TOKEN,
    SHOP_ID,
    FakeClock,
    assert_signed,
    body_of,
    envelope,
    fresh_tokens,
    make_connector,
    shopee_error,
)

pytestmark = pytest.mark.anyio

NEW_ACCESS = "access-token-NEW-3333"
NEW_REFRESH = "refresh-token-NEW-4444"
CODE = "auth-code-5555"


def _token_answer(access: str = NEW_ACCESS, refresh: str = NEW_REFRESH) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "request_id": "r",
            "error": "",
            "message": "",
            "access_token": access,
            "refresh_token": refresh,
            "expire_in": 14400,
        },
    )


def _expired_store() -> InMemoryTokenStore:
    return InMemoryTokenStore(fresh_tokens(NOW - timedelta(hours=5)))


async def _slow_token_answer(request: httpx.Request) -> httpx.Response:
    for _ in range(5):  # let every concurrent caller reach the lock while this refresh is in flight
        await asyncio.sleep(0)
    return _token_answer()


async def test_code_exchange_saves_tokens(config: ShopeeConfig, clock: FakeClock) -> None:
    store = InMemoryTokenStore()
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        route = router.post("/api/v2/auth/token/get").mock(return_value=_token_answer())
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, store, clock, http)
            tokens = await connector.authorizer.exchange_code(CODE)
    request = route.calls.last.request
    assert_signed(request)
    assert "access_token" not in request.url.params  # a public call
    assert body_of(request) == {"code": CODE, "partner_id": PARTNER_ID, "shop_id": SHOP_ID}
    assert store.tokens == tokens
    assert tokens.access_expires_at == NOW + timedelta(hours=4)
    assert tokens.refresh_expires_at == NOW + timedelta(days=30)


async def test_a_refused_code_asks_for_a_new_authorisation(config: ShopeeConfig, clock: FakeClock) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        router.post("/api/v2/auth/token/get").mock(return_value=shopee_error("error_param", "invalid code"))
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, InMemoryTokenStore(), clock, http)
            with pytest.raises(ReauthorizeRequired, match="authorisation code"):
                await connector.authorizer.exchange_code(CODE)


async def test_ten_concurrent_calls_with_an_expired_token_refresh_once(config: ShopeeConfig, clock: FakeClock) -> None:
    store = _expired_store()
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        refresh = router.post("/api/v2/auth/access_token/get").mock(side_effect=_slow_token_answer)
        reads = router.get("/api/v2/product/get_item_list").mock(return_value=envelope({"item": []}))
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, store, clock, http)
            await asyncio.gather(*(connector.client.get("product/get_item_list") for _ in range(10)))
    assert refresh.call_count == 1
    assert body_of(refresh.calls.last.request) == {
        "refresh_token": REFRESH_TOKEN,
        "partner_id": PARTNER_ID,
        "shop_id": SHOP_ID,
    }
    assert reads.call_count == 10
    assert {call.request.url.params["access_token"] for call in reads.calls} == {NEW_ACCESS}
    assert store.tokens is not None
    assert store.tokens.refresh_token == NEW_REFRESH
    assert store.saves == 1


async def test_two_connectors_of_one_shop_share_the_refresh(config: ShopeeConfig, clock: FakeClock) -> None:
    """Two jobs, two connector instances, one token store: the refresh token is used once."""
    store = _expired_store()
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        refresh = router.post("/api/v2/auth/access_token/get").mock(side_effect=_slow_token_answer)
        router.get("/api/v2/product/get_item_list").mock(return_value=envelope({"item": []}))
        async with httpx.AsyncClient() as http:
            one = make_connector(config, store, clock, http)
            two = make_connector(config, store, clock, http)
            await asyncio.gather(*(c.client.get("product/get_item_list") for c in (one, two, one, two, one, two)))
    assert refresh.call_count == 1


async def test_a_token_is_refreshed_ahead_of_expiry(config: ShopeeConfig, clock: FakeClock) -> None:
    store = InMemoryTokenStore(fresh_tokens(NOW - timedelta(hours=3, minutes=55)))  # 5 minutes left
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        refresh = router.post("/api/v2/auth/access_token/get").mock(return_value=_token_answer())
        router.get("/api/v2/product/get_item_list").mock(return_value=envelope({}))
        async with httpx.AsyncClient() as http:
            await make_connector(config, store, clock, http).client.get("product/get_item_list")
    assert refresh.call_count == 1


async def test_refresh_ahead_refreshes_a_live_token_once_for_every_concurrent_caller(
    config: ShopeeConfig, clock: FakeClock
) -> None:
    """The token health job's refresh: the token still works, it is replaced anyway, once for all callers."""
    store = InMemoryTokenStore(fresh_tokens(NOW - timedelta(hours=3)))  # an hour left: no call would refresh it
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        refresh = router.post("/api/v2/auth/access_token/get").mock(side_effect=_slow_token_answer)
        async with httpx.AsyncClient() as http:
            one = make_connector(config, store, clock, http)
            two = make_connector(config, store, clock, http)
            await asyncio.gather(*(c.refresh_ahead(ACCESS_TOKEN) for c in (one, two, one, two)))
    assert refresh.call_count == 1
    assert body_of(refresh.calls.last.request)["refresh_token"] == REFRESH_TOKEN
    assert store.tokens is not None and store.tokens.access_token == NEW_ACCESS
    assert store.saves == 1


async def test_refresh_ahead_sends_nothing_when_the_token_was_replaced_meanwhile(
    config: ShopeeConfig, clock: FakeClock
) -> None:
    store = InMemoryTokenStore(fresh_tokens())
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        refresh = router.post("/api/v2/auth/access_token/get").mock(return_value=_token_answer())
        async with httpx.AsyncClient() as http:
            await make_connector(config, store, clock, http).refresh_ahead("access-token-seen-before-a-refresh")
    assert refresh.call_count == 0
    assert store.tokens == fresh_tokens() and store.saves == 0


def test_only_oauth_channels_are_authorizing() -> None:
    """The token health job checks exactly the connectors that say so through the protocol."""
    authorizing = {name for name in available_channels() if issubclass(get_connector_class(name), Authorizing)}
    assert authorizing == {"lazada", "shopee", "tiktok"}


async def test_a_rejected_token_is_refreshed_once_and_the_call_retried(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        refresh = router.post("/api/v2/auth/access_token/get").mock(return_value=_token_answer())
        reads = router.get("/api/v2/product/get_item_list").mock(
            side_effect=[shopee_error("error_auth", "Invalid access_token."), envelope({"item": []})]
        )
        async with httpx.AsyncClient() as http:
            assert await make_connector(config, tokens, clock, http).client.get("product/get_item_list") == {"item": []}
    assert refresh.call_count == 1
    assert [call.request.url.params["access_token"] for call in reads.calls] == [ACCESS_TOKEN, NEW_ACCESS]
    for call in reads.calls:
        assert_signed(call.request)


async def test_a_refused_refresh_asks_for_a_new_authorisation(config: ShopeeConfig, clock: FakeClock) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        refresh = router.post("/api/v2/auth/access_token/get").mock(
            return_value=shopee_error("error_param", "Invalid refresh_token.")
        )
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, _expired_store(), clock, http)
            with pytest.raises(ReauthorizeRequired, match="authorise the shop again"):
                await connector.client.get("product/get_item_list")
    assert refresh.call_count == 1  # not retried: the refresh token may be spent


async def test_a_refresh_that_could_not_connect_is_retried_with_the_same_token(
    config: ShopeeConfig, clock: FakeClock
) -> None:
    """Nothing reached Shopee, so the refresh token is unspent: sending it again is safe."""
    store = _expired_store()
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        refresh = router.post("/api/v2/auth/access_token/get").mock(
            side_effect=[httpx.ConnectError("refused"), _token_answer()]
        )
        router.get("/api/v2/product/get_item_list").mock(return_value=envelope({"item": []}))
        async with httpx.AsyncClient() as http:
            await make_connector(config, store, clock, http).client.get("product/get_item_list")
    assert [body_of(c.request)["refresh_token"] for c in refresh.calls] == [REFRESH_TOKEN, REFRESH_TOKEN]
    assert store.tokens is not None and store.tokens.refresh_token == NEW_REFRESH


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(httpx.ReadTimeout("lost"), id="read-timeout"),
        pytest.param(httpx.Response(504, text="<html>gateway timeout</html>"), id="504"),
        pytest.param(shopee_error("error_server", "internal error", status=500), id="error_server"),
        pytest.param(httpx.Response(200, json={"request_id": "r", "error": "", "message": ""}), id="200-no-tokens"),
    ],
)
async def test_a_refresh_with_an_unknown_outcome_is_sent_once_and_marks_the_token_spent(
    config: ShopeeConfig, clock: FakeClock, answer: httpx.Response | Exception
) -> None:
    store = _expired_store()
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        refresh = router.post("/api/v2/auth/access_token/get").mock(side_effect=[answer, _token_answer()])
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, store, clock, http)
            with pytest.raises(RefreshOutcomeUnknown, match="chosync channels connect shopee"):
                await connector.client.get("product/get_item_list")
            with pytest.raises(ReauthorizeRequired, match="no usable refresh token"):
                await connector.client.get("product/get_item_list")
    assert refresh.call_count == 1
    assert store.tokens is not None and store.tokens.refresh_expires_at <= clock.now


async def test_a_code_exchange_whose_answer_is_lost_sends_the_code_once_more(
    config: ShopeeConfig, clock: FakeClock
) -> None:
    store = InMemoryTokenStore()
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        route = router.post("/api/v2/auth/token/get").mock(side_effect=[httpx.Response(502), _token_answer()])
        async with httpx.AsyncClient() as http:
            await make_connector(config, store, clock, http).authorizer.exchange_code(CODE)
    assert route.call_count == 2
    assert store.tokens is not None  # the first try had applied nothing: the second one got the tokens


async def test_a_code_exchange_lost_twice_asks_for_a_new_code(config: ShopeeConfig, clock: FakeClock) -> None:
    store = InMemoryTokenStore()
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        route = router.post("/api/v2/auth/token/get").mock(side_effect=[httpx.Response(502), httpx.Response(504)])
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, store, clock, http)
            with pytest.raises(RefreshOutcomeUnknown, match="may have spent the single-use code"):
                await connector.authorizer.exchange_code(CODE)
    assert route.call_count == 2
    assert store.tokens is None


async def test_an_expired_refresh_token_sends_nothing(config: ShopeeConfig, clock: FakeClock) -> None:
    store = InMemoryTokenStore(fresh_tokens(NOW - timedelta(days=31)))
    with respx.mock(base_url=BASE_URL, assert_all_called=True):
        async with httpx.AsyncClient() as http:
            with pytest.raises(ReauthorizeRequired, match="expired"):
                await make_connector(config, store, clock, http).client.get("product/get_item_list")


async def test_a_shop_never_authorised_says_so(config: ShopeeConfig, clock: FakeClock) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=True):
        async with httpx.AsyncClient() as http:
            with pytest.raises(ReauthorizeRequired, match="not authorised"):
                await make_connector(config, InMemoryTokenStore(), clock, http).client.get("x/y")


async def test_the_connector_verifies_pushes_with_its_own_key_and_clock(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    body = json.dumps({"code": 3, "shop_id": SHOP_ID, "timestamp": int(NOW.timestamp()), "data": {}}).encode()
    header = push_signature(PARTNER_KEY, "https://chosync.test/push", body)
    async with httpx.AsyncClient() as http:
        connector = make_connector(config, tokens, clock, http)
        assert connector.verify_push("https://chosync.test/push", body, header).shop_id == SHOP_ID
        clock.advance(config.auth.push_max_age_s + 1)
        with pytest.raises(PushRejected, match="too old"):
            connector.verify_push("https://chosync.test/push", body, header)


async def test_no_secret_reaches_logs_or_errors(config: ShopeeConfig, clock: FakeClock) -> None:
    """Token exchange, a refresh, calls, a failure: neither key nor any token appears anywhere."""
    secrets = [PARTNER_KEY, CODE, ACCESS_TOKEN, REFRESH_TOKEN, NEW_ACCESS, NEW_REFRESH]
    store = InMemoryTokenStore()
    errors: list[str] = []
    with capture_logs() as events, respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        router.post("/api/v2/auth/token/get").mock(return_value=_token_answer(ACCESS_TOKEN, REFRESH_TOKEN))
        router.post("/api/v2/auth/access_token/get").mock(return_value=_token_answer())
        router.get("/api/v2/product/get_item_list").mock(
            side_effect=[
                envelope({"item": []}),
                shopee_error("error_auth", f"Invalid access_token {ACCESS_TOKEN}"),
                envelope({"item": []}, warning="slow down"),
                shopee_error("error_param", f"refresh_token={NEW_REFRESH} partner_key={PARTNER_KEY}"),
                httpx.Response(200, text=f"access_token={NEW_ACCESS}"),
            ]
        )
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, store, clock, http, retry=RetrySettings(max_attempts=1))
            await connector.authorizer.exchange_code(CODE)
            await connector.client.get("product/get_item_list")
            await connector.client.get("product/get_item_list")  # rejected, refreshed, retried
            for _ in range(2):
                try:
                    await connector.client.get("product/get_item_list")
                except ChosyncError as exc:
                    errors.append(f"{exc!s} {exc!r} {exc.hint} {exc.__cause__!r}")
    assert any(event["event"] == "shopee.request" for event in events)
    assert any(event["event"] == "shopee.token_refreshed" for event in events)
    assert len(errors) == 2
    text = repr(events) + " ".join(errors)
    for secret in secrets:
        assert secret not in text
