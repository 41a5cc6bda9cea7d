"""The Shopee error boundary, as a table: every answer and transport failure to one of our classes."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from connectors.kit.config import ErrorSettings
from connectors.kit.retry import RetrySettings
from connectors.shopee.config import ShopeeConfig
from connectors.shopee.errors import (
    SHOPEE_CODE_RULES,
    TRANSPORT_RULES,
    Resolution,
    check_envelope,
    translate_transport,
)
from core.errors import (
    AuthError,
    CannotConnect,
    ChosyncError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RetryableError,
)
from core.ports import InMemoryTokenStore, ReauthorizeRequired
from tests.connectors.conftest import (
    ACCESS_TOKEN,
    BASE_URL,
    NOW,
    FakeClock,
    envelope,
    make_connector,
    shopee_error,
)

_REQUEST = httpx.Request("GET", f"{BASE_URL}/api/v2/product/get_item_list")


def _response(status: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=_REQUEST, **kwargs)  # type: ignore[arg-type]


def _body(code: str, message: str = "") -> dict[str, str]:
    return {"request_id": "r", "error": code, "message": message}


ANSWERS = [
    pytest.param(_response(429, headers={"Retry-After": "7"}), True, RateLimited, id="429-retry-after"),
    pytest.param(_response(429, json=_body("error_system_busy")), False, RateLimited, id="429-non-idempotent"),
    pytest.param(
        _response(200, json=_body("error_auth", "Invalid access_token.")),
        True,
        AuthError,
        id="200-error-auth",
    ),
    pytest.param(_response(403, json=_body("error_auth")), True, AuthError, id="403-error-auth"),
    pytest.param(_response(200, json=_body("common.error_auth")), True, AuthError, id="prefixed-common-auth"),
    pytest.param(_response(200, json=_body("invalid_acceess_token")), True, AuthError, id="token-typo-code"),
    pytest.param(_response(200, json=_body("product.error_busi", "x")), False, PermanentError, id="prefixed-busi"),
    pytest.param(_response(200, json=_body("error_param", "Wrong parameters")), True, PermanentError, id="error-param"),
    pytest.param(_response(200, json=_body("error_sign", "Wrong sign.")), True, PermanentError, id="error-sign"),
    pytest.param(_response(200, json=_body("error_shop")), True, ReauthorizeRequired, id="error-shop"),
    pytest.param(_response(200, json=_body("error_system_busy")), True, RateLimited, id="system-busy"),
    pytest.param(_response(200, json=_body("error_server")), False, OutcomeUnknown, id="error-server-add-item"),
    pytest.param(_response(200, json=_body("error_server")), True, RetryableError, id="error-server-read"),
    pytest.param(_response(500, json=_body("error_inner")), False, OutcomeUnknown, id="500-with-code-may-be-applied"),
    pytest.param(_response(200, json=_body("error_brand_new_thing")), True, PermanentError, id="unknown-code"),
    pytest.param(_response(500, text="oops"), True, RetryableError, id="500-idempotent"),
    pytest.param(_response(502, text="bad gateway"), False, OutcomeUnknown, id="502-add-item"),
    pytest.param(_response(503, text="down"), False, OutcomeUnknown, id="503-add-item-may-be-applied"),
    pytest.param(_response(503, text="down"), True, RetryableError, id="503-read-retried"),
    pytest.param(_response(401, text=""), True, AuthError, id="401"),
    pytest.param(_response(404, text="not here"), True, PermanentError, id="404"),
    pytest.param(_response(200, text="<html>"), True, RetryableError, id="200-malformed-idempotent"),
    pytest.param(_response(200, text="<html>"), False, OutcomeUnknown, id="200-malformed-add-item"),
    pytest.param(_response(200, json=["not", "an", "envelope"]), False, OutcomeUnknown, id="200-not-an-object"),
]


@pytest.mark.parametrize(("response", "idempotent", "expected"), ANSWERS)
def test_answers_map_to_our_errors(response: httpx.Response, idempotent: bool, expected: type[ChosyncError]) -> None:
    with pytest.raises(ChosyncError) as raised:
        check_envelope(response, call="product/x", idempotent=idempotent, now=NOW)
    assert type(raised.value) is expected


def test_retry_after_as_an_http_date_is_honoured() -> None:
    later = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    with pytest.raises(RateLimited) as raised:
        check_envelope(_response(429, headers={"Retry-After": later}), call="x", idempotent=True, now=NOW)
    assert raised.value.retry_after == 90


def test_permanent_errors_name_the_field_and_keep_the_code() -> None:
    response = _response(200, json=_body("product.error_price_exceed_min_limitt", "price too low"))
    with pytest.raises(PermanentError) as raised:
        check_envelope(response, call="product/update_price", idempotent=True)
    assert raised.value.field == "price"
    assert raised.value.code == "product.error_price_exceed_min_limitt"
    assert "below Shopee's minimum" in str(raised.value)
    assert "price too low" in str(raised.value)


def test_a_success_returns_the_envelope() -> None:
    body = {"request_id": "r", "error": "", "message": "", "response": {"item_id": 1}}
    assert check_envelope(_response(200, json=body), call="x", idempotent=False)["response"] == {"item_id": 1}


TRANSPORT = [
    pytest.param(httpx.ConnectError("refused"), False, CannotConnect, id="connect-error-never-sent"),
    pytest.param(httpx.ConnectTimeout("slow"), False, CannotConnect, id="connect-timeout-never-sent"),
    pytest.param(httpx.PoolTimeout("busy"), False, RetryableError, id="pool-timeout"),
    pytest.param(httpx.ReadTimeout("slow"), True, RetryableError, id="read-timeout-idempotent"),
    pytest.param(httpx.ReadTimeout("slow"), False, OutcomeUnknown, id="read-timeout-add-item"),
    pytest.param(httpx.WriteTimeout("slow"), False, OutcomeUnknown, id="write-timeout-add-item"),
    pytest.param(httpx.RemoteProtocolError("dropped"), False, OutcomeUnknown, id="dropped-add-item"),
    pytest.param(httpx.ReadError("reset"), True, RetryableError, id="read-error-idempotent"),
]


@pytest.mark.parametrize(("error", "idempotent", "expected"), TRANSPORT)
def test_transport_failures_map_to_our_errors(
    error: httpx.RequestError, idempotent: bool, expected: type[ChosyncError]
) -> None:
    assert type(translate_transport(error, call="product/add_item", idempotent=idempotent)) is expected


def test_the_code_table_is_data_with_every_resolution_used() -> None:
    # Server-side codes are UNSAFE (retried only when idempotent); plain RETRY is for transport failures
    # where nothing was sent (a refused connection), which the transport table covers.
    assert Resolution.RETRY in {rule.resolution for _, rule in TRANSPORT_RULES}
    assert {rule.resolution for rule in SHOPEE_CODE_RULES.values()} >= {
        Resolution.AUTH,
        Resolution.UNSAFE,
        Resolution.RATE_LIMITED,
        Resolution.PERMANENT,
        Resolution.REAUTHORIZE,
    }


# --- through the client: nothing raw escapes, and the policy acts on the class ---------------------


@pytest.mark.anyio
async def test_a_lost_add_item_answer_is_outcome_unknown_and_not_retried(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        route = router.post("/api/v2/product/add_item").mock(side_effect=httpx.ReadTimeout("slow"))
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http)
            with pytest.raises(OutcomeUnknown, match="may or may not have been applied"):
                await connector.client.post("product/add_item", {"item_name": "x"}, idempotent=False)
    assert route.call_count == 1


@pytest.mark.anyio
async def test_server_errors_on_reads_are_retried_with_backoff(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        route = router.get("/api/v2/product/get_item_list").mock(
            side_effect=[httpx.Response(502), httpx.ConnectError("refused"), envelope({"item": []})]
        )
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http, retry=RetrySettings(base_delay_s=1))
            assert await connector.client.get("product/get_item_list", {"offset": 0}) == {"item": []}
    assert route.call_count == 3
    assert clock.sleeps == [1, 2]


@pytest.mark.anyio
async def test_rate_limits_wait_as_told_without_spending_attempts(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    busy = httpx.Response(429, headers={"Retry-After": "3"})
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        router.get("/api/v2/product/get_item_list").mock(
            side_effect=[busy, busy, busy, shopee_error("error_system_busy"), envelope({"item": []})]
        )
        async with httpx.AsyncClient() as http:
            connector = make_connector(
                config, tokens, clock, http, retry=RetrySettings(max_attempts=1, rate_limited_wait_s=0.5)
            )
            await connector.client.get("product/get_item_list")
    assert clock.sleeps == [3, 3, 3, 0.5]


@pytest.mark.anyio
async def test_error_texts_are_scrubbed_of_tokens(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    echo = shopee_error("error_param", f"bad access_token {ACCESS_TOKEN} for shop")
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        router.get("/api/v2/product/get_item_list").mock(return_value=echo)
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http)
            with pytest.raises(PermanentError) as raised:
                await connector.client.get("product/get_item_list")
    assert ACCESS_TOKEN not in str(raised.value)
    assert ACCESS_TOKEN not in repr(raised.value.args)


NOT_APPLIED = [
    pytest.param(_response(503, text="<html>503</html>"), (), OutcomeUnknown, id="503-unknown-by-default"),
    pytest.param(_response(503, text="<html>503</html>"), ("http_503",), RetryableError, id="503-listed"),
    pytest.param(_response(502, text="bad gateway"), ("http_5xx",), RetryableError, id="5xx-class-listed"),
    pytest.param(_response(502, text="bad gateway"), ("http_503",), OutcomeUnknown, id="another-status-listed"),
    pytest.param(_response(500, json=_body("error_server")), (), OutcomeUnknown, id="error-server-by-default"),
    pytest.param(_response(500, json=_body("error_server")), ("error_server",), RetryableError, id="code-listed"),
    pytest.param(_response(200, json=_body("error_param")), ("error_param",), PermanentError, id="permanent-stays"),
]


@pytest.mark.parametrize(("response", "not_applied", "expected"), NOT_APPLIED)
def test_a_failure_the_account_lists_as_applying_nothing_is_a_plain_retry(
    response: httpx.Response, not_applied: tuple[str, ...], expected: type[ChosyncError]
) -> None:
    """A non-idempotent call (add_item): only what the marketplace's rules say applied nothing is retried
    blindly; everything else unsafe stays 'may have been applied', resolved by reading back."""
    with pytest.raises(ChosyncError) as raised:
        check_envelope(
            response, call="product/add_item", idempotent=False, errors=ErrorSettings(not_applied=not_applied)
        )
    assert type(raised.value) is expected
    if expected is RetryableError:
        assert "nothing was applied" in str(raised.value)
