"""The Shopee error boundary: every answer and transport failure, translated once, by table.

Shopee reports failures in the body (``{"error": "error_auth", "message": …}``), often with HTTP 200,
sometimes with a 4xx/5xx; codes may carry a module prefix (``product.error_busi``). The tables below
map, in this order of precedence, an HTTP 429, then the body's error code, then the HTTP status, and
for requests that got no answer the httpx exception, to a :class:`Resolution`. Resolutions become
:mod:`core.errors` classes in :func:`to_error`; nothing past this module sees an httpx exception or a
Shopee code (the code travels only as ``PermanentError.code``, for people reading a failure).

``UNSAFE`` marks a failure after which the request may or may not have been applied (a read timeout,
a dropped connection, a 5xx from a gateway, an unreadable 200): safe to retry for idempotent calls
(set a price, read a page), :class:`~core.errors.OutcomeUnknown` for the others (add an item), whose
outcome the core resolves by reading the marketplace back before sending anything again.

Every message passes through :func:`core.logs.scrub` on its way out. The rule vocabulary
(:class:`ErrorRule`, :class:`Resolution`, :func:`to_error`) is shared by every connector
(:mod:`connectors.kit.errors`) and re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from connectors.kit.config import ErrorSettings
from connectors.kit.errors import ErrorRule, Resolution, nothing_applied, retry_after_seconds, to_error
from core.errors import ChosyncError

__all__ = [
    "HTTP_CLASS_RULES",
    "HTTP_STATUS_RULES",
    "SHOPEE_CODE_RULES",
    "TRANSPORT_RULES",
    "ErrorRule",
    "Resolution",
    "check_envelope",
    "retry_after_seconds",
    "rule_for_code",
    "to_error",
    "translate_transport",
]


_R = Resolution
_REAUTH_HINT = "authorise the shop again from chosync"

SHOPEE_CODE_RULES: Mapping[str, ErrorRule] = {
    # generic codes (documented)
    "error_auth": ErrorRule(_R.AUTH, "Shopee refused our access to this shop"),
    "error_sign": ErrorRule(
        _R.PERMANENT, "Shopee says our request signature is wrong", hint="check the partner key and the clock"
    ),
    "error_param": ErrorRule(_R.PERMANENT, "Shopee refused a value in the request"),
    # A server-side failure does not say whether the change was applied before it: safe to repeat only
    # for idempotent calls; for add_item it is an unknown outcome, resolved by looking the SKU up.
    "error_server": ErrorRule(_R.UNSAFE, "Shopee had a server error"),
    "error_network": ErrorRule(_R.UNSAFE, "Shopee had a network error"),
    "error_inner": ErrorRule(_R.UNSAFE, "Shopee had an internal error"),
    "error_system_busy": ErrorRule(_R.RATE_LIMITED, "Shopee is busy and asked us to slow down"),
    "error_data": ErrorRule(_R.PERMANENT, "Shopee refused the data sent"),
    "error_shop": ErrorRule(_R.REAUTHORIZE, "Shopee does not accept this shop for our app", hint=_REAUTH_HINT),
    "error_permission": ErrorRule(
        _R.PERMANENT,
        "our app may not use this Shopee function for this shop",
        hint="check the app's permissions",
    ),
    "error_not_found": ErrorRule(_R.PERMANENT, "Shopee did not find what was asked for"),
    # seen from the live API, not in the reference (UNCERTAIN spellings kept as Shopee sends them)
    "invalid_access_token": ErrorRule(_R.AUTH, "Shopee refused the access token"),
    "invalid_acceess_token": ErrorRule(_R.AUTH, "Shopee refused the access token"),
    "error_invalid_refresh_token": ErrorRule(_R.REAUTHORIZE, "Shopee refused the refresh token", hint=_REAUTH_HINT),
    # product codes (documented examples; "limitt" and "cannt" are Shopee's spelling)
    "error_item_not_found": ErrorRule(_R.PERMANENT, "the item no longer exists on Shopee", field="item_id"),
    "error_price_exceed_min_limitt": ErrorRule(
        _R.PERMANENT, "the price is below Shopee's minimum for this category", field="price"
    ),
    "error_price_exceed_max_limitt": ErrorRule(
        _R.PERMANENT, "the price is above Shopee's maximum for this category", field="price"
    ),
    "error_title_exceeds_max_length": ErrorRule(_R.PERMANENT, "the product name is too long for Shopee", field="name"),
    "error_image_num_min": ErrorRule(_R.PERMANENT, "Shopee needs at least one product image", field="images"),
    "error_invalid_category": ErrorRule(
        _R.PERMANENT,
        "the Shopee category mapped to this product is not valid (it must be a leaf category)",
        field="category",
    ),
    "error_less_required_attribute": ErrorRule(
        _R.PERMANENT, "Shopee requires attributes this product does not give", field="attributes"
    ),
    "error_busi_update_stock_failed": ErrorRule(
        _R.PERMANENT,
        "Shopee refused the stock (it cannot go below the stock already reserved)",
        field="stock",
    ),
    "error_cannt_edit_price_in_promotion": ErrorRule(
        _R.PERMANENT, "the price is locked by a running Shopee promotion", field="price"
    ),
    "error_holiday_on_add_item": ErrorRule(
        _R.PERMANENT,
        "the shop is in holiday mode, so Shopee accepts no new item",
        hint="turn holiday mode off",
    ),
    "error_busi": ErrorRule(_R.PERMANENT, "Shopee refused the change"),
    # order codes
    "order_list_invalid_time": ErrorRule(_R.PERMANENT, "Shopee refused the order time window", field="time_range"),
}

_UNKNOWN_CODE = ErrorRule(_R.PERMANENT, "Shopee refused the request")

HTTP_STATUS_RULES: Mapping[int, ErrorRule] = {
    401: ErrorRule(_R.AUTH, "Shopee refused our credentials"),
    403: ErrorRule(_R.AUTH, "Shopee refused our credentials"),
    408: ErrorRule(_R.UNSAFE, "Shopee timed out answering"),
    429: ErrorRule(_R.RATE_LIMITED, "Shopee asked us to slow down"),
    # A gateway's 503 can come after the backend applied the request (a lost answer): unsafe to repeat.
    503: ErrorRule(_R.UNSAFE, "Shopee is unavailable"),
}

# By the first digit of the status, when no exact rule applies.
HTTP_CLASS_RULES: Mapping[int, ErrorRule] = {
    4: ErrorRule(_R.PERMANENT, "Shopee refused the request"),
    5: ErrorRule(_R.UNSAFE, "Shopee had a server error"),
}

# First match wins: ConnectTimeout is a TimeoutException, but nothing was sent, so it is safe.
TRANSPORT_RULES: tuple[tuple[type[httpx.RequestError], ErrorRule], ...] = (
    (httpx.ConnectTimeout, ErrorRule(_R.RETRY, "could not connect to Shopee in time")),
    (httpx.ConnectError, ErrorRule(_R.RETRY, "could not connect to Shopee")),
    (httpx.PoolTimeout, ErrorRule(_R.RETRY, "no free connection to Shopee in time")),
    (httpx.TimeoutException, ErrorRule(_R.UNSAFE, "Shopee did not answer in time")),
    (httpx.RemoteProtocolError, ErrorRule(_R.UNSAFE, "the connection to Shopee dropped mid-answer")),
    (httpx.NetworkError, ErrorRule(_R.UNSAFE, "the connection to Shopee failed")),
    (httpx.RequestError, ErrorRule(_R.UNSAFE, "the request to Shopee failed")),
)


def rule_for_code(code: str) -> ErrorRule:
    """The rule for a Shopee error code, with or without its module prefix."""
    return SHOPEE_CODE_RULES.get(code) or SHOPEE_CODE_RULES.get(code.rsplit(".", 1)[-1]) or _UNKNOWN_CODE


def translate_transport(exc: httpx.RequestError, *, call: str, idempotent: bool) -> ChosyncError:
    for kind, rule in TRANSPORT_RULES:
        if isinstance(exc, kind):
            return to_error(rule, call=call, idempotent=idempotent, detail=type(exc).__name__)
    raise AssertionError("TRANSPORT_RULES ends with the base class")  # pragma: no cover


def check_envelope(
    response: httpx.Response,
    *,
    call: str,
    idempotent: bool,
    now: datetime | None = None,
    errors: ErrorSettings | None = None,
) -> dict[str, Any]:
    """The decoded body of a successful answer, or the translated error raised.

    ``errors``: the account's list of failures that applied nothing (retried, not read back)."""
    errors = errors or ErrorSettings()
    retry_after = retry_after_seconds(response.headers, now)
    if response.status_code == 429:
        raise to_error(HTTP_STATUS_RULES[429], call=call, idempotent=idempotent, retry_after=retry_after)
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = None
    code = body.get("error") if isinstance(body, dict) else None
    if isinstance(code, str) and code:
        message = body.get("message") if isinstance(body, dict) else None
        raise to_error(
            nothing_applied(rule_for_code(code), errors.applied_nothing(status=response.status_code, code=code)),
            call=call,
            idempotent=idempotent,
            detail=str(message or code),
            code=code,
            retry_after=retry_after,
        )
    status = response.status_code
    if status >= 400:
        rule = HTTP_STATUS_RULES.get(status) or HTTP_CLASS_RULES.get(status // 100) or HTTP_CLASS_RULES[5]
        rule = nothing_applied(rule, errors.applied_nothing(status=status))
        raise to_error(rule, call=call, idempotent=idempotent, detail=f"HTTP {status}", retry_after=retry_after)
    if not isinstance(body, dict):
        unreadable = ErrorRule(_R.UNSAFE, "Shopee sent an unreadable answer")
        raise to_error(unreadable, call=call, idempotent=idempotent, detail=f"HTTP {status}")
    return body
