"""The records of the Shopee back office: what a partner, shop, image, listing, order and token are.

Plain mutable dataclasses, one per thing Shopee keeps, with the status vocabularies they use. Tests read
them straight off :class:`~simulators.shopee.state.ShopeeBackOffice`; the HTTP face turns them
into wire JSON. An item without variations keeps one hidden model with id 0, which is how Shopee's own
price and stock calls address it (``model_id: 0``), so every price and stock lives on a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DELETED_STATUSES",
    "ITEM_STATUSES",
    "LEFT_WAREHOUSE",
    "ORDER_STATUSES",
    "AccessToken",
    "AuthCode",
    "Image",
    "Item",
    "Model",
    "Order",
    "OrderLine",
    "Partner",
    "RefreshToken",
    "Shop",
]

ITEM_STATUSES = ("NORMAL", "BANNED", "UNLIST", "REVIEWING", "SELLER_DELETE", "SHOPEE_DELETE")
DELETED_STATUSES = ("SELLER_DELETE", "SHOPEE_DELETE")
ORDER_STATUSES = (
    "UNPAID",
    "PENDING",
    "READY_TO_SHIP",
    "PROCESSED",
    "RETRY_SHIP",
    "SHIPPED",
    "TO_CONFIRM_RECEIVE",
    "IN_CANCEL",
    "CANCELLED",
    "TO_RETURN",
    "COMPLETED",
    "INVOICE_PENDING",
)
# Once the parcel left, a cancellation no longer puts the goods back on the shelf.
LEFT_WAREHOUSE = ("SHIPPED", "TO_CONFIRM_RECEIVE", "COMPLETED", "TO_RETURN")


@dataclass
class Partner:
    partner_id: int
    partner_key: str


@dataclass
class Shop:
    shop_id: int
    shop_name: str
    holiday_mode: bool = False  # add_item answers error_holiday_on_add_item


@dataclass
class Image:
    image_id: str
    content_type: str
    size: int
    sha256: str
    scene: str
    uploaded_at: int


@dataclass
class Model:
    """A sellable variant. An item without variations keeps one hidden model with id 0."""

    model_id: int
    tier_index: list[int]
    model_sku: str
    original_price: int
    seller_stock: int
    reserved_stock: int = 0  # held for promotions; stock may not go below it
    price_locked: bool = False  # in a promotion: update_price refuses
    model_status: str = "MODEL_NORMAL"
    # Model-level package (since 2024-05-29); None: the model ships as its item says.
    weight: float | None = None
    dimension: dict[str, Any] | None = None


@dataclass
class Item:
    item_id: int
    shop_id: int
    item_name: str
    description: str
    category_id: int
    weight: float
    image_ids: list[str]
    logistic_info: list[dict[str, Any]]
    item_sku: str = ""
    item_status: str = "NORMAL"
    create_time: int = 0
    update_time: int = 0
    dimension: dict[str, Any] | None = None
    attribute_list: list[Any] = field(default_factory=list)
    brand: dict[str, Any] | None = None
    condition: str = "NEW"
    pre_order: dict[str, Any] = field(default_factory=lambda: {"is_pre_order": False, "days_to_ship": 2})
    wholesale: list[Any] = field(default_factory=list)
    description_type: str = "normal"
    tier_variation: list[dict[str, Any]] = field(default_factory=list)
    models: dict[int, Model] = field(default_factory=dict)
    deleted_time: int | None = None
    requested_status: str = "NORMAL"  # what the seller asked for while the item is REVIEWING

    @property
    def has_model(self) -> bool:
        return bool(self.tier_variation)

    @property
    def is_deleted(self) -> bool:
        return self.item_status in DELETED_STATUSES

    def model_name(self, model: Model) -> str:
        names = [
            str(tier["option_list"][i]["option"]) for tier, i in zip(self.tier_variation, model.tier_index, strict=True)
        ]
        return ",".join(names)


@dataclass
class OrderLine:
    item_id: int
    model_id: int
    quantity: int
    item_name: str
    item_sku: str
    model_name: str
    model_sku: str
    original_price: int
    discounted_price: int
    weight: float


@dataclass
class Order:
    order_sn: str
    shop_id: int
    order_status: str
    create_time: int
    update_time: int
    lines: list[OrderLine]
    buyer_user_id: int
    buyer_username: str
    cod: bool = False
    pay_time: int | None = None
    days_to_ship: int = 3
    cancel_reason: str = ""
    note: str = ""
    shipping_carrier: str = "SPX Express"
    restocked: bool = False

    @property
    def total_amount(self) -> int:
        return sum(line.discounted_price * line.quantity for line in self.lines)


@dataclass
class AuthCode:
    code: str
    partner_id: int
    shop_id: int
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    token: str
    partner_id: int
    shop_id: int
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    partner_id: int
    shop_id: int
    expires_at: float
    used: bool = False
