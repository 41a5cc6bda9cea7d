"""The records of the Lazada back office: apps, sellers, tokens, images, products, SKUs and orders.

Plain mutable dataclasses, one per thing Lazada keeps, with the status vocabularies they use. Tests read
them straight off :class:`~simulators.lazada.state.LazadaBackOffice`; the HTTP face turns them into wire
JSON. Stock is kept per SKU as Lazada keeps it: ``quantity`` is the seller's total, of which ``withheld``
is held for unpaid orders and ``occupied`` for paid ones not yet handed to the carrier; what buyers can
still order (``available``, Lazada's "sellable") is the rest. Order items are one per unit bought, each
with its own status and the stock bucket its unit sits in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACTIVE",
    "DELETED",
    "HELD_STATUSES",
    "INACTIVE",
    "ITEM_STATUSES",
    "PENDING_QC",
    "PRODUCT_STATUSES",
    "REJECTED",
    "RELEASE_STATUSES",
    "AccessToken",
    "App",
    "AuthCode",
    "Image",
    "Order",
    "OrderItem",
    "Product",
    "RefreshToken",
    "Seller",
    "Sku",
]

ACTIVE, INACTIVE, PENDING_QC, REJECTED, DELETED = "Active", "InActive", "Pending QC", "Rejected", "Deleted"
PRODUCT_STATUSES = (ACTIVE, INACTIVE, PENDING_QC, REJECTED, DELETED)

# Order item statuses (facts §7) and where each puts its unit's stock: withheld (unpaid), occupied
# (paid, not yet handed over), gone from the total (handed to the carrier, and after), or released back
# to sellable (cancelled before it left).
ITEM_STATUSES = (
    "unpaid",
    "pending",
    "packed",
    "repacked",
    "topack",
    "toship",
    "ready_to_ship",
    "shipped",
    "delivered",
    "canceled",
    "returned",
    "failed",
    "failed_delivery",
    "lost",
    "lost_by_3pl",
    "damaged_by_3pl",
    "shipped_back",
    "shipped_back_success",
    "shipped_back_failed",
    "package_scrapped",
)
HELD_STATUSES = {
    "unpaid": "withheld",
    **dict.fromkeys(("pending", "packed", "repacked", "topack", "toship"), "occupied"),
}
RELEASE_STATUSES = ("canceled", "failed")


@dataclass
class App:
    app_key: str
    app_secret: str


@dataclass
class Seller:
    seller_id: str
    short_code: str
    name: str
    country: str
    user_id: str
    account: str


@dataclass
class AuthCode:
    code: str
    app_key: str
    seller_id: str
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    token: str
    app_key: str
    seller_id: str
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    app_key: str
    seller_id: str
    expires_at: float


@dataclass
class Image:
    url: str
    hash_code: str
    size: int
    width: int
    height: int
    seller_id: str


@dataclass
class Sku:
    sku_id: int
    seller_sku: str
    shop_sku: str
    price: int  # whole đồng
    quantity: int  # the seller's total, withheld and occupied units included
    package_weight: str  # kg, as a decimal string
    package_length: str  # cm
    package_width: str
    package_height: str
    sale_prop: dict[str, str] = field(default_factory=dict)
    special_price: int = 0  # 0: no sale price
    withheld: int = 0  # held for unpaid orders
    occupied: int = 0  # held for paid orders not yet handed to the carrier
    status: str = "active"  # active / inactive / deleted
    extra: dict[str, Any] = field(default_factory=dict)  # other SKU fields sent, kept as given

    @property
    def available(self) -> int:
        """What buyers can still order: Lazada's sellable stock."""
        return max(0, self.quantity - self.withheld - self.occupied)

    @property
    def is_deleted(self) -> bool:
        return self.status == "deleted"


@dataclass
class Product:
    item_id: int
    seller_id: str
    primary_category: str
    attributes: dict[str, Any]  # name, description, brand_id, category attributes...
    images: list[str]  # urls of uploaded images
    skus: dict[int, Sku]  # by SkuId, in the order they were made
    status: str = PENDING_QC
    reject_reason: str = ""
    qc_due: float | None = None  # when a "Pending QC" product's review is decided
    created_ms: int = 0
    updated_ms: int = 0

    @property
    def name(self) -> str:
        return str(self.attributes.get("name", ""))

    @property
    def is_deleted(self) -> bool:
        return self.status == DELETED

    def live_skus(self) -> list[Sku]:
        return [s for s in self.skus.values() if not s.is_deleted]

    def sku_by_seller_sku(self, seller_sku: str) -> Sku | None:
        return next((s for s in self.live_skus() if s.seller_sku == seller_sku), None)


@dataclass
class OrderItem:
    """One unit of one SKU: Lazada lists an order item per unit bought (3 of a SKU are 3 items)."""

    order_item_id: int
    order_id: int
    item_id: int
    sku_id: int
    seller_sku: str
    shop_sku: str
    name: str
    variation: str
    item_price: int
    paid_price: int
    status: str
    updated_at: int
    stock: str  # where its unit sits: withheld, occupied, left (handed over) or released
    reason: str = ""


@dataclass
class Order:
    order_id: int
    order_number: int
    seller_id: str
    created_at: int  # Unix seconds
    updated_at: int
    items: list[OrderItem]
    payment_method: str = "COD"

    @property
    def statuses(self) -> list[str]:
        """The distinct statuses of its items, in the order they first appear."""
        return list(dict.fromkeys(item.status for item in self.items))

    @property
    def price(self) -> int:
        return sum(item.item_price for item in self.items)
