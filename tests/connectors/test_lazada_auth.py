"""Lazada authorisation: the code exchange and what it teaches, refreshes (ahead, after a refusal, lost),
the newest refresh token kept without extending the grant, re-authorisation, and no secret in any log."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from connectors.kit.retry import RetrySettings
from core.errors import ChosyncError
from core.ports import InMemoryTokenStore, ReauthorizeRequired, RefreshOutcomeUnknown
from tests.connectors.conftest import NOW, FakeClock
from tests.connectors.lazada_fixtures import (
    ACCESS,
    APP_KEY,
    APP_SECRET,
    CREATE_TOKEN_URL,
    NEW_ACCESS,
    NEW_REFRESH,
    NONE_FOUND,
    PRODUCTS,
    REFRESH,
    REFRESH_URL,
    SELLER_ID,
    independent_sign,
    make_config,
    make_connector,
    refusal,
    sent,
    token_answer,
    tokens_at,
)

pytestmark = pytest.mark.anyio
EXPIRED = refusal("IllegalAccessToken", "The specified access token is invalid or expired")


def test_the_authorisation_link_names_the_registered_redirect_uri(clock: FakeClock) -> None:
    config = make_config(redirect_uri="https://chosync.example/lazada/back")
    connector = make_connector(httpx.AsyncClient(), clock, config=config)
    link = urlparse(connector.authorization_url("https://localhost/chosync/authorized"))
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert f"{link.scheme}://{link.netloc}{link.path}" == "https://auth.lazada.com/oauth/authorize"
    assert query["response_type"] == "code" and query["force_auth"] == "true"
    assert (query["client_id"], query["redirect_uri"]) == (APP_KEY, "https://chosync.example/lazada/back")
    assert query["state"]


@pytest.mark.parametrize("list_name", ["country_user_info", "country_user_info_list"])
async def test_connecting_keeps_the_tokens_and_learns_the_seller(clock: FakeClock, list_name: str) -> None:
    store = InMemoryTokenStore()
    with respx.mock() as router:
        route = router.post(CREATE_TOKEN_URL).mock(return_value=token_answer(ACCESS, REFRESH, list_name=list_name))
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock, config=make_config(seller_id=None), tokens=store)
            tokens = await connector.connect("the-code")
    request = route.calls.last.request
    params = sent(request)
    assert params["code"] == "the-code" and "access_token" not in params
    assert params["sign"] == independent_sign(request)
    assert store.tokens == tokens
    assert tokens.access_expires_at == NOW + timedelta(days=30)
    assert tokens.refresh_expires_at == NOW + timedelta(days=180)
    assert connector.learned_settings() == {"seller_id": SELLER_ID, "country": "vn"}


async def test_a_refresh_keeps_the_newest_refresh_token_and_never_extends_the_grant(clock: FakeClock) -> None:
    store = InMemoryTokenStore(tokens_at(days=0.01, refresh_days=40))  # inside the 30-minute margin
    with respx.mock() as router:
        refresh = router.post(REFRESH_URL).mock(return_value=token_answer())  # says 180 days: not believed
        search = router.get(PRODUCTS).mock(return_value=NONE_FOUND)
        async with httpx.AsyncClient() as http:
            await make_connector(http, clock, tokens=store)._reader.find_by_skus("X", ["X-1"])
    assert sent(refresh.calls.last.request)["refresh_token"] == REFRESH
    assert search.calls.last.request.url.params["access_token"] == NEW_ACCESS
    assert store.tokens is not None
    assert (store.tokens.access_token, store.tokens.refresh_token) == (NEW_ACCESS, NEW_REFRESH)
    assert store.tokens.refresh_expires_at == NOW + timedelta(days=40)


async def test_an_illegal_access_token_is_refreshed_once_then_the_call_succeeds(clock: FakeClock) -> None:
    store = InMemoryTokenStore(tokens_at())
    with respx.mock() as router:
        refresh = router.post(REFRESH_URL).mock(return_value=token_answer())
        search = router.get(PRODUCTS).mock(side_effect=[EXPIRED, NONE_FOUND])
        async with httpx.AsyncClient() as http:
            assert await make_connector(http, clock, tokens=store)._reader.find_by_skus("X", ["X-1"]) is None
    assert refresh.call_count == 1
    assert [c.request.url.params["access_token"] for c in search.calls] == [ACCESS, NEW_ACCESS]


async def test_a_token_refused_after_its_refresh_is_not_refreshed_again(clock: FakeClock) -> None:
    with respx.mock() as router:
        refresh = router.post(REFRESH_URL).mock(return_value=token_answer())
        router.get(PRODUCTS).mock(return_value=EXPIRED)
        async with httpx.AsyncClient() as http:
            with pytest.raises(ChosyncError, match="access token"):
                await make_connector(http, clock)._reader.find_by_skus("X", ["X-1"])
    assert refresh.call_count == 1


async def test_an_illegal_refresh_token_asks_for_a_new_authorisation(clock: FakeClock) -> None:
    with respx.mock() as router:
        router.post(REFRESH_URL).mock(
            return_value=refusal("IllegalRefreshToken", "The specified refresh token is invalid or expired")
        )
        router.get(PRODUCTS).mock(return_value=EXPIRED)
        async with httpx.AsyncClient() as http:
            with pytest.raises(ReauthorizeRequired) as caught:
                await make_connector(http, clock)._reader.find_by_skus("X", ["X-1"])
    assert "chosync channels connect lazada --seller" in str(caught.value)


async def test_an_ended_grant_asks_for_a_new_authorisation_without_asking_lazada(clock: FakeClock) -> None:
    store = InMemoryTokenStore(tokens_at(days=-1, refresh_days=-0.5))
    with respx.mock(assert_all_called=False) as router:
        refresh = router.post(REFRESH_URL).mock(return_value=token_answer())
        async with httpx.AsyncClient() as http:
            with pytest.raises(ReauthorizeRequired, match="channels connect lazada"):
                await make_connector(http, clock, tokens=store)._reader.find_by_skus("X", ["X-1"])
    assert refresh.call_count == 0


async def test_a_refresh_whose_answer_is_lost_is_sent_again(clock: FakeClock) -> None:
    """Lazada keeps a refresh token valid after using it: sending it again is safe."""
    store = InMemoryTokenStore(tokens_at(days=0.01))
    with respx.mock() as router:
        refresh = router.post(REFRESH_URL).mock(side_effect=[httpx.ReadTimeout("lost"), token_answer()])
        router.get(PRODUCTS).mock(return_value=NONE_FOUND)
        async with httpx.AsyncClient() as http:
            await make_connector(http, clock, tokens=store)._reader.find_by_skus("X", ["X-1"])
    assert refresh.call_count == 2
    assert [sent(c.request)["refresh_token"] for c in refresh.calls] == [REFRESH, REFRESH]
    assert store.tokens is not None and store.tokens.access_token == NEW_ACCESS


async def test_a_lost_refresh_of_a_single_use_token_is_never_sent_again(clock: FakeClock) -> None:
    store = InMemoryTokenStore(tokens_at(days=0.01))
    config = make_config(auth={"refresh_token_single_use": True})
    with respx.mock() as router:
        refresh = router.post(REFRESH_URL).mock(side_effect=httpx.ReadTimeout("lost"))
        async with httpx.AsyncClient() as http:
            with pytest.raises(RefreshOutcomeUnknown):
                await make_connector(http, clock, config=config, tokens=store)._reader.find_by_skus("X", ["X-1"])
            with pytest.raises(ReauthorizeRequired):
                await make_connector(http, clock, config=config, tokens=store)._reader.find_by_skus("X", ["X-1"])
    assert refresh.call_count == 1


async def test_the_token_job_refreshes_ahead_once_for_everyone(clock: FakeClock) -> None:
    store = InMemoryTokenStore(tokens_at())
    with respx.mock() as router:
        refresh = router.post(REFRESH_URL).mock(return_value=token_answer())
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock, tokens=store)
            await connector.refresh_ahead(ACCESS)
            await connector.refresh_ahead(ACCESS)  # someone refreshed meanwhile: nothing sent
    assert refresh.call_count == 1


async def test_a_code_exchange_whose_answer_is_lost_sends_the_code_once_more(clock: FakeClock) -> None:
    store = InMemoryTokenStore()
    with respx.mock() as router:
        route = router.post(CREATE_TOKEN_URL).mock(side_effect=[httpx.Response(502), token_answer()])
        async with httpx.AsyncClient() as http:
            tokens = await make_connector(http, clock, tokens=store).connect("the-code")
    assert route.call_count == 2
    assert store.tokens == tokens


async def test_a_spent_code_asks_to_authorise_again(clock: FakeClock) -> None:
    with respx.mock() as router:
        router.post(CREATE_TOKEN_URL).mock(return_value=refusal("InvalidCode", "Invalid authorization code"))
        async with httpx.AsyncClient() as http:
            with pytest.raises(ReauthorizeRequired, match="authorise again"):
                await make_connector(http, clock, tokens=InMemoryTokenStore()).connect("the-code")


async def test_no_secret_reaches_logs_or_errors(clock: FakeClock) -> None:
    secrets = [APP_SECRET, "the-code-XYZ", ACCESS, REFRESH, NEW_ACCESS, NEW_REFRESH]
    errors: list[str] = []
    with capture_logs() as events, respx.mock() as router:
        router.post(CREATE_TOKEN_URL).mock(return_value=token_answer(ACCESS, REFRESH))
        router.post(REFRESH_URL).mock(return_value=token_answer())
        router.get(PRODUCTS).mock(
            side_effect=[
                refusal("IllegalAccessToken", f"token {ACCESS} is invalid or expired"),
                NONE_FOUND,
                refusal("E001", f"bad app_secret={APP_SECRET} access_token={NEW_ACCESS} refresh {NEW_REFRESH}"),
            ]
        )
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock, tokens=InMemoryTokenStore(), retry=RetrySettings(max_attempts=1))
            await connector.connect("the-code-XYZ")
            await connector._reader.find_by_skus("A", ["A-1"])
            try:
                await connector._reader.find_by_skus("B", ["B-1"])
            except ChosyncError as exc:
                errors.append(f"{exc!s} {exc!r} {exc.hint}")
    assert any(e["event"] == "lazada.request" for e in events)
    assert any(e["event"] == "lazada.token_refreshed" for e in events)
    assert errors
    text = repr(events) + " ".join(errors)
    for secret in secrets:
        assert secret not in text
