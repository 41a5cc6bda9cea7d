"""The data a connector and the core exchange, in our words.

Everything a connector returns is normalised here: ids are strings, money is whole đồng, times are aware
UTC, statuses are ours. Nothing marketplace-specific (raw status, error code, float price) crosses this
boundary except as a plain copy for people to read (``Order.raw_status``).

An account's **rules** turn our price and stock into what one channel shows; a **listing ref** says
where a product lives on a marketplace; **orders** come back as the ledger needs them. A **mapper** is
the pure half of a connector: canonical product + account rules + channel config in, marketplace payload
(or the list of :class:`Problem` a seller must fix) out, before any request. The core hashes the payload
with :func:`payload_hash` to skip listings that did not change.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.errors import ChosyncError

if TYPE_CHECKING:  # the catalog imports the statuses of this package: no import back at run time
    from core.catalog.records import ProductRecord

__all__ = [
    "AccountRules",
    "BatchItem",
    "BatchResult",
    "ChannelAccount",
    "ListingContent",
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
    "StockUpdate",
    "VariantState",
    "payload_hash",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


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

    ``found`` is set by a create that found the item already on the marketplace (its earlier answer was
    lost, a run died between its steps, or a person made it by hand): the item holds what an earlier
    request or person put there, not necessarily this product's content, prices and stock, so the core
    forgets what it would otherwise record as pushed and sends them again.
    """

    model_config = _FROZEN

    item_id: str
    models: dict[str, str] = Field(default_factory=dict)
    found: bool = False


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


class ListingContent(BaseModel):
    """The part of a listing's content that a marketplace gives back in the form we send it: what reconcile
    compares to find content edited by hand, or an update that did not take. A field is None where the
    marketplace does not return it (or the mapper does not send it): it is then not compared."""

    model_config = _FROZEN

    name: str | None = None
    description: str | None = None
    category: str | None = None  # the marketplace's category id, as text
    images: int | None = None  # how many images

    def differences(self, other: ListingContent) -> list[tuple[str, str, str]]:
        """(field, ours, theirs) for each field both sides give and that differs, white space aside."""
        found = []
        for name in ("name", "description", "category", "images"):
            ours, theirs = getattr(self, name), getattr(other, name)
            if ours is None or theirs is None:
                continue
            if " ".join(str(ours).split()) != " ".join(str(theirs).split()):
                found.append((name, str(ours), str(theirs)))
        return found


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
    content: ListingContent | None = None  # None: the connector does not read content back
    reason: str | None = None  # the marketplace's own words on why (a review's rejection), when it gives them


# --- orders --------------------------------------------------------------------------------------


class OrderStatus(StrEnum):
    """Our order statuses; each connector maps its marketplace's onto them (DESIGN's ledger table).

    ``RETURNED`` is for goods that shipped and are coming back; a marketplace's undo before shipping
    (a cancellation, a "return" of an order never picked up) maps to ``CANCELLED``, which releases.
    """

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
    ``content`` alone tells whether the listing itself must be updated. ``summary`` is the part of the
    content the marketplace reads back comparably (:class:`ListingContent`); ``warnings`` what the seller
    should know about the listing that does not stop it (one package declared for variants that ship in
    several); neither is hashed.
    """

    model_config = _FROZEN

    sku: str
    content: PayloadT
    prices: dict[str, int]
    stocks: dict[str, int]
    summary: ListingContent | None = None
    warnings: tuple[Problem, ...] = ()


class Mapper(Protocol[ConfigT_contra, PayloadT]):
    """Pure: the same product, rules and config always give the same payload (or problems)."""

    def __call__(
        self, product: ProductRecord, rules: AccountRules, config: ConfigT_contra, /
    ) -> MappedListing[PayloadT] | list[Problem]: ...


def payload_hash(payload: BaseModel) -> str:
    """sha256 of the canonical JSON of a payload: sorted keys, no spaces, UTF-8 kept as is."""
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
