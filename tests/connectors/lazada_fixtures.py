"""Shared pieces of the Lazada connector tests: a config on test hosts, tokens, answers, a connector, and
the signature Lazada checks written again from its guide (not with the connector's code)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx

from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy, RetrySettings
from connectors.lazada.config import LazadaConfig, load_lazada_config
from connectors.lazada.connector import LazadaConnector
from core.ports import InMemoryTokenStore, Tokens
from tests.connectors.conftest import NOW, FakeClock

BASE = "https://lazada.test/rest"
AUTH = "https://auth.lazada.test/rest"
APP_KEY = "123456"
APP_SECRET = "lz-app-secret-SSSS9999"
ACCESS = "lz-access-AAAA1111"
REFRESH = "lz-refresh-BBBB2222"
NEW_ACCESS = "lz-access-CCCC3333"
NEW_REFRESH = "lz-refresh-DDDD4444"
SELLER_ID = "200100001"
PRODUCTS = f"{BASE}/products/get"
ITEM = f"{BASE}/product/item/get"
CREATE = f"{BASE}/product/create"
UPDATE = f"{BASE}/product/update"
PRICE_QUANTITY = f"{BASE}/product/price_quantity/update"
REMOVE = f"{BASE}/product/remove"
DEACTIVATE = f"{BASE}/product/deactivate"
UPLOAD = f"{BASE}/image/upload"
REFRESH_URL = f"{AUTH}/auth/token/refresh"
CREATE_TOKEN_URL = f"{AUTH}/auth/token/create"


def make_config(**overrides: Any) -> LazadaConfig:
    """The shipped toml with a test account: so tests also prove the toml loads."""
    settings: dict[str, Any] = {
        "base_url": BASE,
        "auth_base_url": AUTH,
        "app_key": APP_KEY,
        "seller_id": SELLER_ID,
        "category_map": {"Trà": "10000151", "Trái cây": "10000102"},
    }
    settings.update(overrides)
    return load_lazada_config(**settings)


def tokens_at(access: str = ACCESS, refresh: str = REFRESH, *, days: float = 30, refresh_days: float = 180) -> Tokens:
    return Tokens(
        access_token=access,
        refresh_token=refresh,
        access_expires_at=NOW + timedelta(days=days),
        refresh_expires_at=NOW + timedelta(days=refresh_days),
    )


def make_connector(
    http: httpx.AsyncClient,
    clock: FakeClock,
    *,
    config: LazadaConfig | None = None,
    tokens: InMemoryTokenStore | None = None,
    retry: RetrySettings | None = None,
) -> LazadaConnector:
    config = config or make_config()
    return LazadaConnector(
        config,
        http=http,
        tokens=tokens if tokens is not None else InMemoryTokenStore(tokens_at()),
        app_secret=APP_SECRET,
        throttle=Throttle.unlimited(),
        now=clock,
        sleep=clock.sleep,
        retry=RetryPolicy(retry or config.retry, sleep=clock.sleep, jitter=lambda cap: cap),
    )


def ok(data: Any = None, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"code": "0", "data": {} if data is None else data, "request_id": "rq-1"})


def refusal(
    code: str, message: str, *, status: int = 200, detail: list[dict[str, str]] | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"type": "ISV", "code": code, "message": message, "request_id": "rq-err"}
    if detail is not None:
        body["detail"] = detail
    return httpx.Response(status, json=body)


def token_answer(
    access: str = NEW_ACCESS,
    refresh: str = NEW_REFRESH,
    *,
    expires_in: int = 30 * 86400,
    refresh_expires_in: int = 180 * 86400,
    list_name: str = "country_user_info_list",
) -> httpx.Response:
    """A flat token answer (no data wrapper), as both token calls give it."""
    return httpx.Response(
        200,
        json={
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": expires_in,
            "refresh_expires_in": refresh_expires_in,
            "country": "vn",
            "account": "htx@seller.test",
            "account_platform": "seller_center",
            "account_id": "1200100001",
            list_name: [{"country": "vn", "seller_id": SELLER_ID, "user_id": "1200100001", "short_code": "VN1"}],
            "code": "0",
            "request_id": "rq-tok",
        },
    )


def sku_entry(seller_sku: str, sku_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "SkuId": int(sku_id) if sku_id.isdigit() else sku_id,
        "SellerSku": seller_sku,
        "ShopSku": f"{sku_id}-VN",
        "Status": "active",
        "quantity": 5,
        "Available": 5,
        "withhold_quantity": 0,
        "occupy_quantity": 0,
        "price": 120000,
        "special_price": 0,
        **fields,
    }


def product_entry(item_id: str, skus: dict[str, str], status: str = "Active", **extra: Any) -> dict[str, Any]:
    """A products/get entry: ``skus`` is SellerSku → SkuId."""
    return {
        "item_id": int(item_id) if item_id.isdigit() else item_id,
        "primary_category": 10000151,
        "attributes": {"name": "Trà", "description": "d", "brand_id": "20000001"},
        "status": status,
        "images": ["https://img.lazada.test/1.jpg"],
        "skus": [sku_entry(seller_sku, sku_id) for seller_sku, sku_id in skus.items()],
        "created_time": "1717200000000",
        "updated_time": "1717200000000",
        **extra,
    }


def products(*entries: dict[str, Any]) -> httpx.Response:
    return ok({"total_products": len(entries), "products": list(entries)})


NONE_FOUND = products()


def sent(request: httpx.Request) -> dict[str, str]:
    """Every parameter of a request, from its query and its form body alike."""
    params = dict(request.url.params.multi_items())
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(request.content.decode(), keep_blank_values=True))
    return params


def payload_of(request: httpx.Request, name: str = "payload") -> Any:
    return json.loads(sent(request)[name])


def independent_sign(request: httpx.Request, secret: str = APP_SECRET) -> str:
    """The signature Lazada checks: path after /rest, then key+value sorted, upper-case hex HMAC-SHA256."""
    params = {k: v for k, v in sent(request).items() if k != "sign"}
    path = request.url.path.split("/rest", 1)[1]
    text = path + "".join(k + params[k] for k in sorted(params))
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()
