"""A tiny Lazada client for the simulator tests: system parameters, signing, envelopes, payloads.

It signs with its own few lines of HMAC, written from ``marketplaces/lazada.md`` and checked against the
official worked example in ``test_lazada_signing.py``, so the simulator's verifier is tested against an
independent implementation rather than against itself.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import httpx
from PIL import Image

from simulators.common.faults import ManualClock
from simulators.lazada.config import LazadaConfig, SellerSeed
from simulators.lazada.sandbox import LazadaSandbox

START = 1_700_000_000
APP_KEY = "100001"
APP_SECRET = "test_app_secret"
SELLER = SellerSeed("300000001", "VNTEST01", "HTX Thử Nghiệm")
OTHER_SELLER = SellerSeed("300000002", "VNTEST02", "Cửa hàng Thứ Hai")
RICE = "10000101"  # a leaf: name and brand_id mandatory
FRUIT = "10000102"  # a leaf: "Xuất xứ" (country_origin) mandatory too
NO_BRAND = "20000001"


def signature(secret: str, api_path: str, params: Mapping[str, Any]) -> str:
    """Upper-case hex HMAC-SHA256 of the API path and the sorted key+value pairs (never ``sign``)."""
    text = api_path + "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


@cache
def jpeg(side: int = 400) -> bytes:
    """A real JPEG of ``side`` x ``side`` pixels."""
    out = io.BytesIO()
    Image.new("RGB", (side, side), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def make_sandbox(clock: ManualClock, **config: Any) -> LazadaSandbox:
    settings: dict[str, Any] = {"apps": {APP_KEY: APP_SECRET}, "sellers": [SELLER, OTHER_SELLER]} | config
    return LazadaSandbox(LazadaConfig(**settings), clock=clock, seed=7)


def sku(seller_sku: str, price: Any = 100_000, quantity: Any = 10, **fields: Any) -> dict[str, Any]:
    """One SKU of a payload: its own package, and a sale property named after it."""
    entry: dict[str, Any] = {
        "SellerSku": seller_sku,
        "price": price,
        "quantity": quantity,
        "package_weight": "0.5",
        "package_length": "20",
        "package_width": "15",
        "package_height": "10",
        "saleProp": {"variation": seller_sku},
    }
    return entry | fields


def payload(product: Mapping[str, Any]) -> str:
    return json.dumps({"Request": {"Product": dict(product)}}, ensure_ascii=False)


class LazadaApi:
    """Just enough of a Lazada client to drive the simulator."""

    def __init__(self, http: httpx.AsyncClient, clock: ManualClock, app: tuple[str, str] = (APP_KEY, APP_SECRET)):
        self.http = http
        self.clock = clock
        self.app_key, self.app_secret = app
        self.access_token = ""

    def signed(
        self, api_path: str, params: Mapping[str, Any] | None = None, *, token: bool = True, timestamp: Any = None
    ) -> dict[str, str]:
        """System parameters added (``access_token`` on seller APIs), then the signature."""
        system = {
            "app_key": self.app_key,
            "timestamp": str(int(self.clock() * 1000) if timestamp is None else timestamp),
            "sign_method": "sha256",
        }
        if token:
            system["access_token"] = self.access_token
        every = system | {k: str(v) for k, v in (params or {}).items()}
        return every | {"sign": signature(self.app_secret, api_path, every)}

    async def get(self, api_path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> httpx.Response:
        return await self.http.get(api_path, params=self.signed(api_path, params, **kw))

    async def post(self, api_path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> httpx.Response:
        return await self.http.post(api_path, data=self.signed(api_path, params, **kw))

    async def ok(self, method: str, api_path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        """Call and insist on success; returns ``data``."""
        response = await (self.get if method == "GET" else self.post)(api_path, params, **kw)
        body = response.json()
        assert (response.status_code, body["code"]) == (200, "0"), body
        return body["data"]

    async def refused(self, method: str, api_path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        """Call and insist on a refusal with HTTP 200; returns the error body."""
        response = await (self.get if method == "GET" else self.post)(api_path, params, **kw)
        body = response.json()
        assert response.status_code == 200 and body["code"] != "0", body
        assert {"type", "code", "message", "request_id"} <= set(body)
        return body

    async def upload(self, data: bytes | None = None) -> httpx.Response:
        path = "/image/upload"
        image = jpeg() if data is None else data
        return await self.http.post(path, params=self.signed(path), files={"image": ("a.jpg", image, "image/jpeg")})

    async def image_url(self) -> str:
        response = await self.upload()
        url: str = response.json()["data"]["image"]["url"]
        return url

    async def product(self, *skus: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        """A create's Product: rice, one uploaded picture, No Brand, and ``skus`` (two by default)."""
        return {
            "PrimaryCategory": RICE,
            "Images": {"Image": [await self.image_url()]},
            "Attributes": {"name": "Gạo ST25 Sóc Trăng túi 5kg", "description": "<p>Thơm.</p>", "brand_id": NO_BRAND},
            "Skus": {"Sku": list(skus) or [sku("GAO-0", 100_000, 10), sku("GAO-1", 100_001, 11)]},
        } | overrides

    async def create(self, *skus: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = await self.ok(
            "POST", "/product/create", {"payload": payload(await self.product(*skus, **overrides))}
        )
        return data

    async def set_skus(self, *entries: dict[str, Any]) -> httpx.Response:
        """price_quantity/update of ``entries`` ({ItemId, SkuId, Price, Quantity...})."""
        body = json.dumps({"Request": {"Product": {"Skus": {"Sku": list(entries)}}}})
        return await self.post("/product/price_quantity/update", {"payload": body})

    async def products(self, **params: Any) -> dict[str, Any]:
        data: dict[str, Any] = await self.ok("GET", "/products/get", params)
        return data


@asynccontextmanager
async def connected(
    sandbox: LazadaSandbox, clock: ManualClock, seller: SellerSeed = SELLER
) -> AsyncIterator[LazadaApi]:
    """A client of ``seller``, already authorised, talking to the simulator in-process."""
    async with sandbox.client() as http:
        api = LazadaApi(http, clock)
        api.access_token = sandbox.grant_tokens(seller.seller_id)["access_token"]
        yield api
