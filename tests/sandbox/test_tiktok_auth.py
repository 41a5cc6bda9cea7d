"""TikTok Shop authorisation on the sandbox: the token host, token lifetimes, and the gateway's token checks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from simulators.common.faults import ManualClock
from simulators.tiktok.sandbox import TikTokSandbox

from .tiktok_api import APP_KEY, APP_SECRET, OTHER_SHOP, SHOP, START, TikTokApi, make_sandbox

pytestmark = pytest.mark.anyio
WAREHOUSES = "/logistics/202309/warehouses"
DAY = 86_400


async def token_get(http: httpx.AsyncClient, code: str, secret: str = APP_SECRET) -> dict[str, Any]:
    query = {"app_key": APP_KEY, "app_secret": secret, "auth_code": code, "grant_type": "authorized_code"}
    response = await http.get("/api/v2/token/get", params=query)
    assert response.status_code in (200, 401)
    envelope: dict[str, Any] = response.json()
    return envelope


async def token_refresh(http: httpx.AsyncClient, refresh_token: str) -> dict[str, Any]:
    query = {
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "refresh_token": refresh_token,
        "grant_type": "refresh_token",
    }
    envelope: dict[str, Any] = (await http.get("/api/v2/token/refresh", params=query)).json()
    return envelope


@pytest.fixture
def tiktok(clock: ManualClock) -> TikTokSandbox:
    return make_sandbox(clock)


async def test_an_auth_code_buys_one_token_pair_with_absolute_expiries(tiktok: TikTokSandbox) -> None:
    code = tiktok.authorize_shop(SHOP.shop_id)
    async with tiktok.client() as http:
        first = await token_get(http, code)
        again = await token_get(http, code)
    data = first["data"]
    assert first["code"] == 0
    assert data["access_token_expire_in"] == START + 7 * DAY
    assert data["refresh_token_expire_in"] == START + 365 * DAY
    assert (data["seller_name"], data["seller_base_region"], data["user_type"]) == (SHOP.name, "VN", 0)
    assert (again["code"], again["data"]) == (36004004, None), "an auth code is single use"


async def test_an_auth_code_expires_after_thirty_minutes(tiktok: TikTokSandbox, clock: ManualClock) -> None:
    code = tiktok.authorize_shop(SHOP.shop_id)
    clock.advance(30 * 60)
    async with tiktok.client() as http:
        assert (await token_get(http, code))["code"] == 36004004


async def test_a_wrong_app_secret_gets_no_token(tiktok: TikTokSandbox) -> None:
    async with tiktok.client() as http:
        refused = await token_get(http, tiktok.authorize_shop(SHOP.shop_id), secret="guess")
    assert refused["code"] == 36009004


async def test_a_refresh_rotates_the_refresh_token_and_ends_the_old_access_token(
    tiktok: TikTokSandbox, clock: ManualClock
) -> None:
    old = tiktok.grant_tokens(SHOP.shop_id)
    async with tiktok.client() as http:
        api = TikTokApi(http, clock)
        api.access_token = old["access_token"]
        await api.ok("GET", WAREHOUSES)
        clock.advance(60)
        renewed = (await token_refresh(http, old["refresh_token"]))["data"]
        stale = await api.call("GET", WAREHOUSES)
        replayed = await token_refresh(http, old["refresh_token"])
        api.access_token = renewed["access_token"]
        await api.ok("GET", WAREHOUSES)
    assert renewed["refresh_token"] != old["refresh_token"]
    assert renewed["access_token_expire_in"] == START + 60 + 7 * DAY
    assert (stale.status_code, stale.json()["code"]) == (401, 105002)
    assert replayed["code"] == 36004004, "a rotated refresh token is spent"


async def test_without_rotation_the_refresh_token_is_kept(clock: ManualClock) -> None:
    tiktok = make_sandbox(clock, rotate_refresh_token=False)
    old = tiktok.grant_tokens(SHOP.shop_id)
    async with tiktok.client() as http:
        first = (await token_refresh(http, old["refresh_token"]))["data"]
        second = (await token_refresh(http, old["refresh_token"]))["data"]
    assert first["refresh_token"] == second["refresh_token"] == old["refresh_token"]
    assert first["access_token"] != second["access_token"]


async def test_an_expired_access_token_is_refused_with_105002_and_401(
    tiktok: TikTokSandbox, clock: ManualClock
) -> None:
    async with tiktok.client() as http:
        api = TikTokApi(http, clock)
        api.access_token = tiktok.grant_tokens(SHOP.shop_id)["access_token"]
        clock.advance(7 * DAY - 1)
        await api.ok("GET", WAREHOUSES)
        clock.advance(1)
        expired = await api.call("GET", WAREHOUSES)
    assert (expired.status_code, expired.json()["code"], expired.json()["message"]) == (
        401,
        105002,
        "access token expired",
    )


@pytest.mark.parametrize(
    ("token", "cipher", "code"),
    [
        pytest.param("", SHOP.cipher, 36009004, id="no-token"),
        pytest.param("ROW_made_up", SHOP.cipher, 36009004, id="unknown-token"),
        pytest.param("ok", None, 106013, id="no-shop-cipher"),
        pytest.param("ok", OTHER_SHOP.cipher, 36009004, id="another-shops-cipher"),
    ],
)
async def test_the_gateway_refuses_bad_tokens_and_ciphers_with_401(
    tiktok: TikTokSandbox, clock: ManualClock, token: str, cipher: str | None, code: int
) -> None:
    async with tiktok.client() as http:
        api = TikTokApi(http, clock)
        api.access_token = tiktok.grant_tokens(SHOP.shop_id)["access_token"] if token == "ok" else token
        params = api.params(WAREHOUSES, shop=cipher is not None)
        if cipher is not None:
            params = api.params(WAREHOUSES, shop=False, extra={"shop_cipher": cipher})
        response = await http.get(WAREHOUSES, params=params, headers={"x-tts-access-token": api.access_token})
    assert (response.status_code, response.json()["code"]) == (401, code)


async def test_authorized_shops_tell_the_cipher_and_warehouses_the_default(
    tiktok: TikTokSandbox, clock: ManualClock
) -> None:
    async with tiktok.client() as http:
        api = TikTokApi(http, clock)
        api.access_token = tiktok.grant_tokens(SHOP.shop_id)["access_token"]
        shops = (await api.ok("GET", "/authorization/202309/shops", shop=False))["shops"]
        warehouses = (await api.ok("GET", WAREHOUSES))["warehouses"]
    assert [(s["id"], s["cipher"], s["region"]) for s in shops] == [(SHOP.shop_id, SHOP.cipher, "VN")]
    assert [(w["id"], w["is_default"]) for w in warehouses] == [
        (SHOP.warehouse_ids[0], True),
        (SHOP.warehouse_ids[1], False),
    ]
