"""TikTok Shop authorisation in the sandbox: the gateway's checks on every call, the token host, and shops.

Every open-API request first meets the gateway, in the contract's order: is the app known, is the
timestamp fresh (5 minutes old at most, 30 s ahead at most), is the signature right, is the access token
(header ``x-tts-access-token``) known and alive, and on shop APIs is ``shop_cipher`` there and the
token's shop. Only then does an endpoint run. The token host (``/api/v2/token/get`` and ``/refresh``, no
signature: the app secret travels in the query) trades a single-use authorisation code for a token pair
whose expiries are absolute Unix times, and a refresh token for a new pair, spending the old refresh token
when ``rotate_refresh_token`` says so and ending the old access token at once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from simulators.tiktok.records import AccessToken, App, RefreshToken, Shop
from simulators.tiktok.state import TikTokBackOffice
from simulators.tiktok.wire import (
    BAD_SIGN,
    CIPHER_MISSING,
    INVALID_AUTH,
    INVALID_GRANT,
    TOKEN_EXPIRED,
    JsonObject,
    TikTokCall,
    TikTokError,
    tiktok_sign,
)

__all__ = [
    "GRANTED_SCOPES",
    "authorized_shops",
    "get_token",
    "identify_app",
    "open_id",
    "refresh_token",
    "token_data",
    "verify_request",
    "warehouses",
]

GRANTED_SCOPES = (
    "seller.authorization.info",
    "seller.product.basic",
    "seller.product.write",
    "seller.order.info",
    "seller.logistics",
)


def _refuse(code: int, message: str) -> TikTokError:
    return TikTokError(code, message, http_status=401)


def identify_app(office: TikTokBackOffice, query: Mapping[str, str]) -> App:
    app = office.apps.get(query.get("app_key", ""))
    if app is None:
        raise _refuse(INVALID_AUTH, "Invalid app_key or app_key is missing")
    return app


def verify_request(
    office: TikTokBackOffice,
    path: str,
    query: Mapping[str, str],
    body: bytes,
    token_header: str,
    *,
    shop_api: bool | None,
) -> tuple[App, AccessToken, Shop | None]:
    """App, timestamp, signature, token and (``shop_api``: required; None: when given) shop_cipher."""
    config = office.config
    app = identify_app(office, query)
    raw_ts, now = query.get("timestamp", ""), office.clock()
    if not raw_ts.isdigit():
        raise _refuse(INVALID_AUTH, "timestamp is missing or not an integer")
    if not now - config.timestamp_window <= int(raw_ts) <= now + config.timestamp_skew:
        raise _refuse(INVALID_AUTH, "timestamp is expired or too far in the future")
    sign = query.get("sign", "")
    if not sign:
        raise _refuse(INVALID_AUTH, "sign is missing")
    expected = tiktok_sign(app.app_secret, path, query, body)
    if not hmac.compare_digest(sign.lower().encode(), expected.encode()):
        raise _refuse(BAD_SIGN, "Invalid signature")
    token = office.access_tokens.get(token_header) if token_header else None
    if token is None or token.app_key != app.app_key:
        raise _refuse(INVALID_AUTH, "invalid access token")
    if now >= token.expires_at:
        raise _refuse(TOKEN_EXPIRED, "access token expired")
    cipher = query.get("shop_cipher", "")
    if not cipher:
        if shop_api:
            raise _refuse(CIPHER_MISSING, "shop_cipher is missing")
        return app, token, None
    shop = office.shops.get(token.shop_id)
    if shop is None or shop.cipher != cipher:
        raise _refuse(INVALID_AUTH, "shop_cipher does not belong to the authorized shop")
    return app, token, shop


def open_id(app_key: str, shop_id: str) -> str:
    """The seller's id for this app: stable, opaque, one per (app, shop)."""
    return hashlib.sha256(f"{app_key}:{shop_id}".encode()).hexdigest()[:32]


def _token_app(office: TikTokBackOffice, query: Mapping[str, str], grant_type: str) -> App:
    app = office.apps.get(query.get("app_key", ""))
    if app is None or not hmac.compare_digest(query.get("app_secret", "").encode(), app.app_secret.encode()):
        raise _refuse(INVALID_AUTH, "Invalid app_key or app_secret")
    if query.get("grant_type") != grant_type:
        raise TikTokError(office.config.param_error_code, f"Invalid params: grant_type must be {grant_type}")
    return app


def token_data(office: TikTokBackOffice, access: AccessToken, refresh: RefreshToken) -> JsonObject:
    shop = office.shops[access.shop_id]
    return {
        "access_token": access.token,
        "access_token_expire_in": int(access.expires_at),
        "refresh_token": refresh.token,
        "refresh_token_expire_in": int(refresh.expires_at),
        "open_id": open_id(access.app_key, shop.shop_id),
        "seller_name": shop.name,
        "seller_base_region": office.config.region,
        "user_type": 0,
        "granted_scopes": list(GRANTED_SCOPES),
    }


def get_token(office: TikTokBackOffice, query: Mapping[str, str]) -> JsonObject:
    """GET /api/v2/token/get: an authorisation code, once, within 30 minutes, for a token pair."""
    app = _token_app(office, query, "authorized_code")
    code = office.codes.get(query.get("auth_code", ""))
    if code is None or code.used or office.clock() >= code.expires_at or code.app_key != app.app_key:
        raise TikTokError(INVALID_GRANT, "invalid or expired auth_code")
    code.used = True
    return token_data(office, *office.grant(code.shop_id, app.app_key))


def refresh_token(office: TikTokBackOffice, query: Mapping[str, str]) -> JsonObject:
    """GET /api/v2/token/refresh: a live refresh token for a new access token (and refresh token)."""
    app = _token_app(office, query, "refresh_token")
    old = office.refresh_tokens.get(query.get("refresh_token", ""))
    now = office.clock()
    if old is None or old.used or now >= old.expires_at or old.app_key != app.app_key:
        raise TikTokError(INVALID_GRANT, "invalid or expired refresh_token")
    for token in office.access_tokens.values():
        if token.app_key == app.app_key and token.shop_id == old.shop_id:
            token.expires_at = min(token.expires_at, now)
    access, refresh = office.grant(old.shop_id, app.app_key)
    if office.config.rotate_refresh_token:
        old.used = True
    else:
        del office.refresh_tokens[refresh.token]
        refresh = old
    return token_data(office, access, refresh)


def authorized_shops(call: TikTokCall) -> JsonObject:
    """GET /authorization/202309/shops: the token's shop, with the cipher every shop API needs."""
    assert call.token is not None  # the gateway checked it
    shop = call.office.shops[call.token.shop_id]
    return {
        "shops": [
            {
                "id": shop.shop_id,
                "name": shop.name,
                "region": call.config.region,
                "seller_type": "LOCAL",
                "cipher": shop.cipher,
                "code": shop.code,
            }
        ]
    }


def warehouses(call: TikTokCall) -> JsonObject:
    """GET /logistics/202309/warehouses: the shop's sales warehouses, its default one marked."""
    shop = call.office.shops[call.shop_id]
    return {
        "warehouses": [
            {
                "id": w.warehouse_id,
                "name": w.name,
                "effect_status": "ENABLED",
                "type": "SALES_WAREHOUSE",
                "is_default": w.is_default,
            }
            for w in shop.warehouses
        ]
    }
