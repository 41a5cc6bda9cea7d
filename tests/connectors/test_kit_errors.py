"""The error rules every marketplace shares, as tables: HTTP statuses and classes, transport failures, and the
order in which an answer is read (429, then the body's code, then the status, then the envelope's shape)."""

from __future__ import annotations

import socket
import ssl
from typing import Any

import httpx
import pytest

from connectors.kit.config import ErrorSettings
from connectors.kit.errors import (
    TRANSPORT_RULES,
    BodyError,
    ErrorRule,
    Resolution,
    Unreadable,
    check_answer,
    http_rules,
)
from connectors.postmart.errors import POSTMART_HTTP
from connectors.shopee.errors import SHOPEE_HTTP
from core.errors import (
    AuthError,
    CannotConnect,
    ChosyncError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RetryableError,
)

_REQUEST = httpx.Request("POST", "https://api.test/x")
RULES = [pytest.param(SHOPEE_HTTP, id="shopee"), pytest.param(POSTMART_HTTP, id="postmart")]


class _Plain:
    """A marketplace whose body is ``{"err": code, "data": result}``: enough to drive :func:`check_answer`."""

    def error(self, body: Any) -> BodyError | None:
        code = body.get("err") if isinstance(body, dict) else None
        if not code:
            return None
        rule = ErrorRule(Resolution.UNSAFE if code == "busy_server" else Resolution.PERMANENT, "Plain refused it")
        return BodyError(rule, key=code, code=f"plain_{code}", detail=str(body.get("msg") or code))

    def result(self, body: Any) -> Any:
        return body["data"] if isinstance(body, dict) and "data" in body else Unreadable("Plain sent no envelope")


def _answer(status: int, body: object = None, **kwargs: Any) -> httpx.Response:
    if body is not None:
        kwargs["json"] = body
    return httpx.Response(status, request=_REQUEST, **kwargs)


def _check(response: httpx.Response, *, idempotent: bool, rules: Any = None, **kwargs: Any) -> Any:
    rules = rules or http_rules("Plain")
    return check_answer(response, rules, _Plain(), call="x", idempotent=idempotent, **kwargs)


STATUSES = [
    pytest.param(401, True, AuthError, "refused our credentials", id="401-auth"),
    pytest.param(403, False, AuthError, "refused our credentials", id="403-auth"),
    pytest.param(408, True, RetryableError, "timed out answering", id="408-read-retried"),
    pytest.param(408, False, OutcomeUnknown, "timed out answering", id="408-write-may-be-applied"),
    pytest.param(404, True, PermanentError, "refused the request", id="4xx-permanent"),
    pytest.param(500, True, RetryableError, "had a server error", id="5xx-read-retried"),
    pytest.param(502, False, OutcomeUnknown, "had a server error", id="5xx-write-may-be-applied"),
    pytest.param(302, True, RetryableError, "sent no envelope", id="3xx-without-envelope-unreadable"),
]


@pytest.mark.parametrize("rules", RULES)
@pytest.mark.parametrize(("status", "idempotent", "expected", "words"), STATUSES)
def test_http_statuses_map_alike_for_every_marketplace_in_its_name(
    rules: Any, status: int, idempotent: bool, expected: type[ChosyncError], words: str
) -> None:
    with pytest.raises(ChosyncError) as raised:
        _check(_answer(status, text="<html>"), idempotent=idempotent, rules=rules)
    assert type(raised.value) is expected
    assert words in str(raised.value)
    if status >= 400:
        assert str(raised.value).startswith(rules.marketplace)


@pytest.mark.parametrize("rules", RULES)
@pytest.mark.parametrize("idempotent", [True, False])
def test_429_is_rate_limited_with_its_retry_after_even_for_writes(rules: Any, idempotent: bool) -> None:
    with pytest.raises(RateLimited) as raised:
        _check(_answer(429, headers={"Retry-After": "7"}), idempotent=idempotent, rules=rules)
    assert raised.value.retry_after == 7.0
    assert str(raised.value).startswith(f"{rules.marketplace} asked us to slow down")


def test_a_marketplace_may_override_a_status_and_keeps_the_shared_rest() -> None:
    assert SHOPEE_HTTP.for_status(503) == ErrorRule(Resolution.UNSAFE, "Shopee is unavailable")
    assert POSTMART_HTTP.for_status(503) == ErrorRule(Resolution.UNSAFE, "Postmart had a server error")
    assert SHOPEE_HTTP.for_status(401) == ErrorRule(Resolution.AUTH, "Shopee refused our credentials")
    assert SHOPEE_HTTP.for_status(999).resolution is Resolution.UNSAFE  # an unknown class reads as a server error


TRANSPORT = [
    pytest.param(httpx.PoolTimeout("x"), False, RetryableError, "no free connection to {}", id="pool-timeout"),
    pytest.param(httpx.ReadTimeout("x"), True, RetryableError, "{} did not answer in time", id="read-timeout-read"),
    pytest.param(httpx.ReadTimeout("x"), False, OutcomeUnknown, "{} did not answer in time", id="read-timeout-write"),
    pytest.param(httpx.WriteTimeout("x"), False, OutcomeUnknown, "{} did not answer in time", id="write-timeout"),
    pytest.param(httpx.RemoteProtocolError("x"), False, OutcomeUnknown, "dropped mid-answer", id="dropped-write"),
    pytest.param(httpx.ReadError("x"), True, RetryableError, "the connection to {} failed", id="read-error-read"),
    pytest.param(httpx.UnsupportedProtocol("x"), False, OutcomeUnknown, "the request to {} failed", id="other"),
]


@pytest.mark.parametrize("rules", RULES)
@pytest.mark.parametrize(("error", "idempotent", "expected", "words"), TRANSPORT)
def test_transport_failures_map_alike_for_every_marketplace_in_its_name(
    rules: Any, error: httpx.RequestError, idempotent: bool, expected: type[ChosyncError], words: str
) -> None:
    translated = rules.translate_transport(error, call="product/add", idempotent=idempotent)
    assert type(translated) is expected
    assert words.format(rules.marketplace) in str(translated)
    assert f"(product/add): {type(error).__name__}" in str(translated)


def _refused_by(cause: BaseException, kind: type[httpx.RequestError] = httpx.ConnectError) -> httpx.RequestError:
    """What httpx raises: its error, raised from httpcore's, raised from the socket's."""
    error = kind("x", request=httpx.Request("POST", "https://api.example.vn:8443/product/add"))
    error.__cause__ = RuntimeError("httpcore's")
    error.__cause__.__cause__ = cause
    return error


CONNECT = [
    pytest.param(_refused_by(ConnectionRefusedError(111, "refused")), "the connection was refused", id="refused"),
    pytest.param(_refused_by(socket.gaierror(-2, "Name or service not known")), "not found (DNS)", id="dns"),
    pytest.param(_refused_by(ssl.SSLCertVerificationError("bad")), "the TLS handshake failed", id="tls"),
    pytest.param(_refused_by(TimeoutError(), httpx.ConnectTimeout), "did not answer in time", id="connect-timeout"),
    pytest.param(httpx.ConnectError("x"), "the connection failed", id="no-cause"),
]


@pytest.mark.parametrize("rules", RULES)
@pytest.mark.parametrize(("error", "reason"), CONNECT)
def test_a_connection_that_cannot_be_made_says_so_with_the_host_whatever_the_call(
    rules: Any, error: httpx.RequestError, reason: str
) -> None:
    """Refused, DNS and TLS failures are their own class (tried a few times, then parked), read from the
    exception's classes: never a marketplace's hiccup nor a lost answer, even for a write."""
    for idempotent in (True, False):
        translated = rules.translate_transport(error, call="product/add", idempotent=idempotent)
        assert type(translated) is CannotConnect
        assert reason in translated.reason and f": {translated.reason} (product/add)" in str(translated)
        assert str(translated).startswith(f"could not connect to {rules.marketplace}")
        if error.__cause__ is not None:
            assert translated.host == "api.example.vn:8443"
            assert " at api.example.vn:8443: " in str(translated)
        assert translated.hint is not None and "base_url" in translated.hint


def test_the_transport_table_ends_with_the_base_class_so_every_failure_has_a_rule() -> None:
    assert TRANSPORT_RULES[-1][0] is httpx.RequestError
    kinds = [kind for kind, _ in TRANSPORT_RULES]
    for earlier, kind in enumerate(kinds):  # first match wins: a subclass must come before its base
        assert not any(issubclass(kind, base) for base in kinds[:earlier])


ORDER = [
    pytest.param(_answer(429, {"err": "bad"}), RateLimited, id="429-before-the-body"),
    pytest.param(_answer(500, {"err": "bad", "msg": "no"}), PermanentError, id="body-code-before-the-status"),
    pytest.param(_answer(200, {"err": "busy_server"}), OutcomeUnknown, id="unsafe-body-code-on-a-write"),
    pytest.param(_answer(401, {"data": 1}), AuthError, id="status-before-the-result"),
    pytest.param(_answer(200, text="<html>"), OutcomeUnknown, id="not-json-unreadable"),
    pytest.param(_answer(200, ["a"]), OutcomeUnknown, id="not-an-envelope-unreadable"),
]


@pytest.mark.parametrize(("response", "expected"), ORDER)
def test_an_answer_is_read_in_one_order(response: httpx.Response, expected: type[ChosyncError]) -> None:
    with pytest.raises(ChosyncError) as raised:
        _check(response, idempotent=False)
    assert type(raised.value) is expected


def test_a_body_error_carries_the_marketplaces_code_and_message() -> None:
    with pytest.raises(PermanentError) as raised:
        _check(_answer(200, {"err": "bad", "msg": "the price is wrong"}), idempotent=True)
    assert raised.value.code == "plain_bad"
    assert str(raised.value) == "Plain refused it (x): the price is wrong"


def test_a_success_gives_the_envelopes_result() -> None:
    assert _check(_answer(200, {"data": {"id": 1}}), idempotent=False) == {"id": 1}
    assert _check(_answer(200, {"data": None}), idempotent=False) is None


@pytest.mark.parametrize(
    ("response", "not_applied", "expected"),
    [
        pytest.param(_answer(200, {"err": "busy_server"}), ("busy_server",), RetryableError, id="body-key-listed"),
        pytest.param(_answer(503, text="x"), ("http_503",), RetryableError, id="status-listed"),
        pytest.param(_answer(502, text="x"), ("http_5xx",), RetryableError, id="class-listed"),
        pytest.param(_answer(502, text="x"), ("http_503",), OutcomeUnknown, id="other-status-listed"),
        pytest.param(_answer(200, {"err": "bad"}), ("bad",), PermanentError, id="permanent-stays-permanent"),
    ],
)
def test_what_the_account_lists_as_applying_nothing_is_a_plain_retry(
    response: httpx.Response, not_applied: tuple[str, ...], expected: type[ChosyncError]
) -> None:
    with pytest.raises(ChosyncError) as raised:
        _check(response, idempotent=False, errors=ErrorSettings(not_applied=not_applied))
    assert type(raised.value) is expected
