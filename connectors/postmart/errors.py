"""The Postmart error boundary: every answer and transport failure, translated once, by table.

Postmart answers with an envelope ``{code, message, result, requestMethod}`` (CONFIRMED) in which
``code`` 200 means success (CONFIRMED). How it reports failures is not published: we ASSUME the body's
``code`` mirrors HTTP statuses (400, 401, 404, 429, 500 ...), sent with HTTP 200 as often as not, so the
body is read first and the HTTP status only when the body says nothing. The order of decision: an HTTP
429, then the body's code by the toml's table (``[envelope.codes]``: every code's resolution and message
are ASSUMED, so they are config, and a code the table misses is permanent), then the HTTP status, and
for requests that got no answer the httpx exception. Messages pass through
:func:`core.logs.scrub`; nothing past this module sees an httpx exception or a Postmart code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from connectors.kit.config import ErrorSettings
from connectors.kit.errors import ErrorRule, Resolution, nothing_applied, retry_after_seconds, to_error
from connectors.postmart.config import PostmartEnvelope
from core.errors import ChosyncError

__all__ = [
    "HTTP_CLASS_RULES",
    "HTTP_STATUS_RULES",
    "TRANSPORT_RULES",
    "check_envelope",
    "rule_for_code",
    "translate_transport",
]

_R = Resolution

# A code the toml's table does not cover: refused, not retried (OURS: a guess could repeat a bad write).
_UNKNOWN_CODE = ErrorRule(_R.PERMANENT, "Postmart refused the request")

HTTP_STATUS_RULES: Mapping[int, ErrorRule] = {
    401: ErrorRule(_R.AUTH, "Postmart refused our credentials"),
    403: ErrorRule(_R.AUTH, "Postmart refused our credentials"),
    408: ErrorRule(_R.UNSAFE, "Postmart timed out answering"),
    429: ErrorRule(_R.RATE_LIMITED, "Postmart asked us to slow down"),
}

HTTP_CLASS_RULES: Mapping[int, ErrorRule] = {
    4: ErrorRule(_R.PERMANENT, "Postmart refused the request"),
    5: ErrorRule(_R.UNSAFE, "Postmart had a server error"),
}

# First match wins: ConnectTimeout is a TimeoutException, but nothing was sent, so it is safe.
TRANSPORT_RULES: tuple[tuple[type[httpx.RequestError], ErrorRule], ...] = (
    (httpx.ConnectTimeout, ErrorRule(_R.RETRY, "could not connect to Postmart in time")),
    (httpx.ConnectError, ErrorRule(_R.RETRY, "could not connect to Postmart")),
    (httpx.PoolTimeout, ErrorRule(_R.RETRY, "no free connection to Postmart in time")),
    (httpx.TimeoutException, ErrorRule(_R.UNSAFE, "Postmart did not answer in time")),
    (httpx.RemoteProtocolError, ErrorRule(_R.UNSAFE, "the connection to Postmart dropped mid-answer")),
    (httpx.NetworkError, ErrorRule(_R.UNSAFE, "the connection to Postmart failed")),
    (httpx.RequestError, ErrorRule(_R.UNSAFE, "the request to Postmart failed")),
)


def rule_for_code(code: int, envelope: PostmartEnvelope) -> ErrorRule:
    """The rule for a body code: the toml's table (its entry, else its class), else permanent."""
    rule = envelope.rule_for(code)
    if rule is None:
        return _UNKNOWN_CODE
    return ErrorRule(Resolution(rule.resolution), rule.message, rule.field, rule.hint)


def translate_transport(exc: httpx.RequestError, *, call: str, idempotent: bool) -> ChosyncError:
    for kind, rule in TRANSPORT_RULES:
        if isinstance(exc, kind):
            return to_error(rule, call=call, idempotent=idempotent, detail=type(exc).__name__)
    raise AssertionError("TRANSPORT_RULES ends with the base class")  # pragma: no cover


def _code_of(body: Mapping[str, Any], envelope: PostmartEnvelope) -> int | None:
    code = body.get(envelope.code)
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().lstrip("-").isdigit():
        return int(code)
    return None


def check_envelope(
    response: httpx.Response,
    envelope: PostmartEnvelope,
    *,
    call: str,
    idempotent: bool,
    now: datetime | None = None,
    errors: ErrorSettings | None = None,
) -> Any:
    """The envelope's ``result`` of a successful answer, or the translated error raised.

    ``errors``: the account's list of failures that applied nothing (retried, not read back)."""
    errors = errors or ErrorSettings()
    retry_after = retry_after_seconds(response.headers, now)
    if response.status_code == 429:
        raise to_error(HTTP_STATUS_RULES[429], call=call, idempotent=idempotent, retry_after=retry_after)
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    code = _code_of(body, envelope) if isinstance(body, dict) else None
    if code is not None and code != envelope.success_code:
        assert isinstance(body, dict)
        message = body.get(envelope.message)
        applied_nothing = errors.applied_nothing(status=response.status_code, code=str(code))
        raise to_error(
            nothing_applied(rule_for_code(code, envelope), applied_nothing),
            call=call,
            idempotent=idempotent,
            detail=str(message or code),
            code=f"postmart_{code}",
            retry_after=retry_after,
        )
    status = response.status_code
    if status >= 400:
        rule = HTTP_STATUS_RULES.get(status) or HTTP_CLASS_RULES.get(status // 100) or HTTP_CLASS_RULES[5]
        rule = nothing_applied(rule, errors.applied_nothing(status=status))
        raise to_error(rule, call=call, idempotent=idempotent, detail=f"HTTP {status}", retry_after=retry_after)
    if code is None:
        unreadable = ErrorRule(_R.UNSAFE, "Postmart sent an answer without its envelope")
        raise to_error(unreadable, call=call, idempotent=idempotent, detail=f"HTTP {status}")
    assert isinstance(body, dict)
    return body.get(envelope.result)
