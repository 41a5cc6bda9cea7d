"""What every marketplace API client holds before it sends anything, whatever the marketplace.

An API client (:class:`~connectors.shopee.client.ShopeeClient`,
:class:`~connectors.postmart.client.PostmartClient`) is the only code of its connector that touches
httpx. It is given, all injected by its connector: the channel config, the account's secret (registered
with the log scrubber at once, so no log line or error can carry it), the HTTP client (tests give a respx
mock or a sandbox transport), the account's token store, its throttle, the retry policy and the clock.
Timeouts come from the channel's ``[http]`` table. How a request is signed or authorised, sent and
translated is the subclass's own.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

import httpx

from connectors.kit.config import HttpSettings
from connectors.kit.connector import Clock
from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy
from core.logs import register_secret
from core.ports.tokens import TokenStore

__all__ = ["ApiClient"]


class _WithHttpSettings(Protocol):
    @property
    def http(self) -> HttpSettings: ...


ConfigT = TypeVar("ConfigT", bound=_WithHttpSettings)


class ApiClient(Generic[ConfigT]):
    """Authorised, throttled, retried calls to one account of one marketplace (subclasses send)."""

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
