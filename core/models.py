"""The canonical catalog as stored: sellers, their products, and the variants (SKUs) they sell.

Everything belongs to a seller: two sellers may use the same SKU without meeting. Later parts of the
system (channel accounts, listings, operations, orders, the inventory ledger, sync runs) hang off these
tables by seller id and variant id, so a variant's id is stable for its whole life: imports update rows
in place, never delete and re-insert them.

Times are stored as UTC; prices as whole đồng in 64-bit integers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, String, Table, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from core.ports.statuses import ProductStatus, VariantStatus

__all__ = [
    "CATEGORY_MAP",
    "CHANNEL_ACCOUNT",
    "CHANNEL_TOKEN",
    "PRODUCT",
    "SELLER",
    "VARIANT",
    "CategoryMapping",
    "ChannelAccountRow",
    "ChannelToken",
    "Product",
    "ProductStatus",
    "Seller",
    "SellerKind",
    "UTCDateTime",
    "Variant",
    "VariantStatus",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone; we store UTC and say so on reading)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; times must carry their zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SellerKind(StrEnum):
    COOPERATIVE = "cooperative"
    HOUSEHOLD = "household"
    COMPANY = "company"


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Seller(SQLModel, table=True):
    """A business that owns a catalog: cooperative, household business or company."""

    __tablename__ = "seller"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=255)
    kind: SellerKind = Field(default=SellerKind.HOUSEHOLD, sa_type=String(32))
    province: str | None = Field(default=None, max_length=128)
    created_at: datetime = _created()


class Product(SQLModel, table=True):
    """A canonical product: what every marketplace listing of it is made from."""

    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("seller_id", "sku", name="uq_product_seller_sku"),)

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", index=True)
    sku: str = Field(max_length=100)
    name: str = Field(max_length=255)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    category: str = Field(max_length=255)
    brand: str | None = Field(default=None, max_length=255)
    images: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attributes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: ProductStatus = Field(default=ProductStatus.ACTIVE, sa_type=String(16))
    ocop_stars: int | None = None
    ocop_certificate: str | None = Field(default=None, max_length=128)
    ocop_year: int | None = None
    origin_province: str | None = Field(default=None, max_length=128)
    origin_district: str | None = Field(default=None, max_length=128)
    traceability_code: str | None = Field(default=None, max_length=128)
    traceability_url: str | None = Field(default=None, max_length=1024)
    # Bumped whenever the product, one of its variants, or their stock changes: the sync planner
    # re-plans exactly the listings whose product revision moved.
    revision: int = 0
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Variant(SQLModel, table=True):
    """A sellable SKU of a product: its options, its price in đồng and its stock on hand."""

    __tablename__ = "variant"
    __table_args__ = (UniqueConstraint("seller_id", "sku", name="uq_variant_seller_sku"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    seller_id: int = Field(foreign_key="seller.id", index=True)
    sku: str = Field(max_length=100)
    position: int = 0
    option1_name: str | None = Field(default=None, max_length=64)
    option1_value: str | None = Field(default=None, max_length=128)
    option2_name: str | None = Field(default=None, max_length=64)
    option2_value: str | None = Field(default=None, max_length=128)
    price_vnd: int = Field(sa_column=Column(BigInteger, nullable=False))
    list_price_vnd: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    barcode: str | None = Field(default=None, max_length=64)
    # The package as it ships: each variant its own (a 10 kg bag is not a 2 kg one).
    weight_g: int | None = None
    length_cm: float | None = None
    width_cm: float | None = None
    height_cm: float | None = None
    # On hand: the stock truth, moved by the inventory ledger (orders, returns, counts). Below zero after an
    # oversell: a marketplace sold what was not there, and the goods did leave.
    stock_on_hand: int = 0
    reserved: int = 0  # held by open orders (kept by the inventory ledger)
    # The figure a person last gave (a catalog file's stock column, ``catalog set-stock``). A file giving
    # the same figure again is no news, so re-importing it never undoes the sales since; a different one
    # is a new count. None: no count recorded yet (a variant from before counts were kept).
    counted_stock: int | None = None
    status: VariantStatus = Field(default=VariantStatus.ACTIVE, sa_type=String(16))
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ChannelAccountRow(SQLModel, table=True):
    """One seller's shop on one channel: where it is, how prices and stock are shown there.

    ``settings`` holds the connector's non-secret settings (base URL, partner and shop ids, logistics);
    secrets never live here: the settings name the environment variable or file that holds them.
    A seller may have two shops on one channel; ``name`` tells them apart (default: the channel).
    """

    __tablename__ = "channel_account"
    __table_args__ = (UniqueConstraint("seller_id", "channel", "name", name="uq_channel_account"),)

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", index=True)
    channel: str = Field(max_length=32)
    name: str = Field(max_length=64)
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    price_markup_percent: float = 0.0
    round_to_vnd: int = 0
    stock_buffer: int = 0
    stock_share_percent: float = 100.0
    enabled: bool = True
    revision: int = 0  # bumped when settings, rules or the category map change: every listing re-plans
    # How often the scheduler runs each job for this account, in seconds; None = the channel's default.
    push_every_s: int | None = None
    pull_every_s: int | None = None
    reconcile_every_s: int | None = None
    # Set by ``chosync channels remove`` when the account has history (orders, ledger entries, listings
    # that point at it) and so cannot be deleted: it is then gone from every list and job, its past kept.
    removed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ChannelToken(SQLModel, table=True):
    """A channel account's OAuth tokens, replaced in place after every refresh."""

    __tablename__ = "channel_token"

    account_id: int = Field(foreign_key="channel_account.id", primary_key=True)
    access_token: str = Field(sa_column=Column(Text, nullable=False))
    refresh_token: str = Field(sa_column=Column(Text, nullable=False))
    access_expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    refresh_expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = _created()


class CategoryMapping(SQLModel, table=True):
    """Our canonical category → a channel's category id, channel-wide or for one account (``scope``)."""

    __tablename__ = "category_map"
    __table_args__ = (UniqueConstraint("channel", "scope", "category", name="uq_category_map"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32, index=True)
    # "" for the channel-wide map, else the account id: a NULL would slip past the unique constraint.
    scope: str = Field(default="", max_length=32)
    category: str = Field(max_length=255)
    marketplace_category: str = Field(max_length=64)
    updated_at: datetime = _created()


# The tables as SQLAlchemy Core sees them, for the bulk paths (import, export) that skip the ORM.
SELLER: Table = Seller.__table__  # type: ignore[attr-defined]
PRODUCT: Table = Product.__table__  # type: ignore[attr-defined]
VARIANT: Table = Variant.__table__  # type: ignore[attr-defined]
CHANNEL_ACCOUNT: Table = ChannelAccountRow.__table__  # type: ignore[attr-defined]
CHANNEL_TOKEN: Table = ChannelToken.__table__  # type: ignore[attr-defined]
CATEGORY_MAP: Table = CategoryMapping.__table__  # type: ignore[attr-defined]
