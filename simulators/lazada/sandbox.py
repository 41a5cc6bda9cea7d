"""The Lazada simulator: a local stand-in for the Lazada Open Platform and its token host, as an ASGI app.

:class:`LazadaSandbox` *is* the back office (:class:`~simulators.lazada.state.LazadaBackOffice`: tests and
the demo call ``place_order``, ``hand_set_price``, ``hand_deactivate`` … on it) and an ASGI app serving
both hosts of the wire contract on one origin under ``/rest``: the seller API (``/rest/product/create``,
``/rest/orders/get``, …) and the token host (``/rest/auth/token/create`` and ``/refresh``), so a client
points its ``base_url`` and ``auth_base_url`` at the same URL; the front is the one every simulator shares
(:mod:`simulators.common.app`). Use it in-process with ``httpx.AsyncClient(transport=sandbox.transport())``
or on loopback with :func:`serve`.

Every request passes, in order: the fault plan (``sandbox.faults``, recorded in ``sandbox.log``), the
route (``InvalidApiPath``, HTTP 404, for an unknown path or the wrong method), the gateway
(:func:`~simulators.lazada.auth.verify_request`), the rate limit per API and seller (``ApiCallLimit``
with a one-second ban), then the endpoint under the simulator's lock. Parameters are read alike from the
query and a form-encoded body (and a multipart body's plain fields); a multipart file is never signed.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulators.common.app import SandboxFront, gateway_page, serve_options
from simulators.common.app import serve as serve_app
from simulators.common.faults import CannedResponse, Fault, FaultKind
from simulators.common.multipart import MultipartError, fields_and_files, parse_multipart
from simulators.lazada import auth, catalog, inventory, media, orders, products
from simulators.lazada.config import LazadaConfig, SellerSeed
from simulators.lazada.state import LazadaBackOffice
from simulators.lazada.wire import (
    API_CALL_LIMIT,
    INTERNAL_ERROR,
    INVALID_API_PATH,
    JsonObject,
    LazadaCall,
    LazadaError,
    envelope,
)

__all__ = [
    "BASE_URL",
    "PRICE_QUANTITY",
    "REST",
    "ROUTES",
    "TOKEN_CREATE",
    "TOKEN_REFRESH",
    "LazadaConfig",
    "LazadaSandbox",
    "SellerSeed",
    "serve",
]

BASE_URL = "https://api.lazada.vn/rest"
REST = "/rest"
TOKEN_CREATE, TOKEN_REFRESH = "/auth/token/create", "/auth/token/refresh"
PRICE_QUANTITY = "/product/price_quantity/update"

Handler = Callable[[LazadaCall], Any]


@dataclass(frozen=True)
class _Route:
    methods: tuple[str, ...]
    handler: Handler
    access: str = "seller"  # "seller": an access token is required; "app": signed by the app alone


ROUTES: dict[str, _Route] = {
    TOKEN_CREATE: _Route(("POST",), auth.create_token, "app"),
    TOKEN_REFRESH: _Route(("POST",), auth.refresh_token, "app"),
    "/category/tree/get": _Route(("GET",), catalog.get_category_tree, "app"),
    "/category/attributes/get": _Route(("GET",), catalog.get_attributes, "app"),
    "/category/brands/query": _Route(("GET", "POST"), catalog.get_brands, "app"),
    "/image/upload": _Route(("POST",), media.upload_image),
    "/product/create": _Route(("POST",), products.create_product),
    "/product/update": _Route(("POST",), products.update_product),
    PRICE_QUANTITY: _Route(("POST",), inventory.update_price_quantity),
    "/product/deactivate": _Route(("POST",), inventory.deactivate),
    "/product/remove": _Route(("POST",), inventory.remove),
    "/products/get": _Route(("GET",), catalog.get_products),
    "/product/item/get": _Route(("GET",), catalog.get_item),
    "/orders/get": _Route(("GET",), orders.get_orders),
    "/orders/items/get": _Route(("GET",), orders.get_orders_items),
    "/order/get": _Route(("GET",), orders.get_order),
    "/order/items/get": _Route(("GET",), orders.get_order_items),
}
_THROTTLE_MESSAGES = {
    "901": "E901: request is too frequent, please try again later",
    API_CALL_LIMIT: "Api access frequency exceeds the limit. this ban will last 1 seconds",
    "SYS_REQUEST_TOO_FAST": "The request is too fast, please try again later",
}


def _request_id() -> str:
    return secrets.token_hex(13)


class LazadaSandbox(SandboxFront, LazadaBackOffice):
    """A Lazada back office with Lazada's HTTP API in front of it; itself an ASGI app."""

    base_url = BASE_URL  # Lazada Vietnam's
    fleet_module = "simulators.lazada.fleet"

    def __init__(
        self, config: LazadaConfig | None = None, *, clock: Callable[[], float] = time.time, seed: int = 0
    ) -> None:
        super().__init__(config or LazadaConfig(), clock)
        self._bans: dict[tuple[str, str], float] = {}
        self._open_front(seed)

    # -- what tests and the demo use besides the back office -------------------------------------------

    def calls(self, path: str | None = None) -> int:
        """Requests received on ``path`` (``/rest/...``; every path when None), whatever became of them."""
        return self.log.calls(path)

    def authorize_seller(self, seller_id: str, app_key: str | None = None) -> str:
        """Skip the authorize page: the code the seller's consent would send to the app's redirect URI."""
        return self.issue_code(seller_id, app_key)

    def grant_tokens(self, seller_id: str, app_key: str | None = None) -> JsonObject:
        """Skip the code too: what ``/auth/token/create`` would answer (flat, lifetimes in seconds)."""
        answer = auth.token_answer(self, *self.grant(seller_id, app_key), "country_user_info")
        return answer | {"request_id": _request_id()}

    # -- HTTP ------------------------------------------------------------------------------------------

    def _render_fault(self, fault: Fault) -> CannedResponse:
        if fault.kind is FaultKind.RATE_LIMIT:
            code = self.config.fault_throttle_code
            message = _THROTTLE_MESSAGES.get(code, "request is too frequent")
            body = LazadaError(code, message, kind="ISP").body(_request_id())
            return CannedResponse(self.config.throttle_http_status, json.dumps(body).encode())
        page = gateway_page(fault.status) if self.config.gateway_html_pages else None
        if page is not None:
            return page
        error = LazadaError(INTERNAL_ERROR, "The request has failed due to an internal error", kind="SYSTEM")
        return CannedResponse(fault.status, json.dumps(error.body(_request_id())).encode())

    def _throttle(self, api_path: str, who: str) -> None:
        rate = self.config.rate_limit_per_api
        if rate is None:
            return
        key, now = (api_path, who), self.clock()
        bucket = self._bucket(key, rate, self.config.rate_limit_burst)
        # Over the rate, the API is banned for rate_ban_s; calls during the ban are refused, not counted.
        banned = now < self._bans.get(key, 0.0)
        if not banned and bucket.take() > 0:
            self._bans[key], banned = now + self.config.rate_ban_s, True
        if banned:
            ban = f"{self.config.rate_ban_s:g}"
            raise LazadaError(API_CALL_LIMIT, f"Api access frequency exceeds the limit. this ban will last {ban} "
                              "seconds", kind="ISP", http_status=self.config.throttle_http_status)  # fmt: skip

    def _route(self, method: str, path: str) -> tuple[str, _Route]:
        api_path = path[len(REST) :] if path.startswith(f"{REST}/") else ""
        route = ROUTES.get(api_path)
        if route is None or (self.config.strict_methods and method not in route.methods):
            raise LazadaError(INVALID_API_PATH, f"The specified API path or method is invalid: {method} {path}",
                              kind="ISP", http_status=404)  # fmt: skip
        return api_path, route

    @staticmethod
    def _params(request: Request, raw: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
        params = dict(parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        content_type = request.headers.get("content-type", "")
        files: dict[str, bytes] = {}
        if content_type.lower().startswith("application/x-www-form-urlencoded"):
            params |= dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        elif content_type.lower().startswith("multipart/form-data"):
            with suppress(MultipartError):  # without a boundary there are no parts: the call lacks them
                fields, files = fields_and_files(parse_multipart(content_type, raw))
                params |= fields
        return params, files

    async def _handle(self, request: Request) -> Response:
        request_id = _request_id()
        raw = await request.body()
        try:
            api_path, route = self._route(request.method, request.url.path)
            params, files = self._params(request, raw)
            async with self.lock:
                self.settle_qc()
                app, token, seller = auth.verify_request(self, api_path, params, seller_api=route.access == "seller")
                self._throttle(api_path, seller.seller_id if seller else app.app_key)
                answer = route.handler(LazadaCall(self, api_path, app, params, token, seller, files))
        except LazadaError as exc:
            return JSONResponse(exc.body(request_id), status_code=exc.http_status)
        if api_path in (TOKEN_CREATE, TOKEN_REFRESH):
            return JSONResponse(answer | {"request_id": request_id})  # flat: no data wrapper
        return JSONResponse(envelope(answer, request_id))


def serve(port: int, host: str = "127.0.0.1", *, sandbox: LazadaSandbox | None = None, **config: Any) -> None:
    """Run a Lazada simulator on ``host:port`` until interrupted (its API under ``/rest``).

    ``config`` takes :class:`LazadaConfig` field names, plus ``seed`` (fault RNG) and ``log_level``
    (uvicorn, default "warning"). Without ``apps`` the fleet's demo app and sellers are seeded
    (:mod:`simulators.lazada.fleet`). Pass ``sandbox=`` to serve one you keep a reference to.
    """
    log_level, seed = serve_options(config, sandbox)
    if sandbox is None:
        from simulators.lazada.fleet import demo_config

        settings = LazadaConfig(**config)
        if not settings.apps:
            settings = demo_config(**config)
        sandbox = LazadaSandbox(settings, seed=seed)
    serve_app(sandbox, port, host, log_level)
