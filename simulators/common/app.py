"""The HTTP front every marketplace simulator shares, so each marketplace writes only its own routing.

A simulator class is its marketplace's back office and this front (:class:`SandboxFront`): an ASGI app
whose every request is recorded (``log``), then meets the fault plan (``faults``), then reaches the
marketplace's ``_handle`` through a catch-all Starlette route. The marketplace supplies ``_handle``, the
bodies its gateway sends for an injected fault (``_render_fault``: :func:`gateway_page` for the HTML a
502/503/504 really is), its live ``base_url`` and the ``fleet_module`` naming its books. :func:`serve`
runs one on a port until interrupted.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from typing import Any, ClassVar

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulators.common.faults import (
    CallLog,
    CannedResponse,
    ConnectionDropped,
    Fault,
    FaultMiddleware,
    FaultPlan,
    InProcessTransport,
    Receive,
    RecordedCall,
    Scope,
    Send,
    TokenBucket,
)
from simulators.common.fleet import saved_books

__all__ = ["GATEWAY_REASONS", "SandboxFront", "gateway_page", "serve", "serve_options"]

GATEWAY_REASONS = {502: "502 Bad Gateway", 503: "503 Service Temporarily Unavailable", 504: "504 Gateway Time-out"}
_GATEWAY_PAGE = "<html><head><title>{0}</title></head><body><center><h1>{0}</h1></center>{1}</body></html>"
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def gateway_page(status: int, footer: str = "") -> CannedResponse | None:
    """The HTML page a gateway sends for a 502/503/504 (None for another status): not the marketplace's
    JSON, because that is what a client meets in the wild."""
    if status not in GATEWAY_REASONS:
        return None
    page = _GATEWAY_PAGE.format(GATEWAY_REASONS[status], footer).encode()
    return CannedResponse(status, page, (("content-type", "text/html"),))


class SandboxFront(ABC):
    """The ASGI front of a back office: call :meth:`_open_front` once the back office is set up."""

    base_url: ClassVar[str]  # the marketplace's live base URL, for client()
    fleet_module: ClassVar[str]  # the module whose BOOKS are the back office's books
    clock: Callable[[], float]  # the back office's

    def _open_front(self, seed: int) -> None:
        self.lock = asyncio.Lock()
        self.faults = FaultPlan(seed)
        self.log = CallLog()
        self._buckets: dict[Hashable, TokenBucket] = {}
        routes = [Route("/{path:path}", self._handle, methods=_METHODS)]
        self.app = FaultMiddleware(Starlette(routes=routes), self.faults, self._render_fault, self.log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    @abstractmethod
    async def _handle(self, request: Request) -> Response: ...

    @abstractmethod
    def _render_fault(self, fault: Fault) -> CannedResponse: ...

    # -- what tests and the demo use besides the back office -------------------------------------------

    def books(self) -> dict[str, Any]:
        """The back office's books, to save (:mod:`simulators.common.fleet`)."""
        # Looked up when called: the fleet module imports the sandbox module.
        names: tuple[str, ...] = importlib.import_module(self.fleet_module).BOOKS
        return saved_books(self, names)

    def calls(self, path: str | None = None) -> int:
        """Requests received on ``path`` (every path when None), whatever became of them."""
        return self.log.calls(path)

    def recorded(self, path: str | None = None) -> list[RecordedCall]:
        return self.log.recorded(path)

    def transport(self) -> InProcessTransport:
        return InProcessTransport(self)

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` wired to this simulator in-process, with the marketplace's live base URL."""
        kwargs.setdefault("base_url", self.base_url)
        return httpx.AsyncClient(transport=self.transport(), **kwargs)

    def _bucket(self, key: Hashable, rate: float, burst: float | None = None) -> TokenBucket:
        """The rate limit of ``key``, made on first use (``burst`` at once, else a second's worth)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(rate, burst or max(1, math.ceil(rate)), self.clock)
        return bucket


def serve_options(config: dict[str, Any], sandbox: object | None) -> tuple[str, int]:
    """``log_level`` and ``seed``, taken out of a ``serve()`` call's keywords (the rest are config fields)."""
    log_level = str(config.pop("log_level", "warning"))
    seed = int(config.pop("seed", 0))
    if sandbox is not None and config:
        raise ValueError(f"serve(sandbox=...) takes no config keywords, got {sorted(config)}")
    return log_level, seed


def serve(app: Any, port: int, host: str, log_level: str, *, quiet_drops: bool = False) -> None:
    """Serve ``app`` on ``host:port`` until interrupted; ``quiet_drops`` logs no traceback for an injected
    dropped connection."""
    # No access log: request lines carry access tokens and signatures, and a token host's the app secret
    # (DESIGN rule 8); the simulator's own call log (recorded()) is the record of what was received.
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, interface="asgi3", access_log=False)
    if quiet_drops:
        logging.getLogger("uvicorn.error").addFilter(_QuietDrops())  # after Config: it sets up logging
    uvicorn.Server(config).run()


class _QuietDrops(logging.Filter):
    """An injected dropped connection is the sandbox working as asked, not an error worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))
