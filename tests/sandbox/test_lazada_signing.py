"""Lazada request signing and the gateway's first checks: the official vectors, tampering, empty values, the clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulators.common.faults import ManualClock
from simulators.lazada.wire import lazada_sign, sign_base

from .lazada_api import APP_SECRET, START, LazadaApi, connected, make_sandbox, signature

pytestmark = pytest.mark.anyio
BRANDS = "/category/brands/query"
PRODUCTS = "/products/get"
OFFICIAL = {"app_key": "123456", "access_token": "test", "timestamp": "1517820392000", "sign_method": "sha256",
            "order_id": "1234"}  # fmt: skip


@pytest.mark.parametrize(
    ("secret", "path", "params", "base", "digest"),
    [
        pytest.param(
            "helloworld",
            "/order/get",
            OFFICIAL | {"sign": "ignored"},
            "/order/getaccess_tokentestapp_key123456order_id1234sign_methodsha256timestamp1517820392000",
            "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A",
            id="official-example",
        ),
        pytest.param(
            "helloworld",
            "/order/get",
            OFFICIAL | {"partner_id": "lazop-sdk-python-20181207"},
            "/order/getaccess_tokentestapp_key123456order_id1234partner_idlazop-sdk-python-20181207"
            "sign_methodsha256timestamp1517820392000",
            "5EEE81BBC08DA75A2075FE843CB0E5629409CF5EF272BB7AD92CDF293A43A80C",
            id="python-sdk-partner-id",
        ),
        pytest.param(
            "test_secret",
            "/orders/get",
            {
                "app_key": "123456",
                "access_token": "tok",
                "created_after": "2024-01-01T00:00:00+07:00",
                "limit": "10",
                "offset": "0",
                "sign_method": "sha256",
                "timestamp": "1517820392000",
            },
            "/orders/getaccess_tokentokapp_key123456created_after2024-01-01T00:00:00+07:00limit10offset0"
            "sign_methodsha256timestamp1517820392000",
            "D30942A9399F66A8718F8B15380A9A0C0987241952209936BED4AE04827EADF1",
            id="test-vectors-orders",
        ),
    ],
)
def test_the_published_vectors_reproduce(
    secret: str, path: str, params: dict[str, str], base: str, digest: str
) -> None:
    assert sign_base(path, params) == base
    assert lazada_sign(secret, path, params) == digest
    assert signature(secret, path, params) == digest  # the tests' own client agrees


_text = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x1EFF), min_size=1, max_size=12)
_params = st.dictionaries(st.sampled_from(["app_key", "timestamp", "access_token", "filter", "payload"]), _text,
                          min_size=1)  # fmt: skip


@given(path=_text, params=_params, change=st.sampled_from(["path", "value", "name", "added"]))
def test_any_change_to_the_path_or_the_params_breaks_the_signature(
    path: str, params: dict[str, str], change: str
) -> None:
    signed = lazada_sign(APP_SECRET, f"/{path}", params)
    key = sorted(params)[0]
    if change == "path":
        other = lazada_sign(APP_SECRET, f"/{path}x", params)
    elif change == "value":
        other = lazada_sign(APP_SECRET, f"/{path}", {**params, key: params[key] + "1"})
    elif change == "name":
        other = lazada_sign(APP_SECRET, f"/{path}", {k if k != key else f"{k}_": v for k, v in params.items()})
    else:
        other = lazada_sign(APP_SECRET, f"/{path}", {**params, "zz_extra": "1"})
    assert other != signed
    assert signed == signed.upper() and len(signed) == 64


async def test_a_tampered_parameter_is_refused_as_an_incomplete_signature(clock: ManualClock) -> None:
    sandbox = make_sandbox(clock)
    async with connected(sandbox, clock) as api:
        params = api.signed(PRODUCTS, {"filter": "live"}) | {"filter": "deleted"}
        tampered = (await api.http.get(PRODUCTS, params=params)).json()
        moved = api.signed(PRODUCTS, {"filter": "live"})
        other_path = (await api.http.get("/product/item/get", params=moved | {"item_id": "1"})).json()
        await api.ok("GET", PRODUCTS, {"filter": "live"})
    assert tampered["code"] == other_path["code"] == "IncompleteSignature"


async def test_a_post_signs_its_form_body_and_a_lowercase_signature_is_accepted(clock: ManualClock) -> None:
    sandbox = make_sandbox(clock)
    async with connected(sandbox, clock) as api:
        params = api.signed(BRANDS, {"startRow": 0, "pageSize": 2}, token=False)
        lower = await api.http.post(BRANDS, data=params | {"sign": params["sign"].lower()})
        split = await api.http.post(BRANDS, params={"app_key": params.pop("app_key")}, data=params)
    assert lower.json()["code"] == split.json()["code"] == "0", "query and form params are one set"
    assert [b["name"] for b in lower.json()["data"]["module"]] == ["No Brand", "HTX Dân Tiến"]


@pytest.mark.parametrize(
    ("policy", "signed_with_empty", "code"),
    [
        pytest.param("refuse", True, "MissingParameter", id="refused-by-default"),
        pytest.param("refuse", False, "MissingParameter", id="refused-whatever-the-signature"),
        pytest.param("skip", False, "0", id="skip-java-sdk"),
        pytest.param("skip", True, "IncompleteSignature", id="skip-but-signed"),
        pytest.param("sign", True, "0", id="sign-python-sdk"),
        pytest.param("sign", False, "IncompleteSignature", id="sign-but-left-out"),
    ],
)
async def test_an_empty_valued_parameter_follows_the_config(
    clock: ManualClock, policy: str, signed_with_empty: bool, code: str
) -> None:
    sandbox = make_sandbox(clock, empty_params=policy)
    async with connected(sandbox, clock) as api:
        params = api.signed(PRODUCTS, {"filter": "all"})
        if signed_with_empty:
            params = api.signed(PRODUCTS, {"filter": "all", "update_after": ""})
        else:
            params["update_after"] = ""
        answer = (await api.http.get(PRODUCTS, params=params)).json()
    assert answer["code"] == code
    if code == "MissingParameter":
        assert "update_after" in answer["message"]


@pytest.mark.parametrize(
    ("offset_s", "accepted"),
    [(-7200, True), (-7201, False), (7200, True), (7201, False)],
    ids=["2-h-old", "too-old", "2-h-ahead", "too-far-ahead"],
)
async def test_the_timestamp_must_be_within_7200_seconds(clock: ManualClock, offset_s: int, accepted: bool) -> None:
    sandbox = make_sandbox(clock)
    async with connected(sandbox, clock) as api:
        answer = (await api.get(PRODUCTS, timestamp=(START + offset_s) * 1000)).json()
    assert answer["code"] == ("0" if accepted else "InvalidTimestamp")


async def test_an_iso_timestamp_is_accepted_and_a_bad_one_refused(clock: ManualClock) -> None:
    sandbox = make_sandbox(clock)
    async with connected(sandbox, clock) as api:
        iso = (await api.get(PRODUCTS, timestamp="2023-11-14T22:13:20+00:00")).json()
        bad = (await api.get(PRODUCTS, timestamp="yesterday")).json()
    assert (iso["code"], bad["code"]) == ("0", "InvalidTimestamp")


async def test_the_gateway_checks_path_app_timestamp_signature_then_token_in_that_order(clock: ManualClock) -> None:
    sandbox = make_sandbox(clock)
    async with connected(sandbox, clock) as api:
        missing = await api.get("/product/nothing")
        wrong_method = await api.post(PRODUCTS)
        stranger = LazadaApi(api.http, clock, ("999999", APP_SECRET))
        unknown_app = await stranger.get(PRODUCTS, timestamp=1)
        stale_and_unsigned = await api.http.get(PRODUCTS, params=api.signed(PRODUCTS, timestamp=1) | {"sign": "x"})
        unsigned = await api.http.get(PRODUCTS, params=api.signed(PRODUCTS) | {"sign": "x"})
        md5 = await api.get(PRODUCTS, {"sign_method": "md5"})
        api.access_token = "made-up"
        no_token = await api.get(PRODUCTS)
    assert (missing.status_code, missing.json()["code"], missing.json()["type"]) == (404, "InvalidApiPath", "ISP")
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (404, "InvalidApiPath")
    assert [r.status_code for r in (unknown_app, stale_and_unsigned, unsigned, md5, no_token)] == [200] * 5
    assert [r.json()["code"] for r in (unknown_app, stale_and_unsigned, unsigned, md5, no_token)] == [
        "InvalidAppKey",
        "InvalidTimestamp",
        "IncompleteSignature",
        "IncompleteSignature",
        "IllegalAccessToken",
    ]
    assert no_token.json()["message"] == "The specified access token is invalid or expired"


async def test_without_strict_methods_a_get_path_takes_a_post(clock: ManualClock) -> None:
    sandbox = make_sandbox(clock, strict_methods=False)
    async with connected(sandbox, clock) as api:
        assert (await api.ok("POST", PRODUCTS))["total_products"] == 0
