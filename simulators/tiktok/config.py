"""Configuration of the TikTok Shop sandbox: every fact about TikTok Shop that is a number, a list or a guess.

Protocol facts come from ``marketplaces/tiktok-shop.md`` and the shared wire contract; where those mark
something UNC (uncertain), or say nothing, the value lives here rather than in code, so a test (or a later,
better-informed engineer) can change it without touching the simulator. Each guessed field says so in its
comment. Defaults describe Vietnamese shops (VND, whole đồng, vi-VN) with a small OCOP-flavoured category
tree: a few leaves, one of which requires "Xuất xứ" (origin).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Attribute",
    "Category",
    "ShopSeed",
    "TikTokConfig",
    "default_attributes",
    "default_categories",
]

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Category:
    category_id: str
    parent_id: str  # "0" for a root
    local_name: str


@dataclass(frozen=True)
class Attribute:
    """A product attribute of a category: ``values`` are (id, name); empty means free text."""

    attribute_id: str
    name: str
    type: str = "PRODUCT_PROPERTY"  # or SALES_PROPERTY
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ShopSeed:
    """A shop that exists (and can be authorised) from the start."""

    shop_id: str
    name: str
    cipher: str
    warehouse_ids: tuple[str, ...] = ()  # the first is the default warehouse; empty: one made up
    code: str = ""


_ORIGIN = Attribute("100198", "Xuất xứ", required=True, values=(("1001", "Việt Nam"), ("1002", "Nhập khẩu")))


def default_categories() -> tuple[Category, ...]:
    return (
        Category("600001", "0", "Thực phẩm"),
        Category("600101", "600001", "Gạo"),
        Category("600102", "600001", "Trái cây"),
        Category("600103", "600001", "Bánh kẹo"),
        Category("600104", "600001", "Đặc sản"),
        Category("600105", "600001", "Đồ uống"),
        Category("600151", "600105", "Trà"),
        Category("600152", "600105", "Cà phê"),
        Category("600002", "0", "Nhà cửa & Đời sống"),
        Category("600201", "600002", "Đồ thủ công mỹ nghệ"),
    )


def default_attributes() -> dict[str, tuple[Attribute, ...]]:
    """Attributes per category id; a category not named here has only the optional ones of ``"*"``."""
    brand = Attribute("100001", "Thương hiệu")
    weight = Attribute("100002", "Khối lượng tịnh")
    optional_origin = Attribute(_ORIGIN.attribute_id, _ORIGIN.name, values=_ORIGIN.values)
    return {
        "*": (brand, weight, optional_origin),
        "600102": (brand, weight, _ORIGIN),
        "600104": (brand, weight, _ORIGIN),
        "600151": (brand, _ORIGIN),
    }


@dataclass
class TikTokConfig:
    """Everything the TikTok Shop sandbox can be told; ``serve(**config)`` takes these names as keywords."""

    region: str = "VN"
    currency: str = "VND"
    # Seed data: app_key -> app_secret, and shops that exist from the start.
    apps: dict[str, str] = field(default_factory=dict)
    shops: list[ShopSeed] = field(default_factory=list)

    categories: tuple[Category, ...] = field(default_factory=default_categories)
    attributes: dict[str, tuple[Attribute, ...]] = field(default_factory=default_attributes)

    # Authorisation lifetimes (seconds): access 7 d, refresh 365 d, code 30 min. The request timestamp may
    # be 5 min old at most and 30 s ahead at most.
    access_token_lifetime: float = 7 * DAY
    refresh_token_lifetime: float = 365 * DAY
    code_lifetime: float = 30 * 60
    timestamp_window: float = 5 * 60
    timestamp_skew: float = 30
    # UNC: whether a refresh hands out a new refresh token (and spends the old one). Either way the access
    # token issued before stops working at once.
    rotate_refresh_token: bool = True

    # Listing rules (VN): title 25-255 characters, description at most 10,000, 1-9 main images, at most
    # 100 SKUs, seller_sku 1-50 characters without spaces, price 1-180,000,000 đồng as an integer string.
    title_length: tuple[int, int] = (25, 255)
    description_length: int = 10_000
    image_count: tuple[int, int] = (1, 9)
    sku_count: int = 100
    seller_sku_length: int = 50
    price_range: tuple[int, int] = (1, 180_000_000)
    quantity_range: tuple[int, int] = (1, 99_999)
    max_image_bytes: int = 10 * 1024 * 1024
    image_size: tuple[int, int] = (800, 800)  # GUESS: width/height reported for every upload (not decoded)
    image_url_prefix: str = "https://p16-oec-va.ibyteimg.com/tos-maliva-i-o3syd03w52-us/"

    # Audit: a new or edited product is PENDING for ``audit_delay_s`` (0: decided at once), then ACTIVATE,
    # or FAILED when its title holds a banned word (a rejection only a person can fix).
    audit_delay_s: float = 0.0
    audit_banned_words: tuple[str, ...] = ("chữa bệnh", "hàng giả", "hàng nhái")

    # Statuses in which prices/update and inventory/update are allowed (12052003 otherwise). The contract
    # names the price list; the inventory list is a GUESS and defaults to the same statuses.
    price_update_statuses: tuple[str, ...] = ("ACTIVATE", "SELLER_DEACTIVATED")
    inventory_update_statuses: tuple[str, ...] = ("ACTIVATE", "SELLER_DEACTIVATED")
    accept_zero_quantity: bool = True  # UNC: docs say quantity 1-99,999; 0 is what a sold-out sync sends
    price_batch: int = 100  # SKUs per prices/update call
    inventory_batch: int = 100  # SKUs per inventory/update call
    product_id_batch: int = 20  # activate / deactivate / delete
    inventory_search_products: int = 100
    inventory_search_skus: int = 600
    search_seller_skus: int = 10
    page_size: int = 100  # the largest page_size accepted

    restock_on_cancel: bool = True  # GUESS: a cancellation before shipping gives the units back
    # GUESS: the code of a malformed request (bad JSON, missing field, bad page_size). The docs list none.
    param_error_code: int = 36009001
    # Rate limit: requests per second per API path and shop (docs: 50 QPS); None = unlimited.
    rate_limit_per_api: float | None = None
    rate_limit_burst: int | None = None  # None: ceil(rate)
    retry_after: bool = True  # GUESS: TikTok documents no Retry-After; the sandbox sends one with its 429

    def __post_init__(self) -> None:
        first: dict[str, Category] = {}
        for category in self.categories:
            first.setdefault(category.category_id, category)
        self.categories = tuple(first.values())

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.category_id == category_id), None)

    def is_leaf(self, category_id: str) -> bool:
        return self.category(category_id) is not None and not any(c.parent_id == category_id for c in self.categories)

    def category_chain(self, category_id: str) -> list[Category]:
        """The category and its ancestors, root first."""
        chain: list[Category] = []
        current = self.category(category_id)
        while current is not None:
            chain.insert(0, current)
            current = self.category(current.parent_id)
        return chain

    def attributes_of(self, category_id: str) -> tuple[Attribute, ...]:
        return self.attributes.get(category_id, self.attributes.get("*", ()))
