"""The Postmart error boundary: how Postmart's envelope reports an error, read by the toml's code table.

Postmart answers with an envelope ``{code, message, result, requestMethod}`` (CONFIRMED) in which
``code`` 200 means success (CONFIRMED). How it reports failures is not published: we ASSUME the body's
``code`` mirrors HTTP statuses (400, 401, 404, 429, 500 ...), sent with HTTP 200 as often as not, so the
body is read first and the HTTP status only when the body says nothing. The order of decision, the HTTP
status and the transport rules are every connector's (:mod:`connectors.kit.errors`, worded with
Postmart's name here); the body's code is read by the toml's table (``[envelope.codes]``: every code's
resolution and message are ASSUMED, so they are config, and a code the table misses is permanent).
Nothing past this module sees an httpx exception or a Postmart code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from connectors.kit.config import ErrorSettings
from connectors.kit.errors import BodyError, ErrorRule, Resolution, Unreadable, check_answer, http_rules
from connectors.postmart.config import PostmartEnvelope
from core.errors import ChosyncError

__all__ = ["POSTMART_HTTP", "check_envelope", "rule_for_code", "translate_transport"]

# A code the toml's table does not cover: refused, not retried (OURS: a guess could repeat a bad write).
_UNKNOWN_CODE = ErrorRule(Resolution.PERMANENT, "Postmart refused the request")

POSTMART_HTTP = http_rules("Postmart")


def rule_for_code(code: int, envelope: PostmartEnvelope) -> ErrorRule:
    """The rule for a body code: the toml's table (its entry, else its class), else permanent."""
    rule = envelope.rule_for(code)
    if rule is None:
        return _UNKNOWN_CODE
    return ErrorRule(Resolution(rule.resolution), rule.message, rule.field, rule.hint)


def translate_transport(exc: httpx.RequestError, *, call: str, idempotent: bool) -> ChosyncError:
    return POSTMART_HTTP.translate_transport(exc, call=call, idempotent=idempotent)


def _code_of(body: Mapping[str, Any], envelope: PostmartEnvelope) -> int | None:
    code = body.get(envelope.code)
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().lstrip("-").isdigit():
        return int(code)
    return None


class _PostmartReading:
    """The toml's envelope keys: a ``code`` other than the success code is a failure."""

    def __init__(self, envelope: PostmartEnvelope) -> None:
        self._envelope = envelope

    def error(self, body: Any) -> BodyError | None:
        code = _code_of(body, self._envelope) if isinstance(body, dict) else None
        if code is None or code == self._envelope.success_code:
            return None
        message = body.get(self._envelope.message)
        rule = rule_for_code(code, self._envelope)
        return BodyError(rule, key=str(code), code=f"postmart_{code}", detail=str(message or code))

    def result(self, body: Any) -> Any:
        if not isinstance(body, dict) or _code_of(body, self._envelope) is None:
            return Unreadable("Postmart sent an answer without its envelope")
        return body.get(self._envelope.result)


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
    reading = _PostmartReading(envelope)
    return check_answer(response, POSTMART_HTTP, reading, call=call, idempotent=idempotent, now=now, errors=errors)
