"""The Shopee Open Platform v2 simulator: Shopee's wire protocol over a scriptable seller back office.

:class:`ShopeeSandbox` *is* the back office (:class:`~simulators.shopee.state.ShopeeBackOffice`:
tests call ``place_order``, ``set_price``, ``ban_item`` … on it directly) and an ASGI app speaking
``/api/v2/...`` as ``marketplaces/shopee.md`` describes it, on the front every simulator shares
(:mod:`simulators.common.app`). Use it in-process with ``httpx.AsyncClient(transport=sandbox.transport())``
(or a plain ``httpx.ASGITransport(app=sandbox)``), or on loopback with :func:`serve`.

Every request passes, in order: the fault plan (``sandbox.faults``, recorded in ``sandbox.calls``), the
partner check, the rate limit (token buckets per partner and per shop, 429 + ``Retry-After``), timestamp
and signature, the access token for shop APIs, then the endpoint under the sandbox lock. Refusals made
before the endpoint use the HTTP statuses of ``ShopeeConfig.gateway_status``; the endpoint's own errors
come, as on Shopee, in a 200 envelope whose ``error`` is set. Injected 502/503/504 answers are the HTML
page an nginx gateway would send, not JSON, because that is what a client meets in the wild.
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from simulators.common.app import SandboxFront, gateway_page, serve_options
from simulators.common.app import serve as serve_app
from simulators.common.faults import CannedResponse, Fault, FaultKind, TokenBucket
from simulators.shopee import catalog, listing, media, orders, variations
from simulators.shopee.auth import (
    Redirect,
    auth_partner,
    get_token,
    identify_partner,
    refresh_access_token,
    requested_shop_id,
    verify_request,
)
from simulators.shopee.config import ShopeeConfig
from simulators.shopee.state import ShopeeBackOffice
from simulators.shopee.wire import (
    JsonObject,
    ShopeeCall,
    ShopeeError,
    build_push,
    parse_json_body,
    parse_multipart,
)

__all__ = [
    "BASE_URL",
    "DEMO_PARTNER_ID",
    "DEMO_PARTNER_KEY",
    "DEMO_SHOP_ID",
    "ENDPOINT_PATHS",
    "ShopeeConfig",
    "ShopeeSandbox",
    "serve",
]

BASE_URL = "https://partner.shopeemobile.com"
# Dummy credentials of test-vectors.md, seeded by serve() when no partner is configured.
DEMO_PARTNER_ID = 2001887
DEMO_PARTNER_KEY = "test_partner_key"
DEMO_SHOP_ID = 14701711

Handler = Callable[[ShopeeCall], JsonObject | Redirect]


@dataclass(frozen=True)
class _Endpoint:
    method: str
    handler: Handler
    access: str = "shop"  # "public": partner signature; "shop": + access_token and shop_id; "either"
    top_level: bool = False  # token calls answer beside request_id, not under "response"


_ENDPOINTS: dict[str, _Endpoint] = {
    "/api/v2/shop/auth_partner": _Endpoint("GET", auth_partner, "public"),
    "/api/v2/auth/token/get": _Endpoint("POST", get_token, "public", top_level=True),
    "/api/v2/auth/access_token/get": _Endpoint("POST", refresh_access_token, "public", top_level=True),
    # Shopee's docs disagree on whether uploads need a shop; the sandbox accepts both signatures.
    "/api/v2/media_space/upload_image": _Endpoint("POST", media.upload_image, "either"),
    "/api/v2/product/get_category": _Endpoint("GET", catalog.get_category),
    "/api/v2/product/get_item_limit": _Endpoint("GET", catalog.get_item_limit),
    "/api/v2/product/add_item": _Endpoint("POST", listing.add_item),
    "/api/v2/product/update_item": _Endpoint("POST", listing.update_item),
    "/api/v2/product/init_tier_variation": _Endpoint("POST", variations.init_tier_variation),
    "/api/v2/product/update_tier_variation": _Endpoint("POST", variations.update_tier_variation),
    "/api/v2/product/add_model": _Endpoint("POST", variations.add_model),
    "/api/v2/product/update_model": _Endpoint("POST", variations.update_model),
    "/api/v2/product/delete_model": _Endpoint("POST", variations.delete_model),
    "/api/v2/product/update_price": _Endpoint("POST", catalog.update_price),
    "/api/v2/product/update_stock": _Endpoint("POST", catalog.update_stock),
    "/api/v2/product/unlist_item": _Endpoint("POST", catalog.unlist_item),
    "/api/v2/product/delete_item": _Endpoint("POST", catalog.delete_item),
    "/api/v2/product/get_item_list": _Endpoint("GET", catalog.get_item_list),
    "/api/v2/product/get_item_base_info": _Endpoint("GET", catalog.get_item_base_info),
    "/api/v2/product/get_model_list": _Endpoint("GET", catalog.get_model_list),
    "/api/v2/product/search_item": _Endpoint("GET", catalog.search_item),
    "/api/v2/logistics/get_channel_list": _Endpoint("GET", catalog.get_channel_list),
    "/api/v2/order/get_order_list": _Endpoint("GET", orders.get_order_list),
    "/api/v2/order/get_order_detail": _Endpoint("GET", orders.get_order_detail),
}
ENDPOINT_PATHS = tuple(_ENDPOINTS)

_NGINX = "<hr><center>nginx</center>"


class _Throttled(ShopeeError):
    def __init__(self, config: ShopeeConfig, wait: float | None) -> None:
        super().__init__(
            config.rate_limit_error,
            "Too many requests, please try again later.",
            http_status=config.rate_limit_status,
        )
        self.retry_after = None if wait is None else TokenBucket.retry_after(wait)


def _request_id() -> str:
    return secrets.token_hex(16)


def _error(error: ShopeeError) -> JSONResponse:
    headers = {}
    if isinstance(error, _Throttled) and error.retry_after:
        headers["Retry-After"] = str(error.retry_after)
    payload = {"request_id": _request_id(), "error": error.error, "message": error.message}
    return JSONResponse(payload, status_code=error.http_status, headers=headers)


class ShopeeSandbox(SandboxFront, ShopeeBackOffice):
    """A Shopee seller back office with Shopee's HTTP API in front of it; itself an ASGI app."""

    base_url = BASE_URL
    fleet_module = "simulators.shopee.fleet"

    def __init__(
        self, config: ShopeeConfig | None = None, *, clock: Callable[[], float] = time.time, seed: int = 0
    ) -> None:
        super().__init__(config or ShopeeConfig(), clock)
        self._open_front(seed)

    # -- what tests use besides the back office ------------------------------------------------------

    def push(
        self,
        callback_url: str,
        code: int,
        data: JsonObject,
        *,
        shop_id: int | None = None,
        partner_id: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A signed push (webhook) body and headers, as Shopee would POST them to ``callback_url``."""
        partner = self.partners[self._partner_id(partner_id)]
        payload: JsonObject = {"data": data, **({"shop_id": shop_id} if shop_id is not None else {})}
        payload |= {"code": code, "timestamp": self.now()}
        return build_push(partner.partner_key, callback_url, payload)

    def order_status_push(
        self, order_sn: str, callback_url: str, partner_id: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Push code 3 for an order's current status."""
        order = self.order(order_sn)
        data = {
            "items": [],
            "ordersn": order.order_sn,
            "status": order.order_status,
            "completed_scenario": "",
            "update_time": order.update_time,
        }
        return self.push(callback_url, 3, data, shop_id=order.shop_id, partner_id=partner_id)

    # -- HTTP ------------------------------------------------------------------------------------------

    def _throttle(self, partner_id: int, shop_id: int | None) -> None:
        config = self.config
        for scope, key, rate in (
            ("partner", partner_id, config.rate_limit_per_partner),
            ("shop", shop_id, config.rate_limit_per_shop),
        ):
            if rate is None or key is None:
                continue
            wait = self._bucket((scope, key), rate, config.rate_limit_burst).take()
            if wait > 0:
                raise _Throttled(config, wait if config.retry_after else None)

    def _render_fault(self, fault: Fault) -> CannedResponse:
        if fault.kind is FaultKind.RATE_LIMIT:
            payload = {
                "request_id": _request_id(),
                "error": self.config.rate_limit_error,
                "message": "Too many requests.",
            }
            headers = [("content-type", "application/json")]
            if self.config.retry_after:
                headers.append(("retry-after", "1"))
            return CannedResponse(self.config.rate_limit_status, json.dumps(payload).encode(), tuple(headers))
        page = gateway_page(fault.status, _NGINX)
        if page is not None:
            return page
        payload = {"request_id": _request_id(), "error": "error_server", "message": "Internal server error."}
        return CannedResponse(fault.status, json.dumps(payload).encode())

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        endpoint = _ENDPOINTS.get(path)
        if endpoint is None:
            return JSONResponse({"request_id": _request_id(), "error": "error_not_found", "message": ""}, 404)
        if request.method != endpoint.method:
            message = f"Wrong parameters, detail: {path} expects {endpoint.method}."
            return JSONResponse({"request_id": _request_id(), "error": "error_param", "message": message}, 405)
        query = {name: request.query_params.getlist(name) for name in request.query_params}
        raw = await request.body()
        try:
            async with self.lock:
                partner = identify_partner(self, query)
                shop_api = endpoint.access == "shop" or (endpoint.access == "either" and "access_token" in query)
                self._throttle(partner.partner_id, requested_shop_id(self, query) if shop_api else None)
                shop = verify_request(self, path, query, partner, shop_api=shop_api)
                call = ShopeeCall(self, path, partner.partner_id, shop, query)
                if request.method == "POST":
                    content_type = request.headers.get("content-type", "")
                    if content_type.startswith("multipart/"):
                        call.parts = parse_multipart(content_type, raw)
                    else:
                        call.body = parse_json_body(raw)
                result = endpoint.handler(call)
        except ShopeeError as exc:
            return _error(exc)
        if isinstance(result, Redirect):
            return RedirectResponse(result.url, status_code=302)
        envelope: JsonObject = {"request_id": _request_id(), "error": "", "message": ""}
        return JSONResponse(envelope | result if endpoint.top_level else envelope | {"response": result})


def serve(port: int, host: str = "127.0.0.1", *, sandbox: ShopeeSandbox | None = None, **config: Any) -> None:
    """Run a Shopee sandbox on ``host:port`` until interrupted.

    ``config`` takes :class:`ShopeeConfig` field names, plus ``seed`` (fault RNG) and ``log_level``
    (uvicorn, default "warning"). Without ``partners`` the demo partner of test-vectors.md is seeded
    (``DEMO_PARTNER_ID`` / ``DEMO_PARTNER_KEY``) with shop ``DEMO_SHOP_ID``. Pass ``sandbox=`` to serve
    one you keep a reference to (scripting it from another thread is not synchronised).
    """
    log_level, seed = serve_options(config, sandbox)
    if sandbox is None:
        settings = ShopeeConfig(**config)
        if not settings.partners:
            settings.partners = {DEMO_PARTNER_ID: DEMO_PARTNER_KEY}
            settings.shops = settings.shops or [DEMO_SHOP_ID]
        sandbox = ShopeeSandbox(settings, seed=seed)
    serve_app(sandbox, port, host, log_level, quiet_drops=True)


def _main() -> None:
    parser = argparse.ArgumentParser(description="Run the local Shopee Open Platform v2 sandbox.")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--rate", type=float, default=None, help="requests per second per partner")
    args = parser.parse_args()
    serve(args.port, args.host, rate_limit_per_partner=args.rate, log_level="info")


if __name__ == "__main__":
    _main()
