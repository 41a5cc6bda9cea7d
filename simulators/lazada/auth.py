"""Lazada authorisation in the simulator: the gateway's checks on every call, and the token host.

Every request first meets the gateway, in the contract's order: is the app known (``InvalidAppKey``),
is the timestamp within 7200 s of the server's clock (``InvalidTimestamp``), is the signature right
(``IncompleteSignature``), and on seller APIs is the ``access_token`` known, the app's and alive
(``IllegalAccessToken``, "The specified access token is invalid or expired"). Every refusal is HTTP 200.
An empty-valued parameter is refused, or signed, or left out of the signature, as ``empty_params`` says.

The token host (``/auth/token/create`` and ``/auth/token/refresh``, signed like every call but without an
access token) answers FLAT JSON, no ``data`` wrapper: a single-use 30-minute code buys a token pair
(lifetimes in seconds, the seller in ``country_user_info``); a refresh token buys a new access token with
its full life and a refresh token expiring when the old one would have (the list is then named
``country_user_info_list``). The old refresh token keeps working until it expires.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime

from simulators.lazada.records import AccessToken, App, RefreshToken, Seller
from simulators.lazada.state import LazadaBackOffice
from simulators.lazada.wire import (
    ILLEGAL_ACCESS_TOKEN,
    ILLEGAL_REFRESH_TOKEN,
    INCOMPLETE_SIGNATURE,
    INVALID_APP_KEY,
    INVALID_CODE,
    INVALID_TIMESTAMP,
    MISSING_PARAMETER,
    JsonObject,
    LazadaCall,
    LazadaError,
    lazada_sign,
)

__all__ = ["create_token", "refresh_token", "token_answer", "verify_request"]


def _timestamp(raw: str) -> float | None:
    """Milliseconds since the epoch, or an ISO 8601 UTC time (both documented); None when neither."""
    if raw.isdigit():
        return int(raw) / 1000
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return when.timestamp() if when.tzinfo is not None else None


def verify_request(
    office: LazadaBackOffice, api_path: str, params: Mapping[str, str], *, seller_api: bool
) -> tuple[App, AccessToken | None, Seller | None]:
    """App, empty values, timestamp, signature and (``seller_api``) access token, in that order."""
    config = office.config
    app = office.apps.get(params.get("app_key", ""))
    if app is None:
        raise LazadaError(INVALID_APP_KEY, "Specified app key is invalid or missing")
    empty = sorted(name for name, value in params.items() if value == "")
    if empty and config.empty_params == "refuse":
        raise LazadaError(MISSING_PARAMETER, f"The input parameter '{empty[0]}' has an empty value")
    when = _timestamp(params.get("timestamp", ""))
    if when is None or abs(when - office.clock()) > config.timestamp_window:
        raise LazadaError(INVALID_TIMESTAMP, "Specified timestamp is invalid or out of the allowed window")
    if params.get("sign_method") != "sha256":
        raise LazadaError(INCOMPLETE_SIGNATURE, "sign_method must be sha256")
    signed = {k: v for k, v in params.items() if v != "" or config.empty_params == "sign"}
    expected = lazada_sign(app.app_secret, api_path, signed)
    if not hmac.compare_digest(params.get("sign", "").upper().encode(), expected.encode()):
        raise LazadaError(INCOMPLETE_SIGNATURE, "The request signature does not conform to platform standards")
    if not seller_api:
        return app, None, None
    token = office.access_tokens.get(params.get("access_token", ""))
    if token is None or token.app_key != app.app_key or office.clock() >= token.expires_at:
        raise LazadaError(ILLEGAL_ACCESS_TOKEN, "The specified access token is invalid or expired")
    return app, token, office.sellers[token.seller_id]


def token_answer(office: LazadaBackOffice, access: AccessToken, refresh: RefreshToken, list_name: str) -> JsonObject:
    """The flat answer of both token calls (lifetimes in seconds from now); ``list_name`` differs."""
    seller = office.sellers[access.seller_id]
    now = office.clock()
    return {
        "access_token": access.token,
        "refresh_token": refresh.token,
        "expires_in": max(0, int(access.expires_at - now)),
        "refresh_expires_in": max(0, int(refresh.expires_at - now)),
        "country": seller.country,
        "account": seller.account,
        "account_platform": "seller_center",
        "account_id": seller.user_id,
        list_name: [
            {
                "country": seller.country,
                "seller_id": seller.seller_id,
                "user_id": seller.user_id,
                "short_code": seller.short_code,
            }
        ],
        "code": "0",
    }


def create_token(call: LazadaCall) -> JsonObject:
    """POST /auth/token/create: a code, once, within its 30 minutes, for a token pair."""
    office = call.office
    code = office.codes.get(call.require("code"))
    if code is None or code.used or office.clock() >= code.expires_at or code.app_key != call.app.app_key:
        raise LazadaError(INVALID_CODE, "Invalid authorization code")
    code.used = True
    return token_answer(office, *office.grant(code.seller_id, call.app.app_key), "country_user_info")


def refresh_token(call: LazadaCall) -> JsonObject:
    """POST /auth/token/refresh: a live refresh token for a new access token; the refresh life is not
    extended (a rotated refresh token expires when the old one would have)."""
    office = call.office
    old = office.refresh_tokens.get(call.require("refresh_token"))
    now = office.clock()
    if old is None or now >= old.expires_at or old.app_key != call.app.app_key:
        raise LazadaError(ILLEGAL_REFRESH_TOKEN, "The specified refresh token is invalid or expired")
    if office.config.end_old_access_on_refresh:
        for token in office.access_tokens.values():
            if (token.app_key, token.seller_id) == (old.app_key, old.seller_id):
                token.expires_at = min(token.expires_at, now)
    access, refresh = office.grant(old.seller_id, old.app_key, refresh_expires_at=old.expires_at)
    if not office.config.rotate_refresh_token:
        del office.refresh_tokens[refresh.token]
        refresh = old
    return token_answer(office, access, refresh, "country_user_info_list")
