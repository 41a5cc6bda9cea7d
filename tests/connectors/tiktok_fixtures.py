"""Shared pieces of the TikTok connector tests: a config on test hosts, tokens, answers, a connector."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import httpx

from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy, RetrySettings
from connectors.tiktok.config import TikTokConfig, load_tiktok_config
from connectors.tiktok.connector import TikTokConnector
from core.ports import InMemoryTokenStore, Tokens
from tests.connectors.conftest import NOW, FakeClock

BASE = "https://tiktok.test"
AUTH = "https://auth.tiktok.test"
APP_KEY = "app-key-77"
APP_SECRET = "app-secret-SSSS9999"
ACCESS = "tt-access-AAAA1111"
REFRESH = "tt-refresh-BBBB2222"
NEW_ACCESS = "tt-access-CCCC3333"
NEW_REFRESH = "tt-refresh-DDDD4444"
CIPHER = "ROW_cipher1"
WAREHOUSE = "WH-1"
PRODUCTS = "/product/202309/products"
SEARCH = "/product/202502/products/search"


def make_config(**overrides: Any) -> TikTokConfig:
    settings: dict[str, Any] = {
        "base_url": BASE,
        "auth_base_url": AUTH,
        "app_key": APP_KEY,
        "service_id": "svc-1",
        "shop_id": "7001",
        "shop_cipher": CIPHER,
        "warehouse_id": WAREHOUSE,
        "category_map": {"Trà": "600151"},
    }
    settings.update(overrides)
    return load_tiktok_config(**settings)


def tokens_at(access: str = ACCESS, refresh: str = REFRESH, *, days: float = 7) -> Tokens:
    return Tokens(
        access_token=access,
        refresh_token=refresh,
        access_expires_at=NOW + timedelta(days=days),
        refresh_expires_at=NOW + timedelta(days=365),
    )


def make_connector(
    http: httpx.AsyncClient,
    clock: FakeClock,
    *,
    config: TikTokConfig | None = None,
    tokens: InMemoryTokenStore | None = None,
    retry: RetrySettings | None = None,
) -> TikTokConnector:
    config = config or make_config()
    return TikTokConnector(
        config,
        http=http,
        tokens=tokens if tokens is not None else InMemoryTokenStore(tokens_at()),
        app_secret=APP_SECRET,
        throttle=Throttle.unlimited(),
        now=clock,
        sleep=clock.sleep,
        retry=RetryPolicy(retry or config.retry, sleep=clock.sleep, jitter=lambda cap: cap),
    )


def ok(data: dict[str, Any] | None = None, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"code": 0, "message": "Success", "request_id": "rq-1", "data": data or {}})


def refusal(code: int, message: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": message, "request_id": "rq-err", "data": None})


def token_answer(access: str = NEW_ACCESS, refresh: str = NEW_REFRESH) -> httpx.Response:
    expires = int((NOW + timedelta(days=7)).timestamp())
    return ok(
        {
            "access_token": access,
            "access_token_expire_in": expires,
            "refresh_token": refresh,
            "refresh_token_expire_in": expires + 300 * 86400,
            "open_id": "o",
            "seller_name": "HTX",
        }
    )


def search_product(product_id: str, skus: dict[str, str], status: str = "ACTIVATE", **extra: Any) -> dict[str, Any]:
    """A products/search entry: ``skus`` is seller SKU → TikTok SKU id."""
    return {
        "id": product_id,
        "title": "t",
        "status": status,
        **extra,
        "skus": [
            {
                "id": sku_id,
                "seller_sku": seller_sku,
                "price": {"amount": "1000", "currency": "VND"},
                "inventory": [{"warehouse_id": WAREHOUSE, "quantity": 3}],
            }
            for seller_sku, sku_id in skus.items()
        ],
    }


def independent_sign(request: httpx.Request, secret: str = APP_SECRET) -> str:
    """The signature TikTok computes, written again from the guide (not with the connector's code)."""
    params = sorted((k, v) for k, v in request.url.params.multi_items() if k not in ("sign", "access_token"))
    body = "" if request.headers.get("content-type", "").startswith("multipart/") else request.content.decode()
    text = secret + request.url.path + "".join(k + v for k, v in params) + body + secret
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
