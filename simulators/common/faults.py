"""Fault injection: a local marketplace simulator misbehaving on cue, the way real ones do.

Sync code is only as good as its handling of a marketplace that is slow, answers 5xx, throttles, holds a
request past the client's timeout, sends a truncated body, or, worst of all, *applies* a request and loses
the answer (DESIGN rule 1). This module is marketplace-neutral so every sandbox reuses it:

- :class:`Fault` names one misbehaviour; :class:`FaultPlan` decides which one hits the next request on a
  path, from an explicit queue ("the next 2 add_item calls fail with 500") or by probability with a
  seeded RNG, so a flaky run replays exactly.
- :class:`FaultMiddleware` wraps any ASGI app, applies the plan and records every request it receives
  (:class:`CallLog`), so tests assert exactly which calls were made. The marketplace supplies only the
  error bodies its clients expect (:data:`ErrorRenderer`).
- :class:`InProcessTransport` is the in-process stand-in for a socket: it enforces the client's read
  timeout and turns a dropped connection into the ``httpx`` error a real network would raise.
- :class:`ManualClock` and :class:`TokenBucket` are the two other pieces every sandbox needs: time that
  tests move by hand, and a rate limit measured on that time.
"""

from __future__ import annotations

import enum
import math
import random
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

__all__ = [
    "ANY_PATH",
    "CallLog",
    "CannedResponse",
    "ConnectionDropped",
    "ErrorRenderer",
    "Fault",
    "FaultKind",
    "FaultMiddleware",
    "FaultPlan",
    "InProcessTransport",
    "ManualClock",
    "RecordedCall",
    "TokenBucket",
]

ANY_PATH = "*"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class FaultKind(enum.StrEnum):
    LATENCY = "latency"  # answered normally, late
    SERVER_ERROR = "server_error"  # refused with a 5xx, nothing applied
    RATE_LIMIT = "rate_limit"  # refused as throttled, nothing applied
    TIMEOUT = "timeout"  # held past the client's patience, nothing applied
    MALFORMED_JSON = "malformed_json"  # applied, body truncated so it is not JSON
    LOST_RESPONSE = "lost_response"  # applied, answer replaced by a gateway error or a dropped connection


@dataclass(frozen=True)
class Fault:
    """One misbehaviour. Build it with the class methods, which say what each field means for each kind."""

    kind: FaultKind
    seconds: float = 0.0
    status: int = 500
    drop: bool = False

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        return cls(FaultKind.LATENCY, seconds=seconds)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls(FaultKind.SERVER_ERROR, status=status)

    @classmethod
    def rate_limited(cls) -> Fault:
        return cls(FaultKind.RATE_LIMIT, status=429)

    @classmethod
    def timeout(cls, seconds: float, *, drop: bool = False) -> Fault:
        """Hold the request ``seconds`` without applying it, then answer 504 (or drop the connection)."""
        return cls(FaultKind.TIMEOUT, seconds=seconds, status=504, drop=drop)

    @classmethod
    def malformed_json(cls) -> Fault:
        return cls(FaultKind.MALFORMED_JSON, status=200)

    @classmethod
    def lost_response(cls, *, status: int = 504, drop: bool = False, seconds: float = 0.0) -> Fault:
        """Apply the request, wait ``seconds``, then answer ``status`` (or drop the connection) instead."""
        return cls(FaultKind.LOST_RESPONSE, seconds=seconds, status=status, drop=drop)


class FaultPlan:
    """Which fault hits the next request on each path: queued faults first, then chances.

    A path is matched exactly; :data:`ANY_PATH` matches every path and is consulted after the path's own
    entries, unless the path is spared (:meth:`spare`). A queued ``None`` lets one request through, so "the
    second call fails" is ``enqueue(path, None, fault)``.
    """

    def __init__(self, seed: int = 0) -> None:
        self._queues: dict[str, deque[Fault | None]] = defaultdict(deque)
        self._chances: dict[str, list[tuple[float, Fault]]] = defaultdict(list)
        self._spared: set[str] = set()
        self._rng = random.Random(seed)  # noqa: S311 - reproducible chaos, not cryptography

    def enqueue(self, path: str, *faults: Fault | None, times: int = 1) -> None:
        self._queues[path].extend(list(faults) * times)

    def add_chance(self, path: str, fault: Fault, probability: float) -> None:
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be within [0, 1], got {probability}")
        self._chances[path].append((probability, fault))

    def spare(self, path: str) -> None:
        """Keep the chances added for :data:`ANY_PATH` off ``path`` (its own entries still apply)."""
        self._spared.add(path)

    def clear(self) -> None:
        self._queues.clear()
        self._chances.clear()
        self._spared.clear()

    def pending(self, path: str = ANY_PATH) -> int:
        """Queued entries not yet consumed on ``path``."""
        return len(self._queues.get(path, ()))

    def pick(self, path: str) -> Fault | None:
        for key in (path, ANY_PATH):
            queue = self._queues.get(key)
            if queue:
                return queue.popleft()
        for key in (path,) if path in self._spared else (path, ANY_PATH):
            for probability, fault in self._chances.get(key, ()):
                if self._rng.random() < probability:
                    return fault
        return None


@dataclass
class RecordedCall:
    """One request as the sandbox received it, and what became of it."""

    method: str
    path: str
    query: str
    body: bytes
    fault: FaultKind | None = None
    status: int | None = None  # what the client was sent; None when the connection was dropped


@dataclass
class CallLog:
    """Every request received, in order, before any fault or check decided its fate."""

    entries: list[RecordedCall] = field(default_factory=list)

    def calls(self, path: str | None = None) -> int:
        return len(self.recorded(path))

    def recorded(self, path: str | None = None) -> list[RecordedCall]:
        return [c for c in self.entries if path is None or c.path == path]

    def reset(self) -> None:
        self.entries.clear()


@dataclass(frozen=True)
class CannedResponse:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)


# The marketplace-specific part of a fault: the body and headers its gateway sends for a refusal.
ErrorRenderer = Callable[[Fault], CannedResponse]


class ConnectionDropped(httpx.RemoteProtocolError):
    """The server closed the connection without a complete answer.

    It subclasses the ``httpx`` error a real socket produces so that even a plain ``httpx.ASGITransport``
    (which re-raises app exceptions) shows the client the same class of failure; under uvicorn it makes
    the server abort the half-sent response, which the client sees as exactly that error.
    """


class FaultMiddleware:
    """Wraps an ASGI app: records each HTTP request, then applies the fault the plan picks for it."""

    def __init__(
        self,
        app: ASGIApp,
        plan: FaultPlan,
        render: ErrorRenderer,
        log: CallLog | None = None,
    ) -> None:
        self.app = app
        self.plan = plan
        self.render = render
        self.log = log if log is not None else CallLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        call = RecordedCall(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            body=body,
        )
        self.log.entries.append(call)
        fault = self.plan.pick(call.path)
        call.fault = fault.kind if fault else None
        replay = _replay(body, receive)

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                call.status = message["status"]
            await send(message)

        try:
            await self._apply(fault, scope, replay, record_status)
        except ConnectionDropped:
            call.status = None  # a status line went out, but the client never got a whole answer
            raise

    async def _apply(self, fault: Fault | None, scope: Scope, receive: Receive, send: Send) -> None:
        if fault is None or fault.kind is FaultKind.LATENCY:
            if fault is not None:
                await anyio.sleep(fault.seconds)
            await self.app(scope, receive, send)
        elif fault.kind in (FaultKind.SERVER_ERROR, FaultKind.RATE_LIMIT):
            await _send_canned(self.render(fault), send)
        elif fault.kind is FaultKind.TIMEOUT:
            await anyio.sleep(fault.seconds)
            await self._refuse(fault, send)
        else:
            status, headers, answer = await _run_captured(self.app, scope, receive)
            if fault.kind is FaultKind.MALFORMED_JSON:
                # A strict prefix of a JSON document is never valid JSON: the body was cut in transit.
                cut = answer[: len(answer) // 2] or b"{"
                await _send_raw(status, headers, cut, send)
            else:
                await anyio.sleep(fault.seconds)
                await self._refuse(fault, send)

    async def _refuse(self, fault: Fault, send: Send) -> None:
        if fault.drop:
            await _drop(send)
        else:
            await _send_canned(self.render(fault), send)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, upstream: Receive) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            # The body was consumed above; what follows (a disconnect) is the server's to report.
            return await upstream()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _run_captured(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[Any], bytes]:
    status = 500
    headers: list[Any] = []
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return status, headers, b"".join(chunks)


async def _send_raw(status: int, headers: list[Any], body: bytes, send: Send) -> None:
    kept = [(k, v) for k, v in headers if bytes(k).lower() != b"content-length"]
    kept.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": kept})
    await send({"type": "http.response.body", "body": body})


async def _send_canned(canned: CannedResponse, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in canned.headers]
    await _send_raw(canned.status, headers, canned.body, send)


async def _drop(send: Send) -> None:
    # Promise a body, send part of it, then give up: the client sees the peer close mid-message.
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"request_id":', "more_body": True})
    raise ConnectionDropped("sandbox dropped the connection (injected fault)")


class InProcessTransport(httpx.AsyncBaseTransport):
    """Runs an ASGI app in-process, failing the way a socket would.

    ``httpx.ASGITransport`` ignores timeouts; this one enforces the request's read timeout and raises
    ``httpx.ReadTimeout``, and turns :class:`ConnectionDropped` into a plain ``httpx.RemoteProtocolError``
    carrying the request, so client code sees exactly the errors it would see over the network.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        read_timeout = timeouts.get("read") if isinstance(timeouts, dict) else None
        try:
            with anyio.fail_after(read_timeout):
                return await self._inner.handle_async_request(request)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("sandbox held the request past the read timeout", request=request) from exc
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()


class ManualClock:
    """Unix time that only moves when a test says so; a drop-in for ``time.time``."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, now: float) -> None:
        self._now = float(now)


class TokenBucket:
    """``rate`` requests per second with bursts up to ``burst``, measured on an injectable clock."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._last = clock()

    def take(self) -> float:
        """Take one token: 0.0 when allowed, else the seconds until one will be available."""
        now = self._clock()
        # max(): a clock set backwards by a test must not mint negative refills.
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> int:
        """HTTP Retry-After is whole seconds; round up so a client that honours it is never early."""
        return max(1, math.ceil(wait))
