"""A tiny Shopee client for the sandbox tests: common parameters, signing, envelopes.

It signs with its own few lines of HMAC, written from ``marketplaces/shopee.md`` and checked against
``test-vectors.md`` in ``test_shopee_auth.py``, so the sandbox's verifier is tested against an independent
implementation rather than against itself.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx

from simulators.common.faults import ManualClock
from simulators.shopee.harness import PARTNER_ID, PARTNER_KEY, SHOP_ID

OTHER_SHOP_ID = 14701712
START = 1_700_000_000
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


def hmac_hex(key: str, message: str) -> str:
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


class ShopeeApi:
    """Just enough of a Shopee client to drive the sandbox: common parameters, signing, envelopes."""

    def __init__(self, http: httpx.AsyncClient, clock: ManualClock) -> None:
        self.http = http
        self.clock = clock
        self.partner_id = PARTNER_ID
        self.partner_key = PARTNER_KEY
        self.shop_id = SHOP_ID
        self.access_token = ""

    def params(self, path: str, *, public: bool = False, timestamp: int | None = None) -> dict[str, Any]:
        ts = int(self.clock()) if timestamp is None else timestamp
        base = f"{self.partner_id}{path}{ts}"
        params: dict[str, Any] = {"partner_id": self.partner_id, "timestamp": ts}
        if not public:
            base += f"{self.access_token}{self.shop_id}"
            params |= {"access_token": self.access_token, "shop_id": self.shop_id}
        return params | {"sign": hmac_hex(self.partner_key, base)}

    async def get(self, call: str, query: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        path = f"/api/v2/{call}"
        return await self.http.get(path, params={**self.params(path, **kw), **(query or {})})

    async def post(self, call: str, body: Any = None, **kw: Any) -> httpx.Response:
        path = f"/api/v2/{call}"
        return await self.http.post(path, params=self.params(path, **kw), json=body if body is not None else {})

    async def ok(self, method: str, call: str, payload: Any = None, **kw: Any) -> dict[str, Any]:
        """Call and insist on success; returns the ``response`` object."""
        response = await (self.get(call, payload, **kw) if method == "GET" else self.post(call, payload, **kw))
        envelope = response.json()
        assert response.status_code == 200, envelope
        assert envelope["error"] == "", envelope
        result: dict[str, Any] = envelope["response"]
        return result

    async def upload(self, data: bytes = JPEG) -> str:
        path = "/api/v2/media_space/upload_image"
        files = {"image": ("photo.jpg", data, "image/jpeg")}
        response = await self.http.post(path, params=self.params(path), files=files)
        image_id: str = response.json()["response"]["image_info"]["image_id"]
        return image_id

    async def add_item(self, **overrides: Any) -> dict[str, Any]:
        body = await self.item_body(**overrides)
        return await self.ok("POST", "product/add_item", body)

    async def item_body(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "item_name": "Trà Shan Tuyết Hà Giang 100g",
            "description": "Trà shan tuyết cổ thụ, sản phẩm OCOP 4 sao của Hà Giang.",
            "original_price": 125000,
            "seller_stock": [{"stock": 20}],
            "weight": 0.2,
            "category_id": 100111,
            "image": {"image_id_list": [await self.upload()]},
            "logistic_info": [{"logistic_id": 50021, "enabled": True}],
            "dimension": {"package_length": 10, "package_width": 8, "package_height": 5},
            "item_sku": "TRA-SHAN-100",
        }
        return body | overrides
