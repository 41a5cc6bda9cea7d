"""The Postmart mapper's limits (from the toml), its purity, and the error table as a table."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.postmart.config import load_postmart_config
from connectors.postmart.errors import check_envelope, translate_transport
from connectors.postmart.mapper import PostmartProduct, create_body, map_product
from core.catalog.records import VariantRecord
from core.errors import (
    AuthError,
    CannotConnect,
    ChosyncError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RetryableError,
)
from core.models import VariantStatus
from core.ports import AccountRules, MappedListing, payload_hash
from tests.connectors.postmart_fixtures import CATEGORIES, rice

CONFIG = load_postmart_config(username="htx", category_map=dict(CATEGORIES))


def _problems(product: Any, **settings: Any) -> set[str]:
    config = load_postmart_config(username="htx", **{"category_map": dict(CATEGORIES), **settings})
    mapped = map_product(product, AccountRules(), config)
    return set() if isinstance(mapped, MappedListing) else {p.field for p in mapped}


@pytest.mark.parametrize(
    ("product", "settings", "fields"),
    [
        pytest.param(rice(), {}, set(), id="fits"),
        pytest.param(rice(name="Gạo"), {}, {"name"}, id="name-too-short"),
        pytest.param(rice(name="Gạo " * 31), {}, {"name"}, id="name-over-120"),
        pytest.param(rice(), {"limits": {"name_max_chars": 10}}, {"name"}, id="name-limit-from-toml"),
        pytest.param(rice(images=0), {}, {"images"}, id="no-image"),
        pytest.param(rice(images=6), {}, {"images"}, id="six-images"),
        pytest.param(rice(images=6), {"limits": {"images_max": 6}}, set(), id="image-limit-from-toml"),
        pytest.param(rice(sku="S" * 51), {}, {"sku"}, id="sku-over-50"),
        pytest.param(rice(), {"category_map": {"Gạo": "gao"}}, {"category"}, id="category-not-a-gc-id"),
        pytest.param(rice().model_copy(update={"category": "Trà sen"}), {}, {"category"}, id="category-unmapped"),
        pytest.param(rice().model_copy(update={"images": ("https://a.test/x.gif",)}), {}, {"images"}, id="gif"),
        pytest.param(rice(), {"limits": {"stock_max": 10}}, {"stock"}, id="stock-over-limit"),
        pytest.param(
            rice().model_copy(
                update={
                    "variants": tuple(v.model_copy(update={"status": VariantStatus.ARCHIVED}) for v in rice().variants)
                }
            ),
            {},
            {"variants"},
            id="no-active-variant",
        ),
    ],
)
def test_mapper_limits_come_from_the_toml(product: Any, settings: dict[str, Any], fields: set[str]) -> None:
    assert _problems(product, **settings) == fields


def test_every_problem_is_reported_at_once() -> None:
    product = rice(sku="S" * 51, name="Gạo", images=0)
    assert _problems(product) == {"sku", "name", "images"}


def test_the_payload_speaks_the_wire_names_of_the_toml() -> None:
    mapped = map_product(rice(), AccountRules(price_markup_percent=10, round_to_vnd=1000), CONFIG)
    assert isinstance(mapped, MappedListing)
    body = create_body(mapped, ["a.jpg", "b.jpg"], CONFIG)
    assert (body["goods_serial"], body["gc_id"], body["goods_image"], body["goods_images"]) == (
        "GAO-ST25", 7821, "a.jpg", ["b.jpg"])  # fmt: skip
    assert body["goods_list"][0] == {"goods_serial": "GAO-ST25-1KG", "goods_spec": "Khối lượng: 1kg",
                                     "goods_price": 55_000, "goods_storage": 10}  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    name_length=st.integers(min_value=1, max_value=200),
    price=st.integers(min_value=1, max_value=10**9),
    stock=st.integers(min_value=0, max_value=10**6),
    markup=st.integers(min_value=0, max_value=5000).map(lambda bp: bp / 100),
)
def test_mapping_is_pure_and_within_limits(name_length: int, price: int, stock: int, markup: float) -> None:
    variant = VariantRecord(sku="GAO-1KG", price_vnd=price, stock=stock)
    product = rice().model_copy(update={"name": "G" * name_length, "variants": (variant,)})
    rules = AccountRules(price_markup_percent=markup)
    first, second = map_product(product, rules, CONFIG), map_product(product, rules, CONFIG)
    fits = CONFIG.limits.name_min_chars <= name_length <= CONFIG.limits.name_max_chars
    assert isinstance(first, MappedListing) == fits
    if isinstance(first, MappedListing) and isinstance(second, MappedListing):
        assert payload_hash(first.content) == payload_hash(second.content)
        assert isinstance(first.content, PostmartProduct) and len(first.content.name) <= 120
        assert first.prices["GAO-1KG"] >= price and first.stocks["GAO-1KG"] == stock


_REQUEST = httpx.Request("GET", "https://open.postmart.com.vn/apis/v1/merchant/categories/all")


def _answer(status: int, body: Any = None, *, text: str | None = None, **headers: str) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text, headers=headers, request=_REQUEST)
    return httpx.Response(status, json=body, headers=headers, request=_REQUEST)


def _envelope(code: Any, result: Any = None, message: str = "") -> dict[str, Any]:
    return {"code": code, "message": message, "result": result, "requestMethod": ""}


@pytest.mark.parametrize(
    ("response", "idempotent", "expected"),
    [
        pytest.param(_answer(200, _envelope(400, message="gc_id sai")), True, PermanentError, id="400-in-200"),
        pytest.param(_answer(200, _envelope(401)), True, AuthError, id="401-in-200-auth"),
        pytest.param(_answer(200, _envelope(404)), True, PermanentError, id="404-in-200"),
        pytest.param(_answer(200, _envelope(429)), True, RateLimited, id="429-in-200"),
        pytest.param(_answer(200, _envelope(500)), True, RetryableError, id="500-in-200-read-retried"),
        pytest.param(_answer(200, _envelope(500)), False, OutcomeUnknown, id="500-in-200-write-unknown"),
        pytest.param(_answer(200, _envelope(418)), True, PermanentError, id="unknown-4xx-code"),
        pytest.param(_answer(200, _envelope(599)), False, OutcomeUnknown, id="unknown-5xx-code"),
        pytest.param(_answer(429, None, **{"Retry-After": "7"}), False, RateLimited, id="http-429"),
        pytest.param(_answer(401, None), True, AuthError, id="http-401-no-body"),
        pytest.param(_answer(502, text="<html>502</html>"), True, RetryableError, id="http-502-html"),
        pytest.param(_answer(400, None), False, PermanentError, id="http-400-no-body"),
        pytest.param(_answer(200, text="<html>ok?</html>"), True, RetryableError, id="200-no-envelope-read"),
        pytest.param(_answer(200, text="<html>ok?</html>"), False, OutcomeUnknown, id="200-no-envelope-write"),
        pytest.param(_answer(200, {"result": []}), False, OutcomeUnknown, id="200-without-code"),
    ],
)
def test_the_error_table(response: httpx.Response, idempotent: bool, expected: type[ChosyncError]) -> None:
    with pytest.raises(expected) as raised:
        check_envelope(response, CONFIG.envelope, call="categories", idempotent=idempotent)
    assert type(raised.value) is expected
    if expected is RateLimited and response.status_code == 429:
        assert raised.value.retry_after == 7.0  # type: ignore[attr-defined]


@pytest.mark.parametrize("code", [200, "200"])
def test_success_is_code_200_and_gives_the_result(code: Any) -> None:
    assert check_envelope(_answer(200, _envelope(code, [1])), CONFIG.envelope, call="c", idempotent=True) == [1]


def test_a_code_can_be_reclassified_in_the_toml() -> None:
    config = load_postmart_config(username="htx", envelope={"codes": {"409": "retry", "503": "rate_limited"}})
    with pytest.raises(RetryableError) as retried:
        check_envelope(_answer(200, _envelope(409)), config.envelope, call="c", idempotent=False)
    assert type(retried.value) is RetryableError
    with pytest.raises(RateLimited):
        check_envelope(_answer(200, _envelope(503)), config.envelope, call="c", idempotent=False)


@pytest.mark.parametrize(
    ("exc", "idempotent", "expected"),
    [
        pytest.param(httpx.ConnectTimeout("x"), False, CannotConnect, id="connect-timeout-nothing-sent"),
        pytest.param(httpx.ConnectError("x"), False, CannotConnect, id="connect-error"),
        pytest.param(httpx.ReadTimeout("x"), False, OutcomeUnknown, id="read-timeout-write"),
        pytest.param(httpx.ReadTimeout("x"), True, RetryableError, id="read-timeout-read"),
        pytest.param(httpx.RemoteProtocolError("x"), False, OutcomeUnknown, id="dropped-write"),
    ],
)
def test_transport_failures(exc: httpx.RequestError, idempotent: bool, expected: type[ChosyncError]) -> None:
    assert type(translate_transport(exc, call="c", idempotent=idempotent)) is expected


def test_the_whole_code_table_is_config_a_code_added_there_is_followed_and_an_unlisted_class_is_permanent() -> None:
    """Every code, its class fallbacks and its message come from [envelope.codes]; nothing left in Python
    decides a code but the last resort (a code in no entry and no class: refused, not retried)."""
    config = load_postmart_config(username="htx", envelope={"codes": {
        "4xx": {"resolution": "retry", "message": "thử lại"},
        "460": {"resolution": "auth", "message": "phiên đăng nhập hết hạn", "hint": "đăng nhập lại"},
    }})  # fmt: skip
    with pytest.raises(AuthError, match="phiên đăng nhập hết hạn"):
        check_envelope(_answer(200, _envelope(460)), config.envelope, call="c", idempotent=True)
    with pytest.raises(RetryableError, match="thử lại") as retried:
        check_envelope(_answer(200, _envelope(418)), config.envelope, call="c", idempotent=False)
    assert type(retried.value) is RetryableError
    with pytest.raises(PermanentError, match="Postmart already has this"):  # the shipped entry stays
        check_envelope(_answer(200, _envelope(409)), config.envelope, call="c", idempotent=False)
    with pytest.raises(PermanentError) as unknown:
        check_envelope(_answer(200, _envelope(700)), config.envelope, call="c", idempotent=True)
    assert type(unknown.value) is PermanentError and unknown.value.code == "postmart_700"


def test_one_weight_per_product_is_the_heaviest_variants_with_a_warning_when_they_differ() -> None:
    """Postmart takes one package weight per product (ASSUMED): no parcel may be declared lighter than it is."""
    same = map_product(rice(), AccountRules(), CONFIG)
    assert isinstance(same, MappedListing)
    assert (same.content.weight_g, same.warnings) == (5200, ())
    bags = rice().model_copy(
        update={
            "variants": tuple(v.model_copy(update={"weight_g": 1050 * (k + 1)}) for k, v in enumerate(rice().variants))
        }
    )
    mapped = map_product(bags, AccountRules(), CONFIG)
    assert isinstance(mapped, MappedListing)
    assert mapped.content.weight_g == 2100
    [warning] = mapped.warnings
    assert warning.field == "weight_g" and "Postmart takes one package per product" in warning.message
    assert "2100 g" in warning.message
