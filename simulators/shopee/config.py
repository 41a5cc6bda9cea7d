"""Configuration of the Shopee sandbox: every fact about Shopee that is a number, a list or a guess.

Protocol facts come from ``marketplaces/shopee.md``; where that file says UNCERTAIN, or says nothing, the
value lives here rather than in code, so a test (or a later, better-informed engineer) can change it
without touching the simulator. Each guessed field says so in its comment. Defaults describe a Vietnamese
shop (VND, whole đồng) with a small OCOP-flavoured category tree and three logistics channels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Category",
    "ItemLimits",
    "LogisticsChannel",
    "ShopeeConfig",
    "default_categories",
    "default_logistics_channels",
]

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Category:
    category_id: int
    parent_category_id: int  # 0 for a root
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class LogisticsChannel:
    logistics_channel_id: int
    name: str
    enabled: bool = True
    cod_enabled: bool = True
    fee_type: str = "SIZE_INPUT"  # SIZE_INPUT channels need the item's dimension
    max_weight_kg: float = 30.0

    def as_wire(self) -> dict[str, Any]:
        return {
            "logistics_channel_id": self.logistics_channel_id,
            "logistics_channel_name": self.name,
            "enabled": self.enabled,
            "cod_enabled": self.cod_enabled,
            "fee_type": self.fee_type,
            "size_list": [],
            "weight_limit": {"item_max_weight": self.max_weight_kg, "item_min_weight": 0.0},
            "mask_channel_id": 0,
        }


@dataclass(frozen=True)
class ItemLimits:
    """What get_item_limit reports and what add_item enforces (doc example values; real ones vary)."""

    name_length: tuple[int, int] = (5, 100)
    description_length: tuple[int, int] = (10, 3000)
    image_count: tuple[int, int] = (1, 9)
    price: tuple[int, int] = (1_000, 120_000_000)  # whole đồng; GUESS for VN
    stock: tuple[int, int] = (0, 10_000_000)
    tier_name_length: int = 14
    tier_option_length: int = 20
    tier_count: int = 2
    model_count: int = 50
    sku_length: int = 100
    item_count: int = 50_000
    # Highest / lowest model price of one item, VN rule; None turns the check off.
    model_price_ratio: float | None = 5.0
    batch_size: int = 50  # price_list, stock_list, item_list, item_id_list, order_sn_list
    page_size: int = 100

    def as_wire(self) -> dict[str, Any]:
        def span(bounds: tuple[int, int]) -> dict[str, int]:
            return {"min_limit": bounds[0], "max_limit": bounds[1]}

        return {
            "price_limit": span(self.price),
            "stock_limit": span(self.stock),
            "item_name_length_limit": span(self.name_length),
            "item_image_count_limit": span(self.image_count),
            "item_description_length_limit": span(self.description_length),
            "tier_variation_name_length_limit": {"min_limit": 1, "max_limit": self.tier_name_length},
            "tier_variation_option_length_limit": {"min_limit": 1, "max_limit": self.tier_option_length},
            "item_count_limit": {"max_limit": self.item_count},
        }


def default_categories() -> tuple[Category, ...]:
    """The tree a sandbox starts with: every id `config/demo/shopee-categories.csv` maps is a leaf here,
    so the README's steps work against ``chosync sandbox serve shopee`` as they do in the demo."""
    return (
        Category(100001, 0, "Thực phẩm và đồ uống", "Food & Beverages"),
        Category(100011, 100001, "Đặc sản vùng miền", "Regional Specialties"),
        Category(100111, 100011, "Trà", "Tea"),
        Category(100112, 100011, "Cà phê", "Coffee"),
        Category(100113, 100011, "Mật ong", "Honey"),
        Category(100114, 100011, "Nước mắm", "Fish Sauce"),
        Category(100012, 100001, "Gạo và ngũ cốc", "Rice & Grains"),
        Category(100015, 100001, "Trái cây tươi", "Fresh fruit"),
        Category(100016, 100001, "Bánh kẹo", "Snacks & sweets"),
        Category(100017, 100001, "Hải sản khô", "Dried seafood"),
        Category(100018, 100001, "Thực phẩm chế biến", "Processed food"),
        Category(100002, 0, "Nhà cửa và đời sống", "Home & Living"),
        Category(100021, 100002, "Đồ thủ công mỹ nghệ", "Handicrafts"),
        Category(100003, 0, "Sắc đẹp", "Beauty"),
        Category(100031, 100003, "Chăm sóc da", "Skincare"),
    )


def default_logistics_channels() -> tuple[LogisticsChannel, ...]:
    return (
        LogisticsChannel(50021, "SPX Express"),
        LogisticsChannel(50011, "Giao Hàng Nhanh"),
        LogisticsChannel(50012, "Giao Hàng Tiết Kiệm", enabled=False),
    )


@dataclass
class ShopeeConfig:
    """Everything the Shopee sandbox can be told; ``serve(**config)`` takes these names as keywords."""

    region: str = "VN"
    currency: str = "VND"
    # Seed data: partner_id -> partner_key, and shops that exist (and can be authorised) from the start.
    partners: dict[int, str] = field(default_factory=dict)
    shops: list[int] = field(default_factory=list)
    # The shop that "logs in" on the consent page of auth_partner; None means the first shop.
    consenting_shop_id: int | None = None

    limits: ItemLimits = field(default_factory=ItemLimits)
    categories: tuple[Category, ...] = field(default_factory=default_categories)
    logistics_channels: tuple[LogisticsChannel, ...] = field(default_factory=default_logistics_channels)
    # A word here in an item_name makes add_item/update_item fail with product.error_busi: the kind of
    # refusal only a person can fix (demo of a rejected listing).
    banned_words: tuple[str, ...] = ("hàng giả", "hàng nhái", "replica")
    require_uploaded_images: bool = True  # add_item refuses image ids this sandbox never issued
    max_image_bytes: int = 10 * 1024 * 1024
    image_url_prefix: str = "https://cf.shopee.vn/file/"
    stock_location_id: str = "VNZ"  # GUESS: the location_id echoed in seller_stock
    # VN prices are whole đồng, but Shopee's JSON types prices as float: by default the sandbox answers
    # 12500.0, so a client must convert (and would notice 12500.5). False answers plain integers.
    price_as_float: bool = True
    review_new_items: bool = False  # True: new items start REVIEWING until approve_item()
    restock_on_cancel: bool = True  # GUESS: a cancelled order gives its stock back to the listing
    tier_variation_delay: float = 0.0  # docs: "wait ~5 s after add_item"; seconds refused, 0 = off
    deleted_item_retention: float = 90 * DAY  # SELLER_DELETE items stay readable this long

    # Authorisation lifetimes (seconds): access 4 h, refresh 30 d, code 10 min, old access token 5 min
    # after a refresh, request timestamp 5 min old at most and a little clock skew forward.
    access_token_lifetime: float = 4 * HOUR
    refresh_token_lifetime: float = 30 * DAY
    code_lifetime: float = 10 * 60
    refresh_grace: float = 5 * 60
    timestamp_window: float = 5 * 60
    timestamp_skew: float = 60
    order_window: int = 15 * DAY

    # Error code for an unknown or expired access token. GUESS from the brief; public client code also
    # meets "invalid_acceess_token" (sic) and "invalid_access_token" in the wild.
    invalid_token_error: str = "error_auth"  # noqa: S105 - an error code, not a secret
    # HTTP status of refusals made before the endpoint runs (common parameters, signature, token).
    # A live probe answered a missing partner_id with 200 + error_param and a fake partner_id with 403
    # invalid_partner_id; error_sign / error_auth at 403 are GUESSES. Endpoint (business) errors are 200.
    gateway_status: dict[str, int] = field(
        default_factory=lambda: {
            "error_param": 200,
            "invalid_partner_id": 403,
            "error_sign": 403,
            "error_auth": 403,
        }
    )

    # Rate limit: no documented quota (shopee.md UNCERTAIN). None = unlimited. Burst None = ceil(rate).
    rate_limit_per_partner: float | None = None
    rate_limit_per_shop: float | None = None
    rate_limit_burst: int | None = None
    rate_limit_error: str = "error_system_busy"  # GUESS; a doc scrape also names "error_rate_limit"
    rate_limit_status: int = 429
    retry_after: bool = True  # send a Retry-After header with the 429

    def __post_init__(self) -> None:
        # A tree extended from the defaults may name a default category again: keep each id once.
        first: dict[int, Category] = {}
        for category in self.categories:
            first.setdefault(category.category_id, category)
        self.categories = tuple(first.values())

    def category(self, category_id: int) -> Category | None:
        return next((c for c in self.categories if c.category_id == category_id), None)

    def is_leaf(self, category_id: int) -> bool:
        return self.category(category_id) is not None and not any(
            c.parent_category_id == category_id for c in self.categories
        )

    def channel(self, channel_id: int) -> LogisticsChannel | None:
        return next((c for c in self.logistics_channels if c.logistics_channel_id == channel_id), None)
