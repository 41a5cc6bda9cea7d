"""TikTok Shop request signing and the gateway's first checks: the published vectors, tampering, the clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulators.common.faults import ManualClock
from simulators.tiktok.wire import tiktok_sign

from .tiktok_api import APP_SECRET, START, TikTokApi, connected, hmac_hex, make_sandbox

SHOPS = "/authorization/202309/shops"
WAREHOUSES = "/logistics/202309/warehouses"
pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("secret", "path", "query", "body", "digest"),
    [
        pytest.param(
            "app_secret",
            "/test-api",
            {"foo": "bar"},
            b"",
            "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f",
            id="sdk-get",
        ),
        pytest.param(
            "abc000def111",
            SHOPS,
            {"app_key": "123456", "timestamp": "1234567890"},
            b"",
            "c8767e4fd7a1b48a0ce3fd23197f058159ce11b53f1ae1ad6d1ec931a1da5540",
            id="doc-shops",
        ),
        pytest.param(
            "sec",
            "/order/202309/orders/search",
            {
                "app_key": "abc",
                "page_size": "20",
                "shop_cipher": "ROW_x",
                "timestamp": "1623812664",
                "sign": "ignored",
                "access_token": "ignored",
            },
            b'{"order_status":"UNPAID"}',
            "2959fbd906954a4b8545b75547ce9097b867b91417d0be391849e8023a728f03",
            id="post-with-body",
        ),
    ],
)
def test_the_published_vectors_reproduce(
    secret: str, path: str, query: dict[str, str], body: bytes, digest: str
) -> None:
    assert tiktok_sign(secret, path, query, body) == digest
    assert hmac_hex(secret, path, query, body) == digest  # the tests' own client agrees


_text = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x1EFF), min_size=1, max_size=12)
_query = st.dictionaries(st.sampled_from(["app_key", "timestamp", "shop_cipher", "page_size", "x"]), _text, min_size=1)


@given(path=_text, query=_query, body=st.binary(max_size=40), change=st.sampled_from(["path", "query", "body"]))
def test_any_change_to_path_query_or_body_breaks_the_signature(
    path: str, query: dict[str, str], body: bytes, change: str
) -> None:
    signed = tiktok_sign(APP_SECRET, f"/{path}", query, body)
    if change == "path":
        other = tiktok_sign(APP_SECRET, f"/{path}x", query, body)
    elif change == "query":
        key = sorted(query)[0]
        other = tiktok_sign(APP_SECRET, f"/{path}", {**query, key: query[key] + "1"}, body)
    else:
        other = tiktok_sign(APP_SECRET, f"/{path}", query, body + b"!")
    assert other != signed


async def test_a_tampered_body_is_refused_as_a_bad_signature() -> None:
    clock = ManualClock(START)
    sandbox = make_sandbox(clock)
    async with connected(sandbox, clock) as api:
        path = "/product/202502/products/search"
        params = api.params(path, b'{"status":"ALL"}', extra={"page_size": 10})
        headers = {"x-tts-access-token": api.access_token, "content-type": "application/json"}
        response = await api.http.post(path, params=params, content=b'{"status":"DELETED"}', headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, 106001)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-300, True), (-301, False), (30, True), (31, False)],
    ids=["5-min-old", "too-old", "30-s-ahead", "too-far-ahead"],
)
async def test_the_timestamp_must_be_within_five_minutes_back_and_thirty_seconds_ahead(
    offset: int, accepted: bool
) -> None:
    clock = ManualClock(START)
    sandbox = make_sandbox(clock)
    async with connected(sandbox, clock) as api:
        response = await api.call("GET", WAREHOUSES, timestamp=START + offset)
    expected = (200, 0) if accepted else (401, 36009004)
    assert (response.status_code, response.json()["code"]) == expected


async def test_unknown_paths_methods_and_apps_are_refused_in_the_envelope() -> None:
    clock = ManualClock(START)
    sandbox = make_sandbox(clock)
    async with connected(sandbox, clock) as api:
        missing = await api.call("GET", "/product/202309/nothing")
        wrong_method = await api.call("POST", WAREHOUSES, {})
        api_with_bad_key = TikTokApi(api.http, clock)
        params = api_with_bad_key.params(WAREHOUSES) | {"app_key": "nobody"}
        unknown_app = await api.http.get(WAREHOUSES, params=params)
    assert (missing.status_code, missing.json()["code"]) == (404, 36009009)
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, 36009010)
    assert (unknown_app.status_code, unknown_app.json()["code"]) == (401, 36009004)
    assert set(missing.json()) == {"code", "message", "request_id", "data"}
