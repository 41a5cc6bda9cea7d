"""The records of the TikTok Shop back office: apps, shops, tokens, images, products, SKUs and orders.

Plain mutable dataclasses, one per thing TikTok Shop keeps, with the status vocabularies they use. Tests
read them straight off :class:`~simulators.tiktok.state.TikTokBackOffice`; the HTTP face turns them into
wire JSON. Ids are strings, as on the wire (TikTok's are 19-digit numbers that overflow a JS number).
Stock is kept per warehouse as TikTok keeps it: ``available`` is what buyers can still order,
``committed`` what orders have reserved and not yet shipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DELETED",
    "LISTED",
    "ORDER_STATUSES",
    "PENDING",
    "PRODUCT_STATUSES",
    "SHIPPED_STATUSES",
    "AccessToken",
    "App",
    "AuthCode",
    "Image",
    "LineItem",
    "Order",
    "Product",
    "RefreshToken",
    "Shop",
    "Sku",
    "Warehouse",
]

PENDING = "PENDING"
LISTED = "ACTIVATE"
DELETED = "DELETED"
PRODUCT_STATUSES = (
    "DRAFT",
    PENDING,
    "FAILED",
    LISTED,
    "SELLER_DEACTIVATED",
    "PLATFORM_DEACTIVATED",
    "FREEZE",
    DELETED,
)
ORDER_STATUSES = (
    "UNPAID",
    "ON_HOLD",
    "AWAITING_SHIPMENT",
    "PARTIALLY_SHIPPING",
    "AWAITING_COLLECTION",
    "IN_TRANSIT",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
)
# Once the parcel left, its units are no longer committed: they are sold.
SHIPPED_STATUSES = ("IN_TRANSIT", "DELIVERED", "COMPLETED")


@dataclass
class App:
    app_key: str
    app_secret: str


@dataclass
class Warehouse:
    warehouse_id: str
    name: str
    is_default: bool = False


@dataclass
class Shop:
    shop_id: str
    name: str
    cipher: str
    code: str
    warehouses: list[Warehouse] = field(default_factory=list)

    @property
    def default_warehouse(self) -> str:
        return next((w.warehouse_id for w in self.warehouses if w.is_default), self.warehouses[0].warehouse_id)


@dataclass
class AuthCode:
    code: str
    app_key: str
    shop_id: str
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    token: str
    app_key: str
    shop_id: str
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    app_key: str
    shop_id: str
    expires_at: float
    used: bool = False


@dataclass
class Image:
    uri: str
    url: str
    width: int
    height: int
    use_case: str
    size: int
    sha256: str


@dataclass
class Sku:
    sku_id: str
    seller_sku: str
    price: int  # whole đồng
    available: dict[str, int]  # warehouse id -> units buyers can still order
    committed: dict[str, int] = field(default_factory=dict)  # warehouse id -> units held by open orders
    sales_attributes: list[dict[str, Any]] = field(default_factory=list)
    external_sku_id: str = ""
    price_locked: bool = False  # in a promotion: prices/update answers 12052038
    locked_quantity: int = 0  # held for a campaign: inventory/update must stay above it

    @property
    def total_available(self) -> int:
        return sum(self.available.values())

    @property
    def total_committed(self) -> int:
        return sum(self.committed.values())


@dataclass
class Product:
    product_id: str
    shop_id: str
    title: str
    description: str
    category_id: str
    main_images: list[str]  # image uris
    skus: dict[str, Sku]  # by sku id, in the seller's order
    package_weight: dict[str, Any]
    package_dimensions: dict[str, Any] | None = None
    product_attributes: list[dict[str, Any]] = field(default_factory=list)
    brand_id: str = ""
    status: str = PENDING
    audit_due: float | None = None  # when a PENDING product's audit is decided
    audit_failed_reasons: list[dict[str, Any]] = field(default_factory=list)
    create_time: int = 0
    update_time: int = 0

    @property
    def is_deleted(self) -> bool:
        return self.status == DELETED

    def sku_by_seller_sku(self, seller_sku: str) -> Sku | None:
        return next((s for s in self.skus.values() if s.seller_sku == seller_sku), None)


@dataclass
class LineItem:
    """One unit of one SKU: TikTok lists a line item per unit (3 of a SKU are 3 line items)."""

    line_id: str
    sku_id: str
    seller_sku: str
    product_id: str
    product_name: str
    sale_price: int
    original_price: int
    warehouse_id: str


@dataclass
class Order:
    order_id: str
    shop_id: str
    status: str
    create_time: int
    update_time: int
    line_items: list[LineItem]
    cancel_reason: str = ""
    released: bool = False  # its committed units left the books (shipped, or cancelled)

    @property
    def total_amount(self) -> int:
        return sum(line.sale_price for line in self.line_items)

    @property
    def sub_total(self) -> int:
        return sum(line.original_price for line in self.line_items)
