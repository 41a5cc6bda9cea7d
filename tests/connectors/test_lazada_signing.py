"""Lazada request signing: the official worked example and the other vectors, properties, and the requests
the client really sends (every parameter signed as sent, none empty, the upload's file part unsigned)."""

from __future__ import annotations

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from connectors.lazada.signing import sign, string_to_sign, wire_params
from core.ports import ListingRef
from tests.connectors.conftest import JPEG, FakeClock
from tests.connectors.lazada_fixtures import (
    ACCESS,
    APP_KEY,
    DEACTIVATE,
    NONE_FOUND,
    PRODUCTS,
    UPLOAD,
    independent_sign,
    make_connector,
    ok,
    sent,
)

pytestmark = pytest.mark.anyio

OFFICIAL = {
    "app_key": "123456",
    "access_token": "test",
    "timestamp": "1517820392000",
    "sign_method": "sha256",
    "order_id": "1234",
}


def test_the_official_worked_example() -> None:
    assert string_to_sign("/order/get", OFFICIAL) == (
        "/order/getaccess_tokentestapp_key123456order_id1234sign_methodsha256timestamp1517820392000"
    )
    assert sign("helloworld", "/order/get", OFFICIAL) == (
        "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
    )


def test_the_official_example_with_the_python_sdks_partner_id() -> None:
    params = {**OFFICIAL, "partner_id": "lazop-sdk-python-20181207"}
    assert sign("helloworld", "/order/get", params) == (
        "5EEE81BBC08DA75A2075FE843CB0E5629409CF5EF272BB7AD92CDF293A43A80C"
    )


def test_the_orders_vector_of_the_test_vectors_sheet() -> None:
    params = {
        "access_token": "tok",
        "app_key": "123456",
        "created_after": "2024-01-01T00:00:00+07:00",
        "limit": "10",
        "offset": "0",
        "sign_method": "sha256",
        "timestamp": "1517820392000",
    }
    assert sign("test_secret", "/orders/get", params) == (
        "D30942A9399F66A8718F8B15380A9A0C0987241952209936BED4AE04827EADF1"
    )


_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_params = st.dictionaries(_keys, st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12), max_size=6)


@given(params=_params)
def test_the_order_of_the_parameters_does_not_matter(params: dict[str, str]) -> None:
    assert sign("s", "/p", params) == sign("s", "/p", dict(reversed(list(params.items()))))


@given(params=_params, old=st.text(max_size=20))
def test_sign_itself_is_not_signed(params: dict[str, str], old: str) -> None:
    assert sign("s", "/p", {**params, "sign": old}) == sign("s", "/p", params)


@given(params=_params)
def test_the_signature_is_upper_case_hex_of_sha256(params: dict[str, str]) -> None:
    signature = sign("s", "/p", params)
    assert len(signature) == 64
    assert signature == signature.upper()
    assert set(signature) <= set("0123456789ABCDEF")


@given(params=_params, path=st.sampled_from(["/a", "/b"]))
def test_the_path_is_signed(params: dict[str, str], path: str) -> None:
    assert sign("s", path, params) != sign("s", path + "x", params)


@given(params=st.dictionaries(_keys, st.one_of(st.none(), st.just(""), st.just([]), st.text(max_size=5)), max_size=8))
def test_an_empty_parameter_is_never_sent(params: dict[str, object]) -> None:
    wire = wire_params(params)
    assert all(value != "" for value in wire.values())
    assert set(wire) == {k for k, v in params.items() if v not in (None, "", [])}


def test_lists_go_as_compact_json() -> None:
    assert wire_params({"sku_seller_list": ["A-1", "Bưởi"], "flag": True}) == {
        "sku_seller_list": '["A-1","Bưởi"]',
        "flag": "true",
    }


async def test_a_get_is_signed_as_sent_with_every_parameter_in_its_query(clock: FakeClock) -> None:
    with respx.mock() as router:
        route = router.get(PRODUCTS).mock(return_value=NONE_FOUND)
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock)
            assert await connector._reader.find_by_skus("TRA-TC", ["TRA-TC-200"]) is None
    request = route.calls.last.request
    params = dict(request.url.params)
    assert (params["app_key"], params["access_token"], params["sign_method"]) == (APP_KEY, ACCESS, "sha256")
    assert params["timestamp"] == str(int(clock().timestamp() * 1000))
    assert params["sku_seller_list"] == '["TRA-TC-200"]'
    assert params["sign"] == independent_sign(request)
    assert request.content == b""


async def test_a_post_carries_every_parameter_form_encoded_and_no_token_in_its_url(clock: FakeClock) -> None:
    with respx.mock() as router:
        route = router.post(DEACTIVATE).mock(return_value=ok())
        async with httpx.AsyncClient() as http:
            result = await make_connector(http, clock).delist([ListingRef(item_id="31", models={"A": "77"})])
    assert result.ok
    request = route.calls.last.request
    assert request.url.query == b""
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    params = sent(request)
    assert params["access_token"] == ACCESS
    assert (
        params["apiRequestBody"]
        == "<Request><Product><ItemId>31</ItemId><Skus><SkuId>77</SkuId></Skus></Product></Request>"
    )
    assert params["sign"] == independent_sign(request)


async def test_the_upload_signs_its_query_and_leaves_the_file_out(clock: FakeClock) -> None:
    with respx.mock() as router:
        route = router.post(UPLOAD).mock(return_value=ok({"image": {"url": "https://lz.test/1.jpg", "hash_code": "h"}}))
        async with httpx.AsyncClient() as http:
            answer = await make_connector(http, clock).client.upload("tra.jpg", JPEG, "image/jpeg")
    assert answer["image"]["url"] == "https://lz.test/1.jpg"
    request = route.calls.last.request
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="image"' in request.content and JPEG in request.content
    assert "image" not in request.url.params
    assert request.url.params["sign"] == independent_sign(request)
