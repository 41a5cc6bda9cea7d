"""What every connector does the same way, whatever its marketplace: the skeleton under each connector class.

A connector serves one channel account, described by a **config model**: the channel's toml overlaid
with the account's settings (:mod:`connectors.kit.config`). :class:`ConfiguredConnector` holds what
follows from that alone: checking settings before they are stored, building the connector from a
:class:`~core.ports.ChannelAccount` (``from_account``, the one construction the core uses), the
account's rules and the clock. A subclass names its config loader and its mapper, and may complete the
account's config (an assisted floor names its working folder after the account).

:class:`ApiConnector` adds what a connector that talks to a seller API (Shopee, TikTok Shop, Lazada,
Postmart) does alike: wiring its client (the retry policy, the throttle from the config's limits) and its
image fetcher from the config, refusing to push a product its mapper found problems in (one
PermanentError naming every problem, so the seller fixes them all at once), and answering the read-backs
through its reader.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, Self, TypeVar

import httpx
from pydantic import BaseModel

from connectors.kit.config import ApiChannelConfig
from connectors.kit.images import ImageFetcher
from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy, Sleep
from core.catalog.records import ProductRecord
from core.errors import PermanentError
from core.ports.data import AccountRules, ChannelAccount, ListingRef, ListingState, MappedListing, OrderBatch, Problem
from core.ports.tokens import TokenStore

__all__ = ["ApiConnector", "Clock", "ConfiguredConnector", "ListingReader"]

ConfigT = TypeVar("ConfigT", bound=BaseModel)
PayloadT = TypeVar("PayloadT", bound=BaseModel)
ApiConfigT = TypeVar("ApiConfigT", bound=ApiChannelConfig)
ClientT = TypeVar("ClientT", bound="ApiClient[Any, Any]")
Clock = Callable[[], datetime]

if TYPE_CHECKING:
    from connectors.kit.client import ApiClient  # at run time it imports this module


class ConfiguredConnector(ABC, Generic[ConfigT, PayloadT]):
    """A connector built from its channel's config model; subclasses set ``channel``."""

    channel: ClassVar[str]

    def __init__(
        self,
        config: ConfigT,
        *,
        http: httpx.AsyncClient | None,
        tokens: TokenStore | None,
        rules: AccountRules | None = None,
        now: Clock | None = None,
    ) -> None:
        # http and tokens are in this signature because from_account gives them to every connector class;
        # this part has no use for them: a subclass wires them into its own client, or ignores them.
        self.config = config
        self.rules = rules or AccountRules()
        self._now = now or (lambda: datetime.now(UTC))

    @classmethod
    @abstractmethod
    def load_config(cls, settings: Mapping[str, Any]) -> ConfigT:
        """The channel's toml overlaid with ``settings``; ConfigError naming the bad key."""

    @classmethod
    def account_config(cls, account: ChannelAccount) -> ConfigT:
        """The config of one account: its settings over the toml (a subclass may complete it)."""
        return cls.load_config(account.settings)

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> None:
        cls.load_config(settings)

    @classmethod
    def from_account(
        cls,
        account: ChannelAccount,
        *,
        http: httpx.AsyncClient,
        tokens: TokenStore,
        now: Clock | None = None,
    ) -> Self:
        return cls(cls.account_config(account), http=http, tokens=tokens, rules=account.rules, now=now)

    @abstractmethod
    def map_product(self, product: ProductRecord) -> MappedListing[PayloadT] | list[Problem]:
        """The channel's mapper applied to ``product`` with this account's rules and config."""


class ListingReader(Protocol):
    """The read side of an API connector: look-up by our SKU, listing states, orders."""

    async def find_by_sku(self, sku: str) -> ListingRef | None: ...

    def listing_states(self) -> AsyncIterator[ListingState]: ...

    def pull_orders(self, cursor: str | None) -> AsyncIterator[OrderBatch]: ...


class ApiConnector(ConfiguredConnector[ApiConfigT, PayloadT]):
    """A connector that talks to a seller API; a subclass builds its client with :meth:`_client`, its image
    fetcher with :meth:`_image_fetcher`, and sets ``_reader``."""

    _reader: ListingReader
    _retry: RetryPolicy

    def _client(
        self,
        client_type: type[ClientT],
        *,
        secret: str,
        http: httpx.AsyncClient,
        tokens: TokenStore,
        account: str,
        partner: str,
        throttle: Throttle | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> ClientT:
        """The account's client: ``retry`` or the config's policy, ``throttle`` or the config's limits, the
        ``account``'s budget then the ``partner`` app's, shared with every other account it serves."""
        self._retry = retry or RetryPolicy(self.config.retry, sleep=sleep)
        throttle = throttle or Throttle.from_limits(self.config.rate, account=account, partner=partner)
        return client_type(
            config=self.config, secret=secret, http=http, tokens=tokens, throttle=throttle, retry=self._retry,
            now=self._now,
        )  # fmt: skip

    def _image_fetcher(self, http: httpx.AsyncClient, marketplace: str, *, retry: bool = True) -> ImageFetcher:
        """The fetcher of the catalog's pictures, within the config's limits; with ``retry``, a download that
        hiccups is retried in place by the client's policy."""
        config = self.config
        return ImageFetcher(
            http,
            marketplace=marketplace,
            max_bytes=config.limits.image_max_bytes,
            timeout_s=config.http.timeout_s,
            allowed_hosts=config.images.allowed_hosts,
            retry=self._retry if retry else None,
        )

    def mapped(self, product: ProductRecord) -> MappedListing[PayloadT]:
        """The listing to send for ``product``; PermanentError naming every problem the mapper found."""
        mapped = self.map_product(product)
        if isinstance(mapped, list):
            raise PermanentError(
                "; ".join(f"{p.field}: {p.message}" for p in mapped),
                field=mapped[0].field,
                hint="fix the product and push again",
            )
        return mapped

    async def find_by_sku(self, sku: str) -> ListingRef | None:
        return await self._reader.find_by_sku(sku)

    def listing_states(self) -> AsyncIterator[ListingState]:
        return self._reader.listing_states()

    def pull_orders(self, cursor: str | None) -> AsyncIterator[OrderBatch]:
        return self._reader.pull_orders(cursor)
