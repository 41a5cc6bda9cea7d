"""The one small interface every marketplace connector implements, and the data it exchanges.

A **connector** is the adapter between chosync's core and one marketplace: it pushes operations
(create, update content, price, stock, delist), reads back what the marketplace holds (look-up by our
SKU, listing states) and pulls orders. Everything it returns is normalised here, in our words: ids are
strings, money is whole đồng, times are aware UTC, statuses are ours. Nothing marketplace-specific (raw
status, error code, float price) crosses this boundary except as a plain copy for people to read
(``Order.raw_status``).

A **mapper** is the pure half of a connector: canonical product + account rules + channel config in,
marketplace payload (or the list of :class:`Problem` a seller must fix) out, before any request. The
core hashes the payload with :func:`payload_hash` to skip listings that did not change.

A **token store** keeps one channel account's OAuth tokens; the core provides the database-backed one,
:class:`InMemoryTokenStore` serves tests and the demo.

The **registry** maps a channel name (``"shopee"``) to its connector class; connector modules register
themselves with :func:`register` and are found by :func:`get_connector_class`.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import pkgutil
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, Self, TypeVar, runtime_checkable

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.catalog.records import ProductRecord
from core.errors import AuthError, ChosyncError, ConfigError
from core.logs import scrub

if TYPE_CHECKING:
    from connectors.assisted import ExportedVariant, UploadLine

__all__ = [
    "CONNECTOR_METHODS",
    "AccountRules",
    "Assisted",
    "Authorizing",
    "BatchItem",
    "BatchResult",
    "ChannelAccount",
    "Connector",
    "InMemoryTokenStore",
    "ListingRef",
    "ListingState",
    "ListingStatus",
    "MappedListing",
    "Mapper",
    "Order",
    "OrderBatch",
    "OrderLine",
    "OrderStatus",
    "PriceUpdate",
    "Problem",
    "ReauthorizeRequired",
    "StockUpdate",
    "TokenStore",
    "Tokens",
    "VariantState",
    "available_channels",
    "get_connector_class",
    "implements_connector",
    "payload_hash",
    "register",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class _ScrubTransportLogs(logging.Filter):
    """httpx logs each request line, query included (``access_token=…&sign=…``), at INFO through the
    standard library: whoever turns that logger on must still not see a token (DESIGN rule 8)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: let logging report it as it would
            return True
        record.msg, record.args = scrub(message), ()
        return True


for _name in ("httpx", "httpcore"):
    _transport_logger = logging.getLogger(_name)
    if not any(isinstance(f, _ScrubTransportLogs) for f in _transport_logger.filters):
        _transport_logger.addFilter(_ScrubTransportLogs())


class ReauthorizeRequired(AuthError):
    """The account's authorisation is gone (refresh token expired, used or revoked).

    Refreshing again cannot help: a person must authorise the shop again. Retry policies stop here.
    """


# --- account rules -------------------------------------------------------------------------------


class AccountRules(BaseModel):
    """How one channel account turns our price and stock into what the marketplace shows.

    Price: ``price × (1 + markup_percent/100)`` (the markup counts to 1/100 of a percent), then rounded
    UP to a whole đồng and to a multiple of ``round_to_vnd`` (0 = no rounding). Up, never nearest: a
    markup and its rounding must never sell below the price the seller set. Stock:
    ``max(0, available − buffer) × share_percent/100``, rounded down, so a channel
    never shows a unit the seller does not have.
    """

    model_config = _FROZEN

    price_markup_percent: float = Field(default=0.0, ge=0.0, le=1000.0)
    round_to_vnd: int = Field(default=0, ge=0)
    stock_buffer: int = Field(default=0, ge=0)
    stock_share_percent: float = Field(default=100.0, ge=0.0, le=100.0)

    def price_for(self, price_vnd: int) -> int:
        # Integer arithmetic on hundredths of a percent keeps the result exact (rule 10).
        basis_points = round(self.price_markup_percent * 100)
        marked_up = -(-price_vnd * (10_000 + basis_points) // 10_000)  # ceiling division
        if self.round_to_vnd > 1:
            marked_up = -(-marked_up // self.round_to_vnd) * self.round_to_vnd
        return marked_up

    def stock_for(self, available: int) -> int:
        shown = max(0, available - self.stock_buffer)
        return shown * round(self.stock_share_percent * 100) // 10_000


class ChannelAccount(BaseModel):
    """One seller's shop on one channel, as the core hands it to a connector factory.

    ``settings`` is connector-specific (for Shopee: shop id, category map, logistics...) and is
    validated by the connector's own config model. ``seller`` and ``name`` say whose shop it is (an
    assisted channel names its working folder after them).
    """

    model_config = _FROZEN

    channel: str
    seller: str = ""
    name: str = ""
    settings: dict[str, Any] = Field(default_factory=dict)
    rules: AccountRules = Field(default_factory=AccountRules)


# --- listings ------------------------------------------------------------------------------------


class ListingRef(BaseModel):
    """Where our product lives on the marketplace: its item id and, per variant SKU, its model id.

    ``models`` is empty for an item without variations: its one variant uses the item itself.
    """

    model_config = _FROZEN

    item_id: str
    models: dict[str, str] = Field(default_factory=dict)


class PriceUpdate(BaseModel):
    """Set one variant's price (already after the account's rules) in whole đồng."""

    model_config = _FROZEN

    ref: ListingRef
    variant_sku: str
    price_vnd: int = Field(gt=0)


class StockUpdate(BaseModel):
    """Set one variant's stock as the channel should show it (after buffer and share)."""

    model_config = _FROZEN

    ref: ListingRef
    variant_sku: str
    stock: int = Field(ge=0)


class BatchItem(BaseModel):
    """The outcome for one variant (or one item, for delist) of a batched call."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    item_id: str
    variant_sku: str | None = None
    error: ChosyncError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class BatchResult(BaseModel):
    """Per-variant outcomes of a batched update; one failure never hides the others' success."""

    model_config = _FROZEN

    items: tuple[BatchItem, ...] = ()

    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.items)

    @property
    def failed(self) -> tuple[BatchItem, ...]:
        return tuple(item for item in self.items if not item.ok)


class ListingStatus(StrEnum):
    LIVE = "live"
    IN_REVIEW = "in_review"
    REJECTED = "rejected"
    BANNED = "banned"
    DELISTED = "delisted"
    DELETED = "deleted"


class VariantState(BaseModel):
    model_config = _FROZEN

    variant_sku: str | None
    model_id: str
    price_vnd: int | None
    stock: int


class ListingState(BaseModel):
    """What the marketplace holds for one item, normalised; ``sku`` is None for items not made by us."""

    model_config = _FROZEN

    item_id: str
    sku: str | None
    status: ListingStatus
    variants: tuple[VariantState, ...] = ()


# --- orders --------------------------------------------------------------------------------------


class OrderStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class OrderLine(BaseModel):
    """One line of an order. ``variant_sku`` is ours; None when the marketplace line carries no SKU.

    ``line_id`` is stable across pulls of the same order, so the ledger can key on it.
    """

    model_config = _FROZEN

    line_id: str
    variant_sku: str | None
    item_id: str
    model_id: str
    quantity: int = Field(gt=0)
    unit_price_vnd: int = Field(ge=0)


class Order(BaseModel):
    """An order as the ledger needs it. No buyer name, phone or address (DESIGN rule 8)."""

    model_config = _FROZEN

    order_id: str
    status: OrderStatus
    raw_status: str
    created_at: AwareDatetime
    updated_at: AwareDatetime
    currency: str
    lines: tuple[OrderLine, ...]
    total_vnd: int = Field(ge=0)


class OrderBatch(BaseModel):
    """Orders pulled together, and the cursor to store once they are saved (never before)."""

    model_config = _FROZEN

    orders: tuple[Order, ...]
    cursor: str


# --- mapping -------------------------------------------------------------------------------------


class Problem(BaseModel):
    """Why a product cannot be listed, in words the seller understands, found before any request."""

    model_config = _FROZEN

    sku: str
    field: str
    message: str


PayloadT = TypeVar("PayloadT", bound=BaseModel)
ConfigT_contra = TypeVar("ConfigT_contra", contravariant=True)


class MappedListing(BaseModel, Generic[PayloadT]):
    """A mapper's answer: the listing content, and per variant SKU the price and stock to show.

    Price and stock are apart from ``content`` because they travel by the cheap endpoints: hashing
    ``content`` alone tells whether the listing itself must be updated.
    """

    model_config = _FROZEN

    sku: str
    content: PayloadT
    prices: dict[str, int]
    stocks: dict[str, int]


class Mapper(Protocol[ConfigT_contra, PayloadT]):
    """Pure: the same product, rules and config always give the same payload (or problems)."""

    def __call__(
        self, product: ProductRecord, rules: AccountRules, config: ConfigT_contra, /
    ) -> MappedListing[PayloadT] | list[Problem]: ...


def payload_hash(payload: BaseModel) -> str:
    """sha256 of the canonical JSON of a payload: sorted keys, no spaces, UTF-8 kept as is."""
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- tokens --------------------------------------------------------------------------------------


class Tokens(BaseModel):
    """One account's OAuth tokens and when they stop working."""

    model_config = _FROZEN

    access_token: str
    refresh_token: str
    access_expires_at: AwareDatetime
    refresh_expires_at: AwareDatetime


class TokenStore(Protocol):
    """Where one channel account's tokens live between jobs. Saved at once after every refresh."""

    async def load(self) -> Tokens | None: ...

    async def save(self, tokens: Tokens) -> None: ...


class InMemoryTokenStore:
    """A token store that forgets on exit: for tests and the demo."""

    def __init__(self, tokens: Tokens | None = None) -> None:
        self.tokens = tokens
        self.saves = 0

    async def load(self) -> Tokens | None:
        return self.tokens

    async def save(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self.saves += 1


# --- the connector -------------------------------------------------------------------------------


@runtime_checkable
class Connector(Protocol):
    """One marketplace, one channel account. Every method raises only :mod:`core.errors` classes."""

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


@runtime_checkable
class Assisted(Protocol):
    """A floor with no seller API, worked by a person in its web seller centre (:mod:`connectors.assisted`).

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


# --- registry ------------------------------------------------------------------------------------

_REGISTRY: dict[str, type[Any]] = {}
_C = TypeVar("_C", bound=type[Any])


def register(name: str) -> Callable[[_C], _C]:
    """Class decorator: make a connector class findable by its channel name."""

    def decorate(cls: _C) -> _C:
        if not implements_connector(cls):
            raise TypeError(f"{cls.__qualname__} does not implement the Connector interface")
        existing = _REGISTRY.get(name)
        if existing is not None and existing is not cls:
            raise TypeError(f"channel {name!r} is already registered by {existing.__qualname__}")
        _REGISTRY[name] = cls
        return cls

    return decorate


def _import_connector_modules() -> None:
    # Connector modules register on import; importing every plain module of the package finds them all.
    package = importlib.import_module("connectors")
    for module in pkgutil.iter_modules(package.__path__):
        if not module.ispkg and not module.name.startswith("_"):
            importlib.import_module(f"connectors.{module.name}")


def get_connector_class(name: str) -> type[Connector]:
    """The connector class registered for a channel name; ConfigError if there is none."""
    if name not in _REGISTRY:
        _import_connector_modules()
    try:
        cls: type[Connector] = _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise ConfigError(f"no connector for channel {name!r}", hint=f"known channels: {known}") from None
    return cls


def available_channels() -> tuple[str, ...]:
    """Every channel name a connector is registered for, sorted."""
    _import_connector_modules()
    return tuple(sorted(_REGISTRY))
