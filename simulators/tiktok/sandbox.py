"""The TikTok Shop sandbox: a local stand-in for the Partner API (202309+) and its token host, as an ASGI app.

:class:`TikTokSandbox` *is* the back office (:class:`~simulators.tiktok.state.TikTokBackOffice`: tests and
the demo call ``place_order``, ``hand_set_price``, ``hand_deactivate`` … on it) and an ASGI app serving
both hosts of the wire contract on one origin: the open API (``/product/…``, ``/order/…``, …) and the
token host (``/api/v2/token/get`` and ``/refresh``), on the front every simulator shares
(:mod:`simulators.common.app`). Use it in-process with ``httpx.AsyncClient(transport=sandbox.transport())``
or on loopback with :func:`serve`.

Every request passes, in order: the fault plan (``sandbox.faults``, recorded in ``sandbox.log``), the
route (36009009 / HTTP 404 for an unknown path, 36009010 / HTTP 405 for a wrong method), the gateway
(:func:`~simulators.tiktok.auth.verify_request`), the rate limit per API and shop (HTTP 429, 36009002),
then the endpoint under the sandbox lock. Answers are TikTok's envelope ``{code, message, request_id,
data}``; injected 502/503/504 answers are an HTML gateway page, not JSON, as a client meets them.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulators.common.app import SandboxFront, gateway_page, serve_options
from simulators.common.app import serve as serve_app
from simulators.common.faults import CannedResponse, Fault, FaultKind, TokenBucket
from simulators.common.multipart import MultipartError, parse_multipart
from simulators.tiktok import auth, catalog, inventory, media, orders, products
from simulators.tiktok.config import ShopSeed, TikTokConfig
from simulators.tiktok.records import Order
from simulators.tiktok.state import TikTokBackOffice
from simulators.tiktok.wire import RATE_LIMITED, JsonObject, TikTokCall, TikTokError, param_error

__all__ = ["AUTH_BASE_URL", "BASE_URL", "ROUTES", "ShopSeed", "TikTokConfig", "TikTokSandbox", "serve"]

BASE_URL = "https://open-api.tiktokglobalshop.com"
AUTH_BASE_URL = "https://auth.tiktok-shops.com"
TOKEN_GET, TOKEN_REFRESH = "/api/v2/token/get", "/api/v2/token/refresh"

Handler = Callable[[TikTokCall], JsonObject]


@dataclass(frozen=True)
class _Route:
    method: str
    template: str  # "/product/202309/products/{product_id}"
    handler: Handler | None  # None: the token host, answered before the gateway
    access: str = "shop"  # "shop": shop_cipher required; "token": access token only (a cipher is checked if sent)

    @property
    def pattern(self) -> re.Pattern[str]:
        parts = re.split(r"(\{\w+\})", self.template)
        return re.compile(
            "^" + "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts) + "$"
        )


_P = "/product/202309"
ROUTES: tuple[_Route, ...] = (
    _Route("GET", TOKEN_GET, None),
    _Route("GET", TOKEN_REFRESH, None),
    _Route("GET", "/authorization/202309/shops", auth.authorized_shops, "token"),
    _Route("GET", "/logistics/202309/warehouses", auth.warehouses),
    _Route("POST", f"{_P}/images/upload", media.upload_image, "token"),
    _Route("GET", f"{_P}/categories", catalog.get_categories, "token"),
    _Route("GET", f"{_P}/categories/{{category_id}}/attributes", catalog.get_attributes, "token"),
    _Route("POST", f"{_P}/products", products.create_product),
    _Route("DELETE", f"{_P}/products", catalog.delete),
    _Route("POST", f"{_P}/products/deactivate", catalog.deactivate),
    _Route("POST", f"{_P}/products/activate", catalog.activate),
    _Route("GET", f"{_P}/products/{{product_id}}", products.get_product),
    _Route("PUT", f"{_P}/products/{{product_id}}", products.edit_product),
    _Route("POST", f"{_P}/products/{{product_id}}/prices/update", inventory.update_prices),
    _Route("POST", f"{_P}/products/{{product_id}}/inventory/update", inventory.update_inventory),
    _Route("POST", f"{_P}/inventory/search", inventory.search_inventory),
    _Route("POST", "/product/202502/products/search", catalog.search_products),
    _Route("POST", "/order/202309/orders/search", orders.search_orders),
)
_PATTERNS = tuple((route, route.pattern) for route in ROUTES)


def _request_id() -> str:
    return secrets.token_hex(16).upper()


def _envelope(code: int, message: str, data: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": _request_id(), "data": data}


def _refusal(error: TikTokError) -> JSONResponse:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return JSONResponse(_envelope(error.code, error.message, None), status_code=error.http_status, headers=headers)


class TikTokSandbox(SandboxFront, TikTokBackOffice):
    """A TikTok Shop back office with TikTok's HTTP API in front of it; itself an ASGI app."""

    base_url = BASE_URL
    fleet_module = "simulators.tiktok.fleet"

    def __init__(
        self, config: TikTokConfig | None = None, *, clock: Callable[[], float] = time.time, seed: int = 0
    ) -> None:
        super().__init__(config or TikTokConfig(), clock)
        self._open_front(seed)

    # -- what tests and the demo use besides the back office -------------------------------------------

    def authorize_shop(self, shop_id: str, app_key: str | None = None) -> str:
        """Skip the authorize page: the auth code the seller's consent would send to the redirect URL."""
        return self.issue_code(shop_id, app_key)

    def grant_tokens(self, shop_id: str, app_key: str | None = None) -> JsonObject:
        """Skip the code too: what ``/api/v2/token/get`` would answer (``data``), expiries in Unix seconds."""
        return auth.token_data(self, *self.grant(shop_id, app_key))

    def place_order(self, shop_id: str, lines: Sequence[tuple[str, int]], status: str = "AWAITING_SHIPMENT") -> Order:
        return super().place_order(shop_id, lines, status)

    # -- HTTP ------------------------------------------------------------------------------------------

    def _render_fault(self, fault: Fault) -> CannedResponse:
        if fault.kind is FaultKind.RATE_LIMIT:
            body = json.dumps(_envelope(RATE_LIMITED, "Too many requests", None)).encode()
            headers = [("content-type", "application/json")]
            if self.config.retry_after:
                headers.append(("retry-after", "1"))
            return CannedResponse(429, body, tuple(headers))
        page = gateway_page(fault.status)
        if page is not None:
            return page
        return CannedResponse(fault.status, json.dumps(_envelope(36009003, "Internal error", None)).encode())

    def _throttle(self, template: str, who: str) -> None:
        rate = self.config.rate_limit_per_api
        if rate is None:
            return
        wait = self._bucket((template, who), rate, self.config.rate_limit_burst).take()
        if wait > 0:
            retry = TokenBucket.retry_after(wait) if self.config.retry_after else None
            raise TikTokError(RATE_LIMITED, "Too many requests", http_status=429, retry_after=retry)

    def _route(self, method: str, path: str) -> tuple[_Route, dict[str, str]]:
        matches = [(route, m.groupdict()) for route, pattern in _PATTERNS if (m := pattern.match(path))]
        chosen = next(((r, ids) for r, ids in matches if r.method == method), None)
        if chosen is None:
            if matches:
                raise TikTokError(36009010, f"method {method} is not allowed on {path}", http_status=405)
            raise TikTokError(36009009, f"path {path} does not exist", http_status=404)
        return chosen

    async def _handle(self, request: Request) -> Response:
        query = {name: request.query_params[name] for name in request.query_params}
        raw = await request.body()
        try:
            route, ids = self._route(request.method, request.url.path)
            async with self.lock:
                self.settle_audits()
                if route.handler is None:
                    app = auth.identify_app(self, query)
                    self._throttle(route.template, app.app_key)
                    answer = (auth.get_token if route.template == TOKEN_GET else auth.refresh_token)(self, query)
                    return JSONResponse(_envelope(0, "success", answer))
                call = self._call(request, route, ids, query, raw)
                self._throttle(route.template, call.shop.shop_id if call.shop else call.app.app_key)
                answer = route.handler(call)
        except TikTokError as exc:
            return _refusal(exc)
        return JSONResponse(_envelope(0, "Success", answer))

    def _call(
        self, request: Request, route: _Route, ids: dict[str, str], query: dict[str, str], raw: bytes
    ) -> TikTokCall:
        content_type = request.headers.get("content-type", "")
        multipart = content_type.lower().startswith("multipart/form-data")
        app, token, shop = auth.verify_request(
            self,
            request.url.path,
            query,
            b"" if multipart else raw,
            request.headers.get("x-tts-access-token", ""),
            shop_api=True if route.access == "shop" else None,
        )
        call = TikTokCall(self, request.url.path, app, query, ids, token, shop)
        if multipart:
            try:
                call.parts = parse_multipart(content_type, raw)
            except MultipartError:
                raise param_error(self.config, "the multipart body cannot be read") from None
        elif route.handler is media.upload_image:
            raise TikTokError(36009022, "content-type must be multipart/form-data")
        elif raw.strip():
            try:
                body = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise param_error(self.config, "the request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise param_error(self.config, "the request body must be a JSON object")
            call.body = body
        return call


def serve(port: int, host: str = "127.0.0.1", *, sandbox: TikTokSandbox | None = None, **config: Any) -> None:
    """Run a TikTok Shop sandbox on ``host:port`` until interrupted.

    ``config`` takes :class:`TikTokConfig` field names, plus ``seed`` (fault RNG) and ``log_level``
    (uvicorn, default "warning"). Without ``apps`` the fleet's demo app and shops are seeded
    (:mod:`simulators.tiktok.fleet`). Pass ``sandbox=`` to serve one you keep a reference to.
    """
    log_level, seed = serve_options(config, sandbox)
    if sandbox is None:
        from simulators.tiktok.fleet import DEMO_APP_KEY, DEMO_APP_SECRET, DEMO_SHOPS

        settings = TikTokConfig(**config)
        if not settings.apps:
            settings.apps = {DEMO_APP_KEY: DEMO_APP_SECRET}
            settings.shops = settings.shops or list(DEMO_SHOPS)
        if settings.rate_limit_per_api is None and "rate_limit_per_api" not in config:
            settings.rate_limit_per_api = 50.0  # TikTok's documented default, when served
        sandbox = TikTokSandbox(settings, seed=seed)
    serve_app(sandbox, port, host, log_level)
