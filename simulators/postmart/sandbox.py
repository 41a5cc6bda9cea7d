"""The Postmart simulator: exactly the contract of `config/channels/postmart.toml`, over a scriptable back office.

Postmart publishes one page of its merchant API; the rest of the contract is assumed, in the toml. This
sandbox READS THE SAME TOML as the connector: its routes are the toml's endpoints (method and path),
its auth is the toml's scheme (login for a token sent in the configured header, or a fixed API key),
its envelope keys, field names, paging, time format, body encoding (``[wire]``: a body in the other
encoding is refused) and "not found" code are the toml's. So a test can change a path in
a copied toml, build both from it, and see both follow; and when the real docs arrive, fixing the toml
fixes the simulator with the connector.

:class:`PostmartSandbox` *is* the back office (:class:`~simulators.postmart.state.PostmartBackOffice`:
tests call ``place_order``, ``set_price``, ``ban`` … on it) and an ASGI app, on the front every simulator
shares (:mod:`simulators.common.app`). Every request passes, in order: the fault plan (recorded in
``sandbox.log``), routing (404 / 405 envelopes), the rate limit (a token bucket per merchant: HTTP 429
with Retry-After), auth (body code 401), then the endpoint under the sandbox lock. Errors come as HTTP
200 with the envelope's code set (ASSUMED, see the toml); injected 502/503/504 are an nginx HTML page.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.postmart.config import PostmartConfig, load_postmart_contract
from simulators.common.app import SandboxFront, gateway_page
from simulators.common.app import serve as serve_app
from simulators.common.faults import CannedResponse, Fault, FaultKind, RecordedCall, TokenBucket
from simulators.common.multipart import parse_multipart
from simulators.postmart.endpoints import HANDLERS, PostmartCall, PostmartRefusal
from simulators.postmart.state import PostmartBackOffice

__all__ = ["BASE_URL", "DEMO_PASSWORD", "DEMO_USERNAME", "PostmartSandbox", "parse_form", "serve"]

BASE_URL = "https://open.postmart.com.vn"
DEMO_USERNAME = "htx-dantien"
DEMO_PASSWORD = "demo-password"  # noqa: S105 (the sandbox's demo merchant, not a real secret)

_FORM_KEY = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")


def parse_form(fields: list[tuple[str, str]], text_fields: set[str]) -> dict[str, Any]:
    """A PHP-style form (``goods[0][goods_id]=1``) back into nested values, numbers as numbers."""
    root: dict[str, Any] = {}
    for key, value in fields:
        names = [m.group(1) or m.group(2) for m in _FORM_KEY.finditer(key)]
        if not names:
            continue
        node = root
        for name in names[:-1]:
            node = node.setdefault(name, {})
        number = not set(names) & text_fields and value.lstrip("-").isdigit()
        node[names[-1]] = int(value) if number else value
    return _lists(root)  # type: ignore[no-any-return]


def _lists(node: Any) -> Any:
    # PHP's list keys: a table whose keys are 0, 1, 2 ... is a list.
    if isinstance(node, dict):
        if node and all(str(k).isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def _route_pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", path.strip("/"))
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^/{regex}/?$")


class PostmartSandbox(SandboxFront, PostmartBackOffice):
    """A Postmart back office with the toml's HTTP API in front of it; itself an ASGI app."""

    base_url = BASE_URL
    fleet_module = "simulators.postmart.fleet"

    def __init__(
        self,
        contract: PostmartConfig | None = None,
        *,
        config_path: Path | None = None,
        clock: Callable[[], float] = time.time,
        seed: int = 0,
        rate_limit_per_merchant: float | None = None,
        decimal_prices: bool = True,
        token_ttl_s: int = 3600,
    ) -> None:
        super().__init__(clock=clock, token_ttl_s=token_ttl_s)
        self.contract = contract or load_postmart_contract(config_path)
        self.decimal_prices = decimal_prices
        self.rate_limit = rate_limit_per_merchant
        self._routes = [
            (key, endpoint.method, _route_pattern(endpoint.path))
            for key, endpoint in self.contract.endpoints
            if key in HANDLERS
        ]
        f, s, a = self.contract.fields.product, self.contract.fields.sku, self.contract.auth
        image = self.contract.fields.image
        # Values a form carries as text whatever they look like; every other all-digit value is a number.
        self._text_fields = {f.serial, f.name, f.description, f.image, f.images, s.serial, s.spec,
                             a.username_field, a.password_field, image.file, image.filename}  # fmt: skip
        self._open_front(seed)

    # -- what tests use besides the back office ------------------------------------------------------

    def path_of(self, endpoint: str, **ids: str) -> str:
        """The URL path the contract gives an endpoint (``product_create`` → ``/apis/v1/merchant/products``)."""
        return str(getattr(self.contract.endpoints, endpoint).url_path(**ids))

    def calls(self, endpoint: str | None = None) -> int:
        return len(self.recorded(endpoint))

    def recorded(self, endpoint: str | None = None) -> list[RecordedCall]:
        """Requests received for ``endpoint`` (its method and path), or all of them."""
        if endpoint is None:
            return self.log.recorded()
        method = getattr(self.contract.endpoints, endpoint).method
        return [c for c in self.log.recorded(self.path_of(endpoint)) if c.method == method]

    # -- HTTP ------------------------------------------------------------------------------------------

    def _envelope(self, code: int, message: str, result: Any, method: str = "") -> dict[str, Any]:
        e = self.contract.envelope
        return {e.code: code, e.message: message, e.result: result, e.request_method: method}

    def _refuse(self, refusal: PostmartRefusal, headers: dict[str, str] | None = None) -> JSONResponse:
        body = self._envelope(refusal.code, refusal.message, None)
        return JSONResponse(body, status_code=refusal.http_status, headers=headers)

    def _render_fault(self, fault: Fault) -> CannedResponse:
        if fault.kind is FaultKind.RATE_LIMIT:
            body = json.dumps(self._envelope(429, "Quá nhiều yêu cầu", None)).encode()
            return CannedResponse(429, body, (("content-type", "application/json"), ("retry-after", "1")))
        page = gateway_page(fault.status)
        if page is not None:
            return page
        body = json.dumps(self._envelope(fault.status, "Lỗi hệ thống", None)).encode()
        return CannedResponse(fault.status, body)

    def _merchant(self, request: Request) -> str:
        auth = self.contract.auth
        value = request.headers.get(auth.header, "")
        scheme = auth.scheme.strip()
        if scheme:
            prefix = f"{scheme} "
            value = value[len(prefix) :] if value.startswith(prefix) else ""
        merchant = self.api_keys.get(value) if auth.mode == "api_key" else self.merchant_of(value)
        if not value or merchant is None:
            raise PostmartRefusal(401, "Token không hợp lệ hoặc đã hết hạn")
        return merchant

    def _throttle(self, merchant: str) -> float:
        if self.rate_limit is None:
            return 0.0
        return self._bucket(merchant, self.rate_limit, max(1.0, self.rate_limit)).take()

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        matches = [(key, method, m) for key, method, pattern in self._routes if (m := pattern.match(path))]
        chosen = next(((key, m) for key, method, m in matches if method == request.method), None)
        if chosen is None:
            refusal = PostmartRefusal(405 if matches else 404, f"{request.method} {path} không tồn tại",
                                      http_status=405 if matches else 404)  # fmt: skip
            return self._refuse(refusal)
        key, match = chosen
        raw = await request.body()
        try:
            async with self.lock:
                merchant = "" if key == "login" and self.contract.auth.mode == "login" else self._merchant(request)
                wait = self._throttle(merchant or "login")
                if wait > 0:
                    retry = str(TokenBucket.retry_after(wait))
                    return self._refuse(PostmartRefusal(429, "Quá nhiều yêu cầu", http_status=429),
                                        {"Retry-After": retry})  # fmt: skip
                call = PostmartCall(self, self.contract, merchant, dict(request.query_params),
                                    ids=match.groupdict(), decimal_prices=self.decimal_prices)  # fmt: skip
                content_type = request.headers.get("content-type", "")
                wire = self.contract.wire
                if key == "image_upload" and wire.upload == "multipart":
                    if not content_type.startswith("multipart/"):
                        raise PostmartRefusal(400, "ảnh phải gửi dạng multipart")
                    call.parts = parse_multipart(content_type, raw)
                    call.body = parse_form([(p.name, p.data.decode()) for p in call.parts if not p.filename],
                                           self._text_fields)  # fmt: skip
                elif raw.strip() and wire.body == "form":
                    if not content_type.startswith("application/x-www-form-urlencoded"):
                        raise PostmartRefusal(400, "body phải là form")
                    call.body = parse_form(parse_qsl(raw.decode(), keep_blank_values=True), self._text_fields)
                elif raw.strip():
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        raise PostmartRefusal(400, "body không phải JSON") from None
                    if not isinstance(body, dict):
                        raise PostmartRefusal(400, "body phải là một object")
                    call.body = body
                result = HANDLERS[key](call)
        except PostmartRefusal as refusal:
            return self._refuse(refusal)
        return JSONResponse(self._envelope(self.contract.envelope.success_code, "Thành công", result))


def serve(port: int, host: str = "127.0.0.1", *, sandbox: PostmartSandbox | None = None, **config: Any) -> None:
    """Run a Postmart sandbox on ``host:port`` until interrupted (demo merchant: DEMO_USERNAME/DEMO_PASSWORD)."""
    log_level = str(config.pop("log_level", "warning"))
    if sandbox is None:
        sandbox = PostmartSandbox(**config)
        sandbox.add_merchant(DEMO_USERNAME, DEMO_PASSWORD)
    serve_app(sandbox, port, host, log_level)


def _main() -> None:
    parser = argparse.ArgumentParser(description="Run the local Postmart sandbox (contract: postmart.toml).")
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    serve(args.port, args.host, log_level="info")


if __name__ == "__main__":
    _main()
