"""What every connector does the same way, whatever its marketplace: the skeleton under each connector class.

A connector serves one channel account, described by a **config model**: the channel's toml overlaid
with the account's settings (:mod:`connectors.kit.config`). :class:`ConfiguredConnector` holds what
follows from that alone: checking settings before they are stored, building the connector from a
:class:`~core.ports.ChannelAccount` (``from_account``, the one construction the core uses), the
account's rules and the clock. A subclass names its config loader and its mapper, and may complete the
account's config (an assisted floor names its working folder after the account).

:class:`ApiConnector` adds what a connector that talks to a seller API (Shopee, Postmart) does alike:
refusing to push a product its mapper found problems in (one PermanentError naming every problem, so
the seller fixes them all at once), and answering the read-backs through its reader.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

import httpx
from pydantic import BaseModel

from core.catalog.records import ProductRecord
from core.errors import PermanentError
from core.ports.data import AccountRules, ChannelAccount, ListingRef, ListingState, MappedListing, OrderBatch, Problem
from core.ports.tokens import TokenStore

__all__ = ["ApiConnector", "Clock", "ConfiguredConnector", "ListingReader"]

ConfigT = TypeVar("ConfigT", bound=BaseModel)
PayloadT = TypeVar("PayloadT", bound=BaseModel)
Clock = Callable[[], datetime]


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


class ApiConnector(ConfiguredConnector[ConfigT, PayloadT]):
    """A connector that talks to a seller API; a subclass sets ``_reader`` when it builds its client."""

    _reader: ListingReader

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
