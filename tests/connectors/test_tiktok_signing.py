"""TikTok request signing: the published vectors, properties, and the requests the client really sends."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from connectors.tiktok.signing import sign, string_to_sign
from tests.connectors.conftest import FakeClock
from tests.connectors.tiktok_fixtures import ACCESS, APP_KEY, BASE, CIPHER, SEARCH, independent_sign, make_connector, ok

pytestmark = pytest.mark.anyio


def test_the_sdk_vector() -> None:
    assert string_to_sign("app_secret", "/test-api", {"foo": "bar"}) == "app_secret/test-apifoobarapp_secret"
    assert sign("app_secret", "/test-api", {"foo": "bar"}).startswith("d3cb7fe11ecae942802ceeca67e7cf10")


def test_the_documented_shops_vector() -> None:
    query = {"app_key": "123456", "timestamp": "1234567890"}
    assert sign("abc000def111", "/authorization/202309/shops", query) == (
        "c8767e4fd7a1b48a0ce3fd23197f058159ce11b53f1ae1ad6d1ec931a1da5540"
    )


def test_the_post_vector_with_a_body() -> None:
    query = {"app_key": "abc", "timestamp": 1623812664, "shop_cipher": "ROW_x", "page_size": 20, "sign": "x"}
    assert sign("sec", "/order/202309/orders/search", query, '{"order_status":"UNPAID"}') == (
        "2959fbd906954a4b8545b75547ce9097b867b91417d0be391849e8023a728f03"
    )


_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_queries = st.dictionaries(_keys, st.text(alphabet=st.characters(codec="utf-8"), max_size=12), max_size=6)


@given(query=_queries, body=st.text(max_size=40))
def test_the_order_of_the_query_does_not_matter(query: dict[str, str], body: str) -> None:
    reordered = dict(reversed(list(query.items())))
    assert sign("s", "/p", query, body) == sign("s", "/p", reordered, body)


@given(query=_queries, token=st.text(max_size=20), old_sign=st.text(max_size=20))
def test_sign_and_access_token_are_not_signed(query: dict[str, str], token: str, old_sign: str) -> None:
    assert sign("s", "/p", {**query, "access_token": token, "sign": old_sign}) == sign("s", "/p", query)


@given(query=_queries, body=st.text(min_size=1, max_size=40))
def test_the_body_is_signed(query: dict[str, str], body: str) -> None:
    assert sign("s", "/p", query, body) != sign("s", "/p", query, body + "x")


async def test_a_shop_call_is_signed_as_sent(clock: FakeClock) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(SEARCH).mock(return_value=ok({"products": [], "next_page_token": ""}))
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock)
            assert await connector.find_by_sku("BUOI-1") is None
    request = route.calls[0].request
    params = request.url.params
    assert (params["app_key"], params["shop_cipher"], params["timestamp"]) == (
        APP_KEY,
        CIPHER,
        str(int(clock().timestamp())),
    )
    assert request.headers["x-tts-access-token"] == ACCESS
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"seller_skus": ["BUOI-1"]}
    assert params["sign"] == independent_sign(request)
