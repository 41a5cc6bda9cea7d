"""Shopee authorisation in the sandbox: the gateway's checks on every call, and the token endpoints.

Every request first meets the gateway: who is the partner, is the timestamp fresh (5 minutes, a little
skew forward), is the signature right, and for shop APIs is the access token alive and this shop's. Only
then does an endpoint run. The token endpoints implement Shopee's flow: ``auth_partner`` redirects with
a single-use code (10 minutes), ``token/get`` swaps it for an access token (4 h) and a refresh token
(30 d), and ``access_token/get`` trades a refresh token, once, for a new pair while the old access token
keeps working for 5 minutes. Token endpoints answer with fields at the top level of the envelope, not
under ``response``, as Shopee does.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from simulators.shopee.config import ShopeeConfig
from simulators.shopee.records import Partner, Shop
from simulators.shopee.state import ShopeeBackOffice
from simulators.shopee.wire import (
    JsonObject,
    ShopeeCall,
    ShopeeError,
    as_int,
    as_str,
    param_error,
    require,
    shopee_sign,
    sign_base,
)

__all__ = [
    "Redirect",
    "auth_partner",
    "gateway_error",
    "get_token",
    "identify_partner",
    "is_public",
    "refresh_access_token",
    "requested_shop_id",
    "verify_request",
]

Query = Mapping[str, Sequence[str]]

_PUBLIC_PATHS = frozenset({"/api/v2/shop/auth_partner", "/api/v2/auth/token/get", "/api/v2/auth/access_token/get"})


@dataclass(frozen=True)
class Redirect:
    url: str


def is_public(path: str) -> bool:
    return path in _PUBLIC_PATHS or path.startswith("/api/v2/public/")


def gateway_error(config: ShopeeConfig, error: str, message: str) -> ShopeeError:
    return ShopeeError(error, message, http_status=config.gateway_status.get(error, 200))


def _first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def identify_partner(office: ShopeeBackOffice, query: Query) -> Partner:
    raw = _first(query, "partner_id")
    if not raw:
        raise gateway_error(office.config, "error_param", "There is no partner_id in query.")
    partner = office.partners.get(int(raw)) if raw.isdigit() else None
    if partner is None:
        raise gateway_error(office.config, "invalid_partner_id", "Invalid partner_id, please have a check.")
    return partner


def requested_shop_id(office: ShopeeBackOffice, query: Query) -> int | None:
    raw = _first(query, "shop_id")
    if raw is None:
        return None
    if not raw.isdigit():
        raise gateway_error(office.config, "error_param", "Wrong parameters, detail: shop_id should be an integer.")
    return int(raw)


def verify_request(
    office: ShopeeBackOffice, path: str, query: Query, partner: Partner, *, shop_api: bool
) -> Shop | None:
    """Timestamp, signature and (for shop APIs) access token; returns the shop the call acts for."""
    config = office.config
    raw_ts = _first(query, "timestamp")
    if not raw_ts:
        raise gateway_error(config, "error_param", "no timestamp.")
    if not raw_ts.isdigit():
        raise gateway_error(config, "error_param", "Wrong parameters, detail: timestamp should be an integer.")
    timestamp, now = int(raw_ts), office.clock()
    if now - timestamp > config.timestamp_window:
        raise gateway_error(config, "error_param", "Wrong parameters, detail: timestamp is expired.")
    if timestamp - now > config.timestamp_skew:
        raise gateway_error(config, "error_param", "Wrong parameters, detail: timestamp is in the future.")
    sign = _first(query, "sign")
    if not sign:
        raise gateway_error(config, "error_param", "There is no sign in query.")
    access_token, shop_id = "", None
    if shop_api:
        access_token = _first(query, "access_token") or ""
        if not access_token:
            raise gateway_error(config, "error_param", "There is no access_token in query.")
        shop_id = requested_shop_id(office, query)
        if shop_id is None:
            raise gateway_error(config, "error_param", "There is no shop_id in query.")
    expected = shopee_sign(partner.partner_key, sign_base(partner.partner_id, path, timestamp, access_token, shop_id))
    if not hmac.compare_digest(sign.lower().encode(), expected.encode()):
        raise gateway_error(config, "error_sign", "Wrong sign.")
    if shop_id is None:
        return None
    token = office.access_tokens.get(access_token)
    if token is None or token.partner_id != partner.partner_id or token.shop_id != shop_id or now >= token.expires_at:
        raise gateway_error(config, config.invalid_token_error, "Invalid access_token.")
    return office.shops[shop_id]


def _body_partner(call: ShopeeCall) -> int:
    partner_id = as_int(require(call.body, "partner_id"), "partner_id")
    if partner_id != call.partner_id:
        raise param_error("partner_id in the body differs from partner_id in the query")
    return partner_id


def _body_shop(call: ShopeeCall) -> int:
    if "main_account_id" in call.body or "merchant_id" in call.body:
        raise param_error("the sandbox authorises shops only (shop_id), not main accounts or merchants")
    return as_int(require(call.body, "shop_id"), "shop_id")


def auth_partner(call: ShopeeCall) -> Redirect:
    """The consent page: the pre-registered shop agrees at once and the browser is redirected."""
    redirect = call.arg("redirect")
    if not redirect:
        raise param_error("redirect is required")
    wanted = call.arg("sandbox_shop_id")  # sandbox-only: pick which shop logs in on the consent page
    shop_id = int(wanted) if wanted and wanted.isdigit() else call.config.consenting_shop_id
    if shop_id is None:
        shop_id = next(iter(call.office.shops), None)
    if shop_id is None or shop_id not in call.office.shops:
        raise param_error("the sandbox has no such shop to authorise")
    code = call.office.issue_code(shop_id, call.partner_id)
    separator = "&" if "?" in redirect else "?"
    return Redirect(f"{redirect}{separator}{urlencode({'code': code, 'shop_id': shop_id})}")


def _pair(call: ShopeeCall, shop_id: int) -> JsonObject:
    office = call.office
    # One live refresh token per shop and partner: a new grant retires the older ones.
    for old in office.refresh_tokens.values():
        if old.partner_id == call.partner_id and old.shop_id == shop_id:
            old.used = True
    access, refresh = office.grant(shop_id, call.partner_id)
    return {
        "access_token": access.token,
        "refresh_token": refresh.token,
        "expire_in": int(call.config.access_token_lifetime),
    }


def get_token(call: ShopeeCall) -> JsonObject:
    """POST /api/v2/auth/token/get: a consent code, once, for a token pair."""
    _body_partner(call)
    shop_id = _body_shop(call)
    code = call.office.codes.get(as_str(require(call.body, "code"), "code"))
    if (
        code is None
        or code.used
        or call.office.clock() >= code.expires_at
        or code.partner_id != call.partner_id
        or code.shop_id != shop_id
    ):
        raise param_error("invalid code")
    code.used = True
    return _pair(call, shop_id)


def refresh_access_token(call: ShopeeCall) -> JsonObject:
    """POST /api/v2/auth/access_token/get: a refresh token, once, for a new pair."""
    partner_id = _body_partner(call)
    shop_id = _body_shop(call)
    office = call.office
    refresh = office.refresh_tokens.get(as_str(require(call.body, "refresh_token"), "refresh_token"))
    now = office.clock()
    if (
        refresh is None
        or refresh.used
        or now >= refresh.expires_at
        or refresh.partner_id != partner_id
        or refresh.shop_id != shop_id
    ):
        raise param_error("invalid refresh_token")
    # The access tokens issued before stay usable a short while, so calls in flight do not fail.
    for token in office.access_tokens.values():
        if token.partner_id == partner_id and token.shop_id == shop_id:
            token.expires_at = min(token.expires_at, now + call.config.refresh_grace)
    return {**_pair(call, shop_id), "partner_id": partner_id, "shop_id": shop_id}
