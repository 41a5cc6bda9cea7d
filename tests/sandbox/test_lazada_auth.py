"""Lazada authorisation on the simulator: flat token answers, code and refresh rules, expired access tokens."""

from __future__ import annotations

from typing import Any

import pytest

from simulators.common.faults import ManualClock
from simulators.lazada.sandbox import LazadaSandbox

from .lazada_api import APP_KEY, SELLER, LazadaApi, make_sandbox

pytestmark = pytest.mark.anyio
CREATE, REFRESH = "/auth/token/create", "/auth/token/refresh"
PRODUCTS = "/products/get"
DAY = 86_400


@pytest.fixture
def lazada(clock: ManualClock) -> LazadaSandbox:
    return make_sandbox(clock)


async def token_call(sandbox: LazadaSandbox, clock: ManualClock, path: str, **params: str) -> dict[str, Any]:
    async with sandbox.client() as http:
        response = await LazadaApi(http, clock).post(path, params, token=False)
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_code_buys_a_flat_token_answer_naming_the_seller(lazada: LazadaSandbox, clock: ManualClock) -> None:
    answer = await token_call(lazada, clock, CREATE, code=lazada.authorize_seller(SELLER.seller_id))
    assert "data" not in answer and answer["code"] == "0" and answer["request_id"]
    assert (answer["expires_in"], answer["refresh_expires_in"]) == (30 * DAY, 180 * DAY)
    assert (answer["country"], answer["account_platform"]) == ("vn", "seller_center")
    [who] = answer["country_user_info"]
    assert (who["seller_id"], who["short_code"], who["country"]) == (SELLER.seller_id, SELLER.short_code, "vn")
    assert lazada.access_tokens[answer["access_token"]].seller_id == SELLER.seller_id


async def test_a_code_is_single_use_and_lives_thirty_minutes(lazada: LazadaSandbox, clock: ManualClock) -> None:
    used = lazada.authorize_seller(SELLER.seller_id)
    await token_call(lazada, clock, CREATE, code=used)
    again = await token_call(lazada, clock, CREATE, code=used)
    late = lazada.authorize_seller(SELLER.seller_id)
    clock.advance(30 * 60)
    expired = await token_call(lazada, clock, CREATE, code=late)
    unknown = await token_call(lazada, clock, CREATE, code="0_made_up")
    missing = await token_call(lazada, clock, CREATE)
    assert [a["code"] for a in (again, expired, unknown)] == ["InvalidCode"] * 3
    assert missing["code"] == "MissingParameter"


async def test_a_refresh_renews_the_access_token_but_not_the_refresh_lifetime(
    lazada: LazadaSandbox, clock: ManualClock
) -> None:
    first = lazada.grant_tokens(SELLER.seller_id)
    clock.advance(10 * DAY)
    renewed = await token_call(lazada, clock, REFRESH, refresh_token=first["refresh_token"])
    assert "data" not in renewed and renewed["code"] == "0"
    assert "country_user_info" not in renewed
    assert renewed["country_user_info_list"][0]["seller_id"] == SELLER.seller_id
    assert renewed["expires_in"] == 30 * DAY, "the access token gets its full life"
    assert renewed["refresh_expires_in"] == 170 * DAY, "the refresh token does not"
    assert renewed["refresh_token"] != first["refresh_token"]
    clock.advance(DAY)
    old_again = await token_call(lazada, clock, REFRESH, refresh_token=first["refresh_token"])
    assert old_again["code"] == "0", "the old refresh token works until it expires"
    assert old_again["refresh_expires_in"] == 169 * DAY


async def test_without_rotation_the_same_refresh_token_comes_back(clock: ManualClock) -> None:
    lazada = make_sandbox(clock, rotate_refresh_token=False)
    first = lazada.grant_tokens(SELLER.seller_id)
    renewed = await token_call(lazada, clock, REFRESH, refresh_token=first["refresh_token"])
    assert renewed["refresh_token"] == first["refresh_token"]
    assert renewed["access_token"] != first["access_token"]


async def test_an_unknown_or_expired_refresh_token_is_illegal(lazada: LazadaSandbox, clock: ManualClock) -> None:
    first = lazada.grant_tokens(SELLER.seller_id)
    unknown = await token_call(lazada, clock, REFRESH, refresh_token="50001nothing")
    clock.advance(180 * DAY - 1)
    last = await token_call(lazada, clock, REFRESH, refresh_token=first["refresh_token"])
    clock.advance(1)
    expired = await token_call(lazada, clock, REFRESH, refresh_token=first["refresh_token"])
    rotated = await token_call(lazada, clock, REFRESH, refresh_token=last["refresh_token"])
    assert last["code"] == "0" and last["refresh_expires_in"] == 1
    assert [a["code"] for a in (unknown, expired, rotated)] == ["IllegalRefreshToken"] * 3
    assert expired["message"] == "The specified refresh token is invalid or expired"


async def test_an_expired_access_token_is_illegal_with_http_200_until_refreshed(
    lazada: LazadaSandbox, clock: ManualClock
) -> None:
    tokens = lazada.grant_tokens(SELLER.seller_id)
    async with lazada.client() as http:
        api = LazadaApi(http, clock)
        api.access_token = tokens["access_token"]
        clock.advance(30 * DAY - 1)
        await api.ok("GET", PRODUCTS)
        clock.advance(1)
        expired = await api.get(PRODUCTS)
        renewed = await api.post(REFRESH, {"refresh_token": tokens["refresh_token"]}, token=False)
        api.access_token = renewed.json()["access_token"]
        await api.ok("GET", PRODUCTS)
    assert (expired.status_code, expired.json()["code"]) == (200, "IllegalAccessToken")


async def test_expire_access_tokens_ends_every_access_token_but_no_refresh_token(
    lazada: LazadaSandbox, clock: ManualClock
) -> None:
    tokens = lazada.grant_tokens(SELLER.seller_id)
    lazada.expire_access_tokens()
    async with lazada.client() as http:
        api = LazadaApi(http, clock)
        api.access_token = tokens["access_token"]
        assert (await api.refused("GET", PRODUCTS))["code"] == "IllegalAccessToken"
    assert (await token_call(lazada, clock, REFRESH, refresh_token=tokens["refresh_token"]))["code"] == "0"


@pytest.mark.parametrize("end_old", [False, True], ids=["old-access-kept", "old-access-ended"])
async def test_a_refresh_ends_the_old_access_token_only_when_configured(clock: ManualClock, end_old: bool) -> None:
    lazada = make_sandbox(clock, end_old_access_on_refresh=end_old)
    tokens = lazada.grant_tokens(SELLER.seller_id)
    await token_call(lazada, clock, REFRESH, refresh_token=tokens["refresh_token"])
    async with lazada.client() as http:
        api = LazadaApi(http, clock)
        api.access_token = tokens["access_token"]
        answer = (await api.get(PRODUCTS)).json()
    assert answer["code"] == ("IllegalAccessToken" if end_old else "0")


async def test_a_token_of_another_app_is_illegal(clock: ManualClock) -> None:
    lazada = make_sandbox(clock, apps={APP_KEY: "test_app_secret", "200002": "other_secret"})
    other = lazada.grant_tokens(SELLER.seller_id, "200002")
    code = lazada.authorize_seller(SELLER.seller_id, "200002")
    async with lazada.client() as http:
        api = LazadaApi(http, clock)
        api.access_token = other["access_token"]
        refused = await api.refused("GET", PRODUCTS)
        exchange = await api.refused("POST", CREATE, {"code": code}, token=False)
    assert (refused["code"], exchange["code"]) == ("IllegalAccessToken", "InvalidCode")
