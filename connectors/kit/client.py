"""The HTTP boundary of every marketplace API, written once: how one call is signed, throttled, sent,
translated, logged and retried.

An API client (:class:`~connectors.shopee.client.ShopeeClient`,
:class:`~connectors.postmart.client.PostmartClient`) is the only code of its connector that touches
httpx. It is given, all injected by its connector: the channel config, the account's secret (registered
with the log scrubber at once, so no log line or error can carry it), the HTTP client (tests give a respx
mock or a sandbox transport), the account's token store, its throttle, the retry policy and the clock.
Timeouts come from the channel's ``[http]`` table.

:meth:`ApiClient.attempt` is one try: a slot from the account's throttle, then the request signed inside
it (a wait for the rate limit must not age a timestamp in a signature), sent, a transport failure
translated by the shared rules (:mod:`connectors.kit.errors`), the answer checked by the marketplace's
envelope, and one ``<marketplace>.request`` event logged (the call's name, method, status, elapsed time,
never its URL, headers or body: a query may hold a token and a signature; every text scrubbed of
secrets). :meth:`ApiClient.send` runs attempts under the one :class:`~connectors.kit.retry.RetryPolicy`
(Retry-After honoured, rate-limit waits spending no attempt, writes never repeated blindly), with the
account's credential, renewed once when the marketplace refuses it.

A marketplace fills in the hooks: how a request is signed or authorised (:meth:`ApiClient._sign`), how
its envelope is checked (:meth:`ApiClient._check`), what its credential is and how it is renewed
(single-flight is the marketplace's own: its lock knows what else shares the token), and what its log
events add.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import httpx

from connectors.kit.config import ApiChannelConfig
from connectors.kit.connector import Clock
from connectors.kit.errors import HttpRules
from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy
from core.errors import AuthError, ChosyncError
from core.logs import register_secret, scrub
from core.ports.tokens import TokenStore

__all__ = ["ApiClient", "Call", "Files", "RequestLog"]

ConfigT = TypeVar("ConfigT", bound=ApiChannelConfig)
AnswerT = TypeVar("AnswerT")
Files = Mapping[str, tuple[str, bytes, str]]


class RequestLog(Protocol):
    """The two levels a request event is logged at (a structlog logger)."""

    def info(self, event: str, **fields: Any) -> Any: ...

    def warning(self, event: str, **fields: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class Call:
    """One request as its caller names it: what to send, and whether sending it twice is harmless.

    ``name`` is what logs and errors call it (Shopee's path after ``/api/v2/``, Postmart's endpoint key);
    ``path`` follows the account's ``base_url``. ``idempotent=False`` turns a lost answer into
    :class:`~core.errors.OutcomeUnknown`, resolved by reading the marketplace back, never by a blind retry.
    """

    name: str
    method: str
    path: str
    idempotent: bool
    params: Mapping[str, Any] | None = None
    json: Mapping[str, Any] | None = None
    files: Files | None = None


class ApiClient(ABC, Generic[ConfigT, AnswerT]):
    """Authorised, throttled, retried calls to one account of one marketplace; ``AnswerT`` is what its
    envelope check gives back. Subclasses set the class attributes and fill in the hooks."""

    rules: ClassVar[HttpRules]
    log: ClassVar[RequestLog]
    request_event: ClassVar[str]  # "shopee.request"
    call_field: ClassVar[str]  # the event's key for the call's name ("path", "endpoint")

    def __init__(
        self,
        *,
        config: ConfigT,
        secret: str,
        http: httpx.AsyncClient,
        tokens: TokenStore,
        throttle: Throttle,
        retry: RetryPolicy,
        now: Clock,
    ) -> None:
        register_secret(secret)
        self.config = config
        self._secret = secret
        self._http = http
        self._tokens = tokens
        self._throttle = throttle
        self._retry = retry
        self._now = now
        self._timeout = httpx.Timeout(config.http.timeout_s, connect=config.http.connect_timeout_s)

    # --- the hooks a marketplace fills in ----------------------------------------------------------------

    @abstractmethod
    def _sign(self, call: Call, credential: str | None) -> httpx.Request:
        """The request for ``call``, signed or authorised with ``credential`` (None: a call without one).
        Built with :meth:`_request`; called inside the throttle's slot, once per attempt."""

    @abstractmethod
    def _check(self, response: httpx.Response, call: Call) -> AnswerT:
        """What a successful answer gives back, or the translated error raised (the envelope check)."""

    @abstractmethod
    async def _credential(self) -> str:
        """The account's current credential (an access token, a key), renewed ahead of expiry if due."""

    @abstractmethod
    async def _renew(self, rejected: str | None) -> None:
        """Renew the credential the marketplace refused, once for everyone who saw it refused."""

    @property
    def _renews(self) -> bool:
        """Whether a refused credential can be renewed at all (a fixed API key cannot)."""
        return True

    def _event_fields(self) -> dict[str, object]:
        """Fields every request event of this account carries besides the shared ones."""
        return {}

    def _answer_fields(self, answer: AnswerT) -> dict[str, object]:
        """Fields the event of a successful answer adds (a request id)."""
        return {}

    def _failure_fields(self, error: ChosyncError, response: httpx.Response) -> dict[str, object]:
        """Fields the event of a refused answer adds: by default our error's code, else its class."""
        return {"error": getattr(error, "code", None) or type(error).__name__}

    # --- the loop --------------------------------------------------------------------------------------

    async def send(self, call: Call, *, authorised: bool = True) -> AnswerT:
        """``call`` under the retry policy; ``authorised``: with the account's credential, renewed once and
        tried again when the marketplace refuses it."""
        if not authorised:
            return await self._retry.call(lambda: self.attempt(call, credential=None))
        used: str | None = None

        async def attempt() -> AnswerT:
            nonlocal used
            used = await self._credential()
            return await self.attempt(call, credential=used)

        async def renew(_rejection: AuthError) -> None:
            await self._renew(used)

        return await self._retry.call(attempt, refresh_auth=renew if self._renews else None)

    async def attempt(self, call: Call, *, credential: str | None) -> AnswerT:
        """One try of ``call``, not retried: throttle slot, sign, request, translate, check, log."""
        async with self._throttle.slot():
            request = self._sign(call, credential)
            started = time.perf_counter()
            try:
                response = await self._http.send(request)
            except httpx.RequestError as exc:
                self._log_request(call, started, None, {"error": type(exc).__name__})
                raise self.rules.translate_transport(exc, call=call.name, idempotent=call.idempotent) from exc
        try:
            answer = self._check(response, call)
        except ChosyncError as exc:
            self._log_request(call, started, response.status_code, self._failure_fields(exc, response))
            raise
        self._log_request(call, started, response.status_code, self._answer_fields(answer))
        return answer

    def _request(
        self,
        call: Call,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **body: Any,
    ) -> httpx.Request:
        """The request to ``base_url`` + ``call.path`` with this account's timeouts; ``body``: httpx's
        ``json``, ``content``, ``files`` or ``data``."""
        return self._http.build_request(
            call.method,
            f"{self.config.base_url.rstrip('/')}{call.path}",
            params=dict(params) if params else None,
            headers=dict(headers) if headers else None,
            timeout=self._timeout,
            **body,
        )

    def _log_request(self, call: Call, started: float, status: int | None, outcome: Mapping[str, object]) -> None:
        fields: dict[str, object] = {
            self.call_field: call.name,
            "method": call.method,
            "status": status,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
            **self._event_fields(),
            **outcome,
        }
        # A marketplace's request id or error code is its text: it may echo what we sent.
        fields = {key: scrub(value) if isinstance(value, str) else value for key, value in fields.items()}
        if fields.get("error") is None:
            fields.pop("error", None)
            self.log.info(self.request_event, **fields)
        else:
            self.log.warning(self.request_event, **fields)
