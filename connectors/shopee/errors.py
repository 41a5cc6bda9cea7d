"""The Shopee error boundary: Shopee's error codes, and how its envelope reports them.

Shopee reports failures in the body (``{"error": "error_auth", "message": …}``), often with HTTP 200,
sometimes with a 4xx/5xx; codes may carry a module prefix (``product.error_busi``). The order of
decision, the HTTP status and transport rules are every connector's (:mod:`connectors.kit.errors`, worded
with Shopee's name here); this module adds Shopee's code table (:data:`SHOPEE_CODE_RULES`), its reading of
a 503, and its envelope. Nothing past this module sees an httpx exception or a Shopee code (the code
travels only as ``PermanentError.code``, for people reading a failure).

``UNSAFE`` marks a failure after which the request may or may not have been applied (a read timeout,
a dropped connection, a 5xx from a gateway, an unreadable 200): safe to retry for idempotent calls
(set a price, read a page), :class:`~core.errors.OutcomeUnknown` for the others (add an item), whose
outcome the core resolves by reading the marketplace back before sending anything again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from connectors.kit.config import ErrorSettings
from connectors.kit.errors import BodyError, ErrorRule, Resolution, Unreadable, check_answer, http_rules
from core.errors import ChosyncError

__all__ = [
    "SHOPEE_CODE_RULES",
    "SHOPEE_HTTP",
    "TRANSPORT_RULES",
    "Resolution",
    "check_envelope",
    "rule_for_code",
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

SHOPEE_HTTP = http_rules(
    "Shopee",
    # A gateway's 503 can come after the backend applied the request (a lost answer): unsafe to repeat.
    statuses={503: ErrorRule(_R.UNSAFE, "Shopee is unavailable")},
)
TRANSPORT_RULES = SHOPEE_HTTP.transport


def rule_for_code(code: str) -> ErrorRule:
    """The rule for a Shopee error code, with or without its module prefix."""
    return SHOPEE_CODE_RULES.get(code) or SHOPEE_CODE_RULES.get(code.rsplit(".", 1)[-1]) or _UNKNOWN_CODE


def translate_transport(exc: httpx.RequestError, *, call: str, idempotent: bool) -> ChosyncError:
    return SHOPEE_HTTP.translate_transport(exc, call=call, idempotent=idempotent)


class _ShopeeEnvelope:
    """``{"request_id", "error", "message", "response", "warning"}``: a non-empty ``error`` is a failure."""

    def error(self, body: Any) -> BodyError | None:
        code = body.get("error") if isinstance(body, dict) else None
        if not isinstance(code, str) or not code:
            return None
        message = body.get("message")
        return BodyError(rule_for_code(code), key=code, code=code, detail=str(message or code))

    def result(self, body: Any) -> dict[str, Any] | Unreadable:
        return body if isinstance(body, dict) else Unreadable("Shopee sent an unreadable answer")


_ENVELOPE = _ShopeeEnvelope()


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
    return check_answer(response, SHOPEE_HTTP, _ENVELOPE, call=call, idempotent=idempotent, now=now, errors=errors)
