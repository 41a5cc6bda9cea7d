"""The Shopee sandbox's gateway: signatures, timestamps, and the token flow with its lifetimes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from simulators.common.faults import ManualClock
from simulators.shopee.sandbox import ENDPOINT_PATHS, ShopeeSandbox
from simulators.shopee.wire import push_authorization, shopee_sign, sign_base

from .shopee_api import PARTNER_ID, PARTNER_KEY, SHOP_ID, ShopeeApi, hmac_hex

pytestmark = pytest.mark.anyio

# marketplaces/test-vectors.md
SHOP_BASE = "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
SHOP_SIGN = "9fdae5aeed86e753249982ec04aa54339280f12d3f456b9e3f7d8ee91e66a2b3"
PUBLIC_BASE = "2001887/api/v2/auth/token/get1655714431"
PUBLIC_SIGN = "4347600f52b50a77f5ecee90bf489adf3cec2d59d3c2febe004674f37def5451"
PUSH_URL, PUSH_BODY = "https://example.com/cb", '{"code":3,"shop_id":123}'
PUSH_SIGN = "76a4ff531dc7177eaa09d0b353e928fe2e6a65886cf337cb0e7d99b998a3e50e"


@pytest.mark.parametrize(
    ("base", "expected"),
    [pytest.param(SHOP_BASE, SHOP_SIGN, id="shop"), pytest.param(PUBLIC_BASE, PUBLIC_SIGN, id="public")],
)
def test_both_signers_match_the_published_vectors(base: str, expected: str) -> None:
    assert hmac_hex(PARTNER_KEY, base) == expected
    assert shopee_sign(PARTNER_KEY, base) == expected


def test_sandbox_builds_the_documented_base_strings() -> None:
    token = "59777174636562737266615546704c6d"
    assert sign_base(2001887, "/api/v2/shop/get_shop_info", 1655714431, token, 14701711) == SHOP_BASE
    assert sign_base(2001887, "/api/v2/auth/token/get", 1655714431) == PUBLIC_BASE


def test_push_signature_matches_the_vector() -> None:
    assert hmac_hex(PARTNER_KEY, f"{PUSH_URL}|{PUSH_BODY}") == PUSH_SIGN
    assert push_authorization(PARTNER_KEY, PUSH_URL, PUSH_BODY.encode()) == PUSH_SIGN


async def test_a_correctly_signed_shop_call_is_answered(api: ShopeeApi) -> None:
    response = await api.get("product/get_category", {"language": "vi"})
    envelope = response.json()
    assert response.status_code == 200
    assert envelope["error"] == "" and envelope["message"] == "" and envelope["request_id"]
    assert any(c["category_id"] == 100111 for c in envelope["response"]["category_list"])


async def test_a_wrong_signature_is_refused(api: ShopeeApi) -> None:
    api.partner_key = "not_the_key"
    response = await api.get("product/get_category")
    assert response.status_code == 403
    assert response.json()["error"] == "error_sign"
    assert response.json()["message"] == "Wrong sign."


async def test_the_signature_covers_the_shop_id(api: ShopeeApi) -> None:
    path = "/api/v2/product/get_category"
    params = api.params(path) | {"shop_id": 999}
    response = await api.http.get(path, params=params)
    assert response.json()["error"] == "error_sign"


async def test_a_missing_partner_id_is_a_param_error_in_a_200(api: ShopeeApi) -> None:
    response = await api.http.get("/api/v2/product/get_category")
    assert response.status_code == 200
    assert response.json()["error"] == "error_param"
    assert "partner_id" in response.json()["message"]


async def test_an_unknown_partner_is_refused(api: ShopeeApi) -> None:
    api.partner_id = 999
    response = await api.get("product/get_category")
    assert (response.status_code, response.json()["error"]) == (403, "invalid_partner_id")


@pytest.mark.parametrize(
    ("age", "accepted"),
    [
        pytest.param(299, True, id="299s-old"),
        pytest.param(301, False, id="301s-old"),
        pytest.param(-30, True, id="30s-ahead"),
        pytest.param(-120, False, id="120s-ahead"),
    ],
)
async def test_timestamps_are_valid_for_five_minutes(api: ShopeeApi, age: int, accepted: bool) -> None:
    response = await api.get("product/get_category", timestamp=int(api.clock()) - age)
    assert (response.json()["error"] == "") is accepted
    if not accepted:
        assert response.json()["error"] == "error_param"


async def _authorise(api: ShopeeApi) -> tuple[str, int]:
    path = "/api/v2/shop/auth_partner"
    params = api.params(path, public=True) | {"redirect": "https://chosync.example/cb?state=x"}
    response = await api.http.get(path, params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    query = parse_qs(location.query)
    assert location.netloc == "chosync.example" and query["state"] == ["x"]
    return query["code"][0], int(query["shop_id"][0])


async def test_auth_flow_issues_a_working_token_pair(api: ShopeeApi) -> None:
    code, shop_id = await _authorise(api)
    assert shop_id == SHOP_ID
    body = {"code": code, "partner_id": PARTNER_ID, "shop_id": shop_id}
    response = await api.post("auth/token/get", body, public=True)
    answer = response.json()
    assert answer["error"] == "" and answer["expire_in"] == 4 * 3600
    assert "response" not in answer  # token calls answer at the top level
    api.access_token = answer["access_token"]
    await api.ok("GET", "product/get_category")


async def test_a_code_works_once(api: ShopeeApi) -> None:
    code, shop_id = await _authorise(api)
    body = {"code": code, "partner_id": PARTNER_ID, "shop_id": shop_id}
    assert (await api.post("auth/token/get", body, public=True)).json()["error"] == ""
    again = (await api.post("auth/token/get", body, public=True)).json()
    assert again["error"] == "error_param"


async def test_a_code_expires_after_ten_minutes(api: ShopeeApi, clock: ManualClock) -> None:
    code, shop_id = await _authorise(api)
    clock.advance(601)
    body = {"code": code, "partner_id": PARTNER_ID, "shop_id": shop_id}
    assert (await api.post("auth/token/get", body, public=True)).json()["error"] == "error_param"


async def _refresh(api: ShopeeApi, refresh_token: str) -> httpx.Response:
    body = {"refresh_token": refresh_token, "partner_id": PARTNER_ID, "shop_id": SHOP_ID}
    return await api.post("auth/access_token/get", body, public=True)


async def test_refresh_gives_a_new_pair_and_each_refresh_token_works_once(
    api: ShopeeApi, sandbox: ShopeeSandbox
) -> None:
    access, refresh = sandbox.authorize_shop(SHOP_ID)
    first = (await _refresh(api, refresh)).json()
    assert first["error"] == ""
    assert first["access_token"] != access and first["refresh_token"] != refresh
    assert (first["partner_id"], first["shop_id"]) == (PARTNER_ID, SHOP_ID)
    second = (await _refresh(api, refresh)).json()
    assert second["error"] == "error_param"
    assert "invalid refresh_token" in second["message"]
    assert (await _refresh(api, first["refresh_token"])).json()["error"] == ""


async def test_the_old_access_token_lives_five_minutes_after_a_refresh(
    api: ShopeeApi, sandbox: ShopeeSandbox, clock: ManualClock
) -> None:
    api.access_token, refresh = sandbox.authorize_shop(SHOP_ID)
    fresh = (await _refresh(api, refresh)).json()["access_token"]
    clock.advance(299)
    await api.ok("GET", "product/get_category")
    clock.advance(2)
    response = await api.get("product/get_category")
    assert response.json() | {"request_id": ""} == {
        "request_id": "",
        "error": "error_auth",
        "message": "Invalid access_token.",
    }
    api.access_token = fresh
    await api.ok("GET", "product/get_category")


async def test_an_access_token_expires_after_four_hours(api: ShopeeApi, clock: ManualClock) -> None:
    clock.advance(4 * 3600 - 10)
    await api.ok("GET", "product/get_category")
    clock.advance(10)
    response = await api.get("product/get_category")
    assert (response.status_code, response.json()["error"]) == (403, "error_auth")


async def test_a_refresh_token_expires_after_thirty_days(
    api: ShopeeApi, sandbox: ShopeeSandbox, clock: ManualClock
) -> None:
    _, refresh = sandbox.authorize_shop(SHOP_ID)
    clock.advance(30 * 24 * 3600)
    assert (await _refresh(api, refresh)).json()["error"] == "error_param"


async def test_a_token_only_opens_its_own_shop(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    api.shop_id = 14701712  # the other shop, signed correctly, but with SHOP_ID's token
    assert (await api.get("product/get_category")).json()["error"] == "error_auth"


async def test_unknown_paths_and_wrong_methods(api: ShopeeApi) -> None:
    unknown = await api.get("product/no_such_call")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "error_not_found")
    wrong = await api.post("product/get_category", {})
    assert wrong.status_code == 405


async def test_a_body_that_is_not_json_is_refused(api: ShopeeApi) -> None:
    path = "/api/v2/product/add_item"
    response = await api.http.post(path, params=api.params(path), content=b"{not json")
    assert response.json()["error"] == "error_param"


@pytest.mark.parametrize("path", ENDPOINT_PATHS)
async def test_every_endpoint_is_routed_behind_the_gateway(api: ShopeeApi, path: str) -> None:
    """An unsigned call reaches the gateway's partner check, not a 404, on every implemented path."""
    method = "POST" if path.rsplit("/", 1)[-1].startswith(("add", "update", "delete", "unlist", "init")) else "GET"
    if path.startswith(("/api/v2/auth/", "/api/v2/media_space/")):
        method = "POST"
    response = await api.http.request(method, path)
    assert (response.status_code, response.json()["error"]) == (200, "error_param")
