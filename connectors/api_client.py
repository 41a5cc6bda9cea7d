"""What every marketplace API client holds before it sends anything, whatever the marketplace.

An API client (:class:`~connectors.shopee_client.ShopeeClient`,
:class:`~connectors.postmart_client.PostmartClient`) is the only code of its connector that touches
httpx. It is given, all injected by its connector: the channel config, the account's secret (registered
with the log scrubber at once, so no log line or error can carry it), the HTTP client (tests give a respx
mock or a sandbox transport), the account's token store, its throttle, the retry policy and the clock.
Timeouts come from the channel's ``[http]`` table. How a request is signed or authorised, sent and
translated is the subclass's own.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

import httpx

from connectors.channel_config import HttpSettings
from connectors.configured import Clock
from connectors.ratelimit import Throttle
from connectors.retry import RetryPolicy
from connectors.tokens import TokenStore
from core.logs import register_secret

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
