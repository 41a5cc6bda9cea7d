"""A tiny TikTok Shop client for the sandbox tests: common parameters, signing, envelopes.

It signs with its own few lines of HMAC, written from ``marketplaces/tiktok-shop.md`` and checked against
``test-vectors.md`` in ``test_tiktok_signing.py``, so the sandbox's verifier is tested against an
independent implementation rather than against itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from simulators.common.faults import ManualClock
from simulators.tiktok.config import ShopSeed, TikTokConfig
from simulators.tiktok.sandbox import TikTokSandbox

START = 1_700_000_000
APP_KEY = "test_app_key"
APP_SECRET = "test_app_secret"
SHOP = ShopSeed(
    "7000000000000000001", "HTX Thử Nghiệm", "ROW_cipher_one", ("7100000000000000001", "7100000000000000002")
)
OTHER_SHOP = ShopSeed("7000000000000000002", "Cửa hàng Thứ Hai", "ROW_cipher_two", ("7100000000000000003",))
WAREHOUSE = SHOP.warehouse_ids[0]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200)
TITLE = "Gạo ST25 Sóc Trăng túi 5kg, OCOP 4 sao"
CREATE = "/product/202309/products"


def hmac_hex(secret: str, path: str, query: Mapping[str, Any], body: bytes = b"") -> str:
    inner = path + "".join(f"{k}{query[k]}" for k in sorted(query) if k not in ("sign", "access_token"))
    message = secret.encode() + inner.encode() + body + secret.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def make_sandbox(clock: ManualClock, **config: Any) -> TikTokSandbox:
    settings: dict[str, Any] = {"apps": {APP_KEY: APP_SECRET}, "shops": [SHOP, OTHER_SHOP]} | config
    return TikTokSandbox(TikTokConfig(**settings), clock=clock, seed=7)


class TikTokApi:
    """Just enough of a TikTok Shop client to drive the sandbox."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        clock: ManualClock,
        shop: ShopSeed = SHOP,
        app: tuple[str, str] = (APP_KEY, APP_SECRET),
    ) -> None:
        self.http = http
        self.clock = clock
        self.shop = shop
        self.app_key, self.app_secret = app
        self.access_token = ""

    def params(
        self,
        path: str,
        body: bytes = b"",
        *,
        shop: bool = True,
        timestamp: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        query: dict[str, Any] = {
            "app_key": self.app_key,
            "timestamp": int(self.clock()) if timestamp is None else timestamp,
        }
        if shop:
            query["shop_cipher"] = self.shop.cipher
        query |= dict(extra or {})
        return query | {"sign": hmac_hex(self.app_secret, path, query, body)}

    async def call(
        self, method: str, path: str, body: Any = None, *, query: Mapping[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        raw = b"" if body is None else json.dumps(body).encode()
        headers = {"x-tts-access-token": self.access_token, "content-type": "application/json"}
        params = self.params(path, raw, extra=query, **kw)
        return await self.http.request(method, path, params=params, content=raw or None, headers=headers)

    async def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> dict[str, Any]:
        """Call and insist on success; returns ``data``."""
        response = await self.call(method, path, body, **kw)
        envelope = response.json()
        assert (response.status_code, envelope["code"]) == (200, 0), envelope
        data: dict[str, Any] = envelope["data"]
        return data

    async def upload(self, data: bytes = JPEG) -> httpx.Response:
        path = "/product/202309/images/upload"
        return await self.http.post(
            path,
            params=self.params(path, shop=False),
            files={"data": ("a.jpg", data)},
            data={"use_case": "MAIN_IMAGE"},
            headers={"x-tts-access-token": self.access_token},
        )

    async def product_body(self, skus: int = 2, **overrides: Any) -> dict[str, Any]:
        uri = (await self.upload()).json()["data"]["uri"]
        body: dict[str, Any] = {
            "title": TITLE,
            "description": "<p>Gạo thơm đặc sản Sóc Trăng.</p>",
            "category_id": "600101",
            "main_images": [{"uri": uri}],
            "skus": [sku(f"GAO-{k}", 100_000 + k, 10 + k, value=f"{k + 1}kg", single=skus == 1) for k in range(skus)],
            "package_weight": {"value": "5.1", "unit": "KILOGRAM"},
            "package_dimensions": {"length": "40", "width": "30", "height": "10", "unit": "CENTIMETER"},
            "save_mode": "LISTING",
        }
        return body | overrides

    async def create(self, skus: int = 2, **overrides: Any) -> dict[str, Any]:
        return await self.ok("POST", CREATE, await self.product_body(skus, **overrides))


def sku(seller_sku: str, price: int, quantity: int, *, value: str = "1kg", single: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "seller_sku": seller_sku,
        "price": {"amount": str(price), "currency": "VND"},
        "inventory": [{"warehouse_id": WAREHOUSE, "quantity": quantity}],
    }
    if not single:
        entry["sales_attributes"] = [{"name": "Khối lượng", "value_name": value}]
    return entry


@asynccontextmanager
async def connected(sandbox: TikTokSandbox, clock: ManualClock, shop: ShopSeed = SHOP) -> AsyncIterator[TikTokApi]:
    """A client of ``shop``, already authorised, talking to the sandbox in-process."""
    async with sandbox.client() as http:
        api = TikTokApi(http, clock, shop)
        api.access_token = sandbox.grant_tokens(shop.shop_id)["access_token"]
        yield api
