"""What the sync engine stores: listings (bindings), operations, orders, the inventory ledger, runs.

- A **listing** binds one product to one channel account: the marketplace's item and model ids, what we
  last pushed and the marketplace confirmed (content hash, price and stock per variant), its status and
  last error, and the product/account revisions it was last planned at (so an unchanged listing costs
  one integer comparison in SQL and no Python at all).
- An **operation** is one intended change, written before it is sent (DESIGN's operation state machine).
- A **sales order** and its **lines** are upserted by marketplace order id; each line remembers where it
  stands in the ledger, and every **ledger entry** is unique per (line, transition), so replaying an
  order can never move stock twice.
- A **sync run** records one pass of push, pull or reconcile for one account; a **cursor** remembers
  where an account's order pull stopped, advanced only with the orders it covers.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Float, Index, String, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import UTCDateTime, utcnow

__all__ = [
    "DAEMON",
    "JOB_REQUEST",
    "LEASE",
    "LEDGER",
    "LISTING",
    "OPERATION",
    "ORDER",
    "ORDER_LINE",
    "SYNC_CURSOR",
    "SYNC_RUN",
    "UPLOAD_PACK",
    "DaemonRow",
    "JobRequest",
    "Lease",
    "LedgerEntry",
    "LedgerState",
    "Listing",
    "OpKind",
    "OpState",
    "Operation",
    "OrderLineRow",
    "SalesOrder",
    "SyncCursor",
    "SyncRun",
    "UploadPack",
]


def _at(nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class OpKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    PRICE = "price"
    STOCK = "stock"
    DELIST = "delist"


class OpState(StrEnum):
    PLANNED = "planned"
    SENDING = "sending"
    RETRY_WAIT = "retry_wait"
    UNKNOWN = "unknown"
    DONE = "done"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    # Assisted channels (no seller API): put in an upload pack, done when the seller confirms the pack.
    AWAITING = "awaiting_confirmation"


class LedgerState(StrEnum):
    """Where an order line stands in the inventory ledger."""

    NONE = "none"
    RESERVED = "reserved"
    SOLD = "sold"
    RELEASED = "released"
    RESTOCKED = "restocked"


class Listing(SQLModel, table=True):
    __tablename__ = "listing"
    __table_args__ = (UniqueConstraint("account_id", "product_id", name="uq_listing"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    item_id: str | None = Field(default=None, max_length=64)
    models: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content_hash: str | None = Field(default=None, max_length=64)
    prices: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    stocks: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    planned_revision: int = -1
    account_revision: int = -1
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What stops the product, as the catalog has it, from being listed here, as the last plan found it (a
    # preflight problem); None once a plan maps it. The listing is blocked meanwhile (core.sync.blocked).
    problem: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _at()
    updated_at: datetime = _at()


class Operation(SQLModel, table=True):
    __tablename__ = "operation"
    __table_args__ = (Index("ix_operation_account_state", "account_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id")
    listing_id: int = Field(foreign_key="listing.id", index=True)
    kind: OpKind = Field(sa_type=String(16))
    variant_sku: str | None = Field(default=None, max_length=100)
    value: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    old_value: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    content_hash: str | None = Field(default=None, max_length=64)
    state: OpState = Field(default=OpState.PLANNED, sa_type=String(32))
    attempts: int = 0
    # Seconds waited on rate limits: a rate limit spends no attempt, so this is what bounds the wait.
    rate_limited_s: float = Field(default=0.0, sa_column=Column(Float, nullable=False, server_default="0"))
    next_attempt_at: datetime | None = _at(nullable=True)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error_code: str | None = Field(default=None, max_length=64)
    run_id: int | None = None
    pack_id: int | None = Field(default=None, foreign_key="upload_pack.id", index=True)
    created_at: datetime = _at()
    updated_at: datetime = _at()


class UploadPack(SQLModel, table=True):
    """An assisted channel's upload pack: a spreadsheet, images and a checklist for the seller to upload."""

    __tablename__ = "upload_pack"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", index=True)
    state: str = Field(default="open", max_length=16)  # open → confirmed, or superseded by a newer pack
    path: str = Field(sa_column=Column(Text, nullable=False))
    operations: int = 0
    created_at: datetime = _at()
    confirmed_at: datetime | None = _at(nullable=True)
    confirmed_by: str | None = Field(default=None, max_length=64)


class Lease(SQLModel, table=True):
    """A named lock held by one process until it expires: one job per account at a time, across hosts."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=128)
    holder: str = Field(max_length=128)
    acquired_at: datetime = _at()
    expires_at: datetime = _at()


class DaemonRow(SQLModel, table=True):
    """A scheduler daemon's heartbeat and what it last reported (``chosync daemon status``)."""

    __tablename__ = "daemon"

    id: int | None = Field(default=None, primary_key=True)
    host: str = Field(max_length=255)
    pid: int
    state: str = Field(default="running", max_length=16)
    started_at: datetime = _at()
    heartbeat_at: datetime = _at()
    stopped_at: datetime | None = _at(nullable=True)
    jobs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class JobRequest(SQLModel, table=True):
    """A job asked of the running daemon from another shell (``chosync sync --via-daemon``)."""

    __tablename__ = "job_request"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # push, pull, reconcile
    seller: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=32)
    sku: str | None = Field(default=None, max_length=100)
    full: bool = False
    requested_by: str = Field(max_length=64)
    requested_at: datetime = _at()
    started_at: datetime | None = _at(nullable=True)
    finished_at: datetime | None = _at(nullable=True)
    outcome: str | None = Field(default=None, max_length=16)
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SalesOrder(SQLModel, table=True):
    __tablename__ = "sales_order"
    __table_args__ = (UniqueConstraint("account_id", "order_id", name="uq_sales_order"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", index=True)
    seller_id: int = Field(foreign_key="seller.id", index=True)
    order_id: str = Field(max_length=64)
    status: str = Field(max_length=16)
    raw_status: str = Field(max_length=64)
    placed_at: datetime = _at()
    changed_at: datetime = _at()
    currency: str = Field(default="VND", max_length=8)
    total_vnd: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = _at()
    updated_at: datetime = _at()


class OrderLineRow(SQLModel, table=True):
    __tablename__ = "order_line"
    __table_args__ = (UniqueConstraint("order_id", "line_id", name="uq_order_line"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_id: str = Field(max_length=128)
    variant_id: int | None = Field(default=None, foreign_key="variant.id", index=True)
    variant_sku: str | None = Field(default=None, max_length=100)
    item_id: str = Field(max_length=64)
    model_id: str = Field(max_length=64)
    quantity: int
    unit_price_vnd: int = Field(sa_column=Column(BigInteger, nullable=False))
    ledger_state: LedgerState = Field(default=LedgerState.NONE, sa_type=String(16))


class LedgerEntry(SQLModel, table=True):
    """One move of a variant's stock: an order line's transition (unique per line and transition), or a
    person's count (a stock-take: no order line; ``source`` says from what, ``actor`` who, and
    ``on_hand_after`` the figure, so old → new reads as ``on_hand_after - on_hand_delta`` → ``on_hand_after``)."""

    __tablename__ = "ledger_entry"
    __table_args__ = (UniqueConstraint("order_line_id", "transition", name="uq_ledger_entry"),)

    id: int | None = Field(default=None, primary_key=True)
    variant_id: int = Field(foreign_key="variant.id", index=True)
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id")
    transition: str = Field(max_length=16)
    on_hand_delta: int = 0
    reserved_delta: int = 0
    on_hand_after: int | None = None
    source: str | None = Field(default=None, max_length=255)
    actor: str | None = Field(default=None, max_length=64)
    created_at: datetime = _at()


class SyncRun(SQLModel, table=True):
    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="channel_account.id", index=True)
    kind: str = Field(max_length=16)
    trigger: str = Field(max_length=64)
    started_at: datetime = _at()
    finished_at: datetime | None = _at(nullable=True)
    outcome: str = Field(default="running", max_length=16)
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SyncCursor(SQLModel, table=True):
    __tablename__ = "sync_cursor"

    account_id: int = Field(foreign_key="channel_account.id", primary_key=True)
    kind: str = Field(max_length=16, primary_key=True)
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = _at()


LISTING: Table = Listing.__table__  # type: ignore[attr-defined]
OPERATION: Table = Operation.__table__  # type: ignore[attr-defined]
ORDER: Table = SalesOrder.__table__  # type: ignore[attr-defined]
ORDER_LINE: Table = OrderLineRow.__table__  # type: ignore[attr-defined]
LEDGER: Table = LedgerEntry.__table__  # type: ignore[attr-defined]
SYNC_RUN: Table = SyncRun.__table__  # type: ignore[attr-defined]
SYNC_CURSOR: Table = SyncCursor.__table__  # type: ignore[attr-defined]
UPLOAD_PACK: Table = UploadPack.__table__  # type: ignore[attr-defined]
LEASE: Table = Lease.__table__  # type: ignore[attr-defined]
DAEMON: Table = DaemonRow.__table__  # type: ignore[attr-defined]
JOB_REQUEST: Table = JobRequest.__table__  # type: ignore[attr-defined]
