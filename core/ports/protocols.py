"""The one small interface every marketplace connector implements, and the two it may add.

A **connector** is the adapter between chosync's core and one marketplace, for one channel account: it
pushes operations (create, update content, price, stock, delist), reads back what the marketplace holds
(look-up by our SKU, listing states) and pulls orders, exchanging the data of :mod:`core.ports.data`.
A connector whose shops are authorised by OAuth is also :class:`Authorizing`; a floor with no seller
API, worked by a person, is :class:`Assisted`. The core tells them apart by these protocols alone, never
by a channel name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, runtime_checkable

from core.ports.data import (
    BatchResult,
    ChannelAccount,
    ListingRef,
    ListingState,
    MappedListing,
    OrderBatch,
    PriceUpdate,
    Problem,
    StockUpdate,
)
from core.ports.tokens import Tokens, TokenStore

if TYPE_CHECKING:  # the catalog imports the statuses of this package: no import back at run time
    import httpx

    from core.catalog.records import ProductRecord
    from core.ports.assisted import ExportedVariant, UploadLine

__all__ = [
    "CONNECTOR_METHODS",
    "Assisted",
    "Authorizing",
    "Connector",
    "LearnsSettings",
    "implements_assisted",
    "implements_connector",
]


@runtime_checkable
class Connector(Protocol):
    """One marketplace, one channel account. Every method raises only :mod:`core.errors` classes.

    A connector whose price and stock call may carry the variants of several listings (Lazada's
    ``price_quantity/update``) says how many with an optional ``value_batch: int`` attribute: the engine
    then packs whole listings into each ``update_prices`` / ``update_stock`` call up to that many
    variants, instead of one call per listing.
    """

    channel: ClassVar[str]

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> None:
        """Validate an account's settings before they are stored (ConfigError naming the bad key).

        Reads no secret: a key that lives in the environment is checked when it is needed.
        """
        ...

    @classmethod
    def from_account(
        cls,
        account: ChannelAccount,
        *,
        http: httpx.AsyncClient,
        tokens: TokenStore,
        now: Callable[[], datetime] | None = None,
    ) -> Self: ...

    def map_product(self, product: ProductRecord) -> MappedListing[Any] | list[Problem]: ...

    async def create_listing(self, product: ProductRecord) -> ListingRef: ...

    async def update_listing(self, ref: ListingRef, product: ProductRecord) -> ListingRef: ...

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> BatchResult: ...

    async def update_stock(self, updates: Sequence[StockUpdate]) -> BatchResult: ...

    async def delist(self, refs: Sequence[ListingRef], *, delete: bool = False) -> BatchResult: ...

    async def find_by_sku(self, sku: str) -> ListingRef | None: ...

    def listing_states(self) -> AsyncIterator[ListingState]: ...

    def pull_orders(self, cursor: str | None) -> AsyncIterator[OrderBatch]: ...


@runtime_checkable
class Authorizing(Protocol):
    """A connector whose shops are authorised by OAuth: a URL the seller opens, a code it returns."""

    def authorization_url(self, redirect_url: str) -> str: ...

    async def connect(self, code: str) -> Tokens:
        """Exchange the one-time code for this account's tokens and save them in its token store."""
        ...

    async def refresh_ahead(self, seen_access_token: str | None) -> None:
        """Refresh the access token now, before it expires (the token health job), single-flight.

        ``seen_access_token`` is the access token the caller read from the store: if the store holds
        another one by the time the refresh may run, someone refreshed meanwhile and nothing is sent
        (a refresh token is single use on some marketplaces). ``None`` refreshes whatever is stored.
        Raises ReauthorizeRequired when the marketplace refuses: only a person can fix that.
        """
        ...


@runtime_checkable
class LearnsSettings(Protocol):
    """A connector that learns some of its account's settings from the marketplace.

    TikTok Shop, for one, names a shop by a cipher that only its authorised-shops call tells, and keeps
    stock per warehouse: the connector reads them when it needs them, and the core keeps what it learned
    with the account (after ``channels connect``), so later runs need not ask again.
    """

    def learned_settings(self) -> Mapping[str, Any]:
        """Settings learned since the connector was built, to merge into the account's; empty if none."""
        ...


@runtime_checkable
class Assisted(Protocol):
    """A floor with no seller API, worked by a person in its web seller centre (``connectors.floors``).

    The core tells such a connector apart by this protocol alone (never by a channel name): a push plans
    as usual, then writes the due operations into an upload pack for the person to upload, instead of
    calling create/update/price/stock/delist; a pull reads the order exports dropped in the account's
    inbox. Replacing an assisted connector by an API one later (a class without these members,
    registered under the same channel name) therefore changes nothing in ``core/``.
    """

    @property
    def folder(self) -> Path:
        """The account's working folder: ``packs/``, ``inbox/``, ``processed/``, ``rejected/``."""
        ...

    @property
    def title(self) -> str:
        """The floor's name as sellers know it, and where its seller centre is (for the checklist)."""
        ...

    @property
    def seller_centre_url(self) -> str: ...

    async def read_image(self, reference: str) -> bytes:
        """An image of the catalog (URL or file), checked; ChosyncError when it cannot be had."""
        ...

    def image_file_name(self, product_sku: str, position: int, reference: str) -> str:
        """The name the floor wants for a product's image (``position`` from 1)."""
        ...

    def write_upload_sheet(self, directory: Path, lines: Sequence[UploadLine]) -> str:
        """Write the floor's import spreadsheet into ``directory``; returns its file name."""
        ...

    def read_product_export(self, path: Path) -> dict[str, ExportedVariant]:
        """A product export of the floor, by variant SKU (InputRejected naming every bad row)."""
        ...

    def prune_exports(self, older_than: datetime) -> int:
        """Delete the order exports already imported or rejected (they hold buyers' names, addresses and
        phones) last changed before ``older_than``; returns how many files went."""
        ...


CONNECTOR_METHODS = (
    "check_settings",
    "from_account",
    "map_product",
    "create_listing",
    "update_listing",
    "update_prices",
    "update_stock",
    "delist",
    "find_by_sku",
    "listing_states",
    "pull_orders",
)


def implements_connector(cls: type) -> bool:
    """True for a concrete class that has every :class:`Connector` method and a channel name."""
    if getattr(cls, "_is_protocol", False):
        return False
    has_methods = all(callable(getattr(cls, name, None)) for name in CONNECTOR_METHODS)
    return has_methods and isinstance(getattr(cls, "channel", None), str)


def implements_assisted(cls: type) -> bool:
    """True for a class that has every member of :class:`Assisted` (a floor worked by hand).

    ``issubclass`` cannot answer for a protocol with properties, and the core must sometimes know the
    kind before building a connector (to describe an account, or to skip the API accounts).
    """
    return all(hasattr(cls, name) for name in vars(Assisted) if not name.startswith("_"))
