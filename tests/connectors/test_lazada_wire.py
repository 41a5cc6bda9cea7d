"""The Lazada error boundary: throttles waited out without spending attempts, refusals parked with Lazada's
words and the SKUs it names, failures that may have been applied never repeated blindly."""

from __future__ import annotations

import httpx
import pytest
import respx

from connectors.kit.retry import RetrySettings
from connectors.lazada.errors import LazadaRefusal, ban_seconds
from core.errors import ChosyncError, OutcomeUnknown, PermanentError, RetryableError
from tests.connectors.conftest import JPEG, FakeClock, product
from tests.connectors.lazada_fixtures import (
    CREATE,
    NONE_FOUND,
    PRODUCTS,
    UPLOAD,
    make_connector,
    ok,
    refusal,
)

pytestmark = pytest.mark.anyio
ONE_ATTEMPT = RetrySettings(max_attempts=1, rate_limited_wait_s=1.0)
HOSTED = ok({"image": {"url": "https://vn-live.slatic.test/p/1.jpg", "hash_code": "h1"}})


@pytest.mark.parametrize(
    ("answer", "wait"),
    [
        pytest.param(
            refusal("ApiCallLimit", "Api access frequency exceeds the limit. this ban will last 2 seconds"),
            2.0,
            id="api-call-limit-waits-its-ban",
        ),
        pytest.param(refusal("901", "E901: request is too frequent"), 1.0, id="901"),
        pytest.param(refusal("SYS_REQUEST_TOO_FAST", "The request is too fast"), 1.0, id="too-fast"),
        pytest.param(httpx.Response(429, json={"code": "ApiCallLimit", "message": "x"}), 1.0, id="http-429"),
    ],
)
async def test_a_throttle_waits_and_spends_no_attempt(clock: FakeClock, answer: httpx.Response, wait: float) -> None:
    with respx.mock() as router:
        route = router.get(PRODUCTS).mock(side_effect=[answer, answer, answer, NONE_FOUND])
        async with httpx.AsyncClient() as http:
            connector = make_connector(http, clock, retry=ONE_ATTEMPT)
            assert await connector._reader.find_by_skus("TRA-TC", ["TRA-TC-200"]) is None
    assert route.call_count == 4
    assert clock.sleeps == [wait] * 3


def test_the_ban_is_read_from_lazadas_message() -> None:
    assert ban_seconds("Api access frequency exceeds the limit. this ban will last 1 seconds") == 1.0
    assert ban_seconds("E901: request is too frequent") is None


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        pytest.param("IncompleteSignature", "The request signature does not conform", PermanentError, id="signature"),
        pytest.param("InvalidTimestamp", "timestamp out of window", PermanentError, id="clock"),
        pytest.param("4227", "PrimaryCategory is not a leaf", PermanentError, id="category"),
        pytest.param("SomethingNew", "a code nobody wrote down", PermanentError, id="unknown-code"),
        pytest.param("998", "campaign downgrade", RetryableError, id="campaign-downgrade"),
    ],
)
async def test_codes_resolve_as_the_tables_say(clock: FakeClock, code: str, message: str, kind: type) -> None:
    with respx.mock() as router:
        router.get(PRODUCTS).mock(return_value=refusal(code, message))
        async with httpx.AsyncClient() as http:
            with pytest.raises(ChosyncError) as caught:
                await make_connector(http, clock, retry=ONE_ATTEMPT)._reader.find_by_skus("A", ["A-1"])
    assert isinstance(caught.value, kind)
    assert message in str(caught.value)


async def test_a_validation_refusal_parks_with_lazadas_message_and_the_sku_it_names(clock: FakeClock) -> None:
    tea = product(images=("https://img.test/tra-1.jpg",))
    detail = [{"field": "package_weight", "message": "too heavy", "seller_sku": "TRA-TC-500"}]
    with respx.mock() as router:
        router.get("https://img.test/tra-1.jpg").mock(return_value=httpx.Response(200, content=JPEG))
        router.post(UPLOAD).mock(return_value=HOSTED)
        router.get(PRODUCTS).mock(return_value=NONE_FOUND)
        router.post(CREATE).mock(
            return_value=refusal("4164", "package_weight of TRA-TC-500 is over 40 kg", detail=detail)
        )
        async with httpx.AsyncClient() as http:
            with pytest.raises(LazadaRefusal) as caught:
                await make_connector(http, clock).create_listing(tea)
    error = caught.value
    assert (error.code, error.field, error.skus) == ("4164", "weight_g", ("TRA-TC-500",))
    assert "at most 40 kg" in str(error) and "TRA-TC-500: package_weight: too heavy" in str(error)


async def test_an_internal_error_on_create_is_an_unknown_outcome_never_resent(clock: FakeClock) -> None:
    tea = product(images=("https://img.test/tra-1.jpg",))
    with respx.mock() as router:
        router.get("https://img.test/tra-1.jpg").mock(return_value=httpx.Response(200, content=JPEG))
        router.post(UPLOAD).mock(return_value=HOSTED)
        router.get(PRODUCTS).mock(return_value=NONE_FOUND)
        create = router.post(CREATE).mock(
            return_value=httpx.Response(500, json={"type": "SYSTEM", "code": "InternalError", "message": "oops"})
        )
        async with httpx.AsyncClient() as http:
            with pytest.raises(OutcomeUnknown):
                await make_connector(http, clock).create_listing(tea)
    assert create.call_count == 1


async def test_an_html_gateway_page_on_a_read_is_retried(clock: FakeClock) -> None:
    page = httpx.Response(502, text="<html><h1>502 Bad Gateway</h1></html>", headers={"content-type": "text/html"})
    with respx.mock() as router:
        route = router.get(PRODUCTS).mock(side_effect=[page, NONE_FOUND])
        async with httpx.AsyncClient() as http:
            assert await make_connector(http, clock)._reader.find_by_skus("A", ["A-1"]) is None
    assert route.call_count == 2
