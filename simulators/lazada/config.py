"""Configuration of the Lazada simulator: every fact about Lazada that is a number, a list or a guess.

Protocol facts come from ``marketplaces/lazada.md`` and the shared wire contract (``lazada_wire.md``);
where those mark something UNC (uncertain), or say nothing, the value lives here rather than in code, so
a test (or a later, better-informed engineer) can change it without touching the simulator. Each field
the contract does not fix says so in its comment: UNC (the contract's own uncertain values) or OURS (a
choice of this simulator the contract is silent on). Defaults describe Lazada Vietnam (VND, whole đồng,
+07:00) with a small OCOP-flavoured category tree: a few leaves, fruit requiring "Xuất xứ" (origin).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "NO_BRAND_ID",
    "Attribute",
    "Brand",
    "Category",
    "LazadaConfig",
    "SellerSeed",
    "default_attributes",
    "default_brands",
    "default_categories",
]

HOUR = 3600
DAY = 24 * HOUR
NO_BRAND_ID = "20000001"  # OURS: the simulator's "No Brand" (the real id differs per country)


@dataclass(frozen=True)
class Category:
    category_id: str
    parent_id: str  # "" for a root
    name: str  # vi_VN
    name_en: str = ""


@dataclass(frozen=True)
class Attribute:
    """A product attribute of a category, keyed by ``name`` in a payload's ``Attributes``."""

    name: str
    label: str
    input_type: str = "text"  # text, richText, singleSelect, numeric...
    mandatory: bool = False
    sale_prop: bool = False
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Brand:
    brand_id: str
    name: str
    name_en: str = ""


@dataclass(frozen=True)
class SellerSeed:
    """A seller that exists (and can authorise an app) from the start."""

    seller_id: str
    short_code: str
    name: str
    country: str = "vn"
    user_id: str = ""  # empty: made from the seller id
    account: str = ""  # the Seller Center login (an e-mail); empty: made from the short code


def default_categories() -> tuple[Category, ...]:
    return (
        Category("10000001", "", "Thực phẩm", "Food"),
        Category("10000101", "10000001", "Gạo", "Rice"),
        Category("10000102", "10000001", "Trái cây", "Fruit"),
        Category("10000103", "10000001", "Bánh kẹo", "Sweets"),
        Category("10000104", "10000001", "Đặc sản", "Local specialities"),
        Category("10000105", "10000001", "Đồ uống", "Drinks"),
        Category("10000151", "10000105", "Trà", "Tea"),
        Category("10000152", "10000105", "Cà phê", "Coffee"),
        Category("10000002", "", "Nhà cửa & Đời sống", "Home & Living"),
        Category("10000201", "10000002", "Đồ thủ công mỹ nghệ", "Handicrafts"),
    )


_ORIGIN_OPTIONS = ("Việt Nam", "Nhập khẩu")


def default_attributes() -> dict[str, tuple[Attribute, ...]]:
    """Attributes per leaf category id; ``"*"`` are every category's (name and brand_id always required)."""
    common = (
        Attribute("name", "Tên sản phẩm", mandatory=True),
        Attribute("description", "Mô tả", "richText"),
        Attribute("short_description", "Mô tả ngắn", "richText"),
        Attribute("brand_id", "Thương hiệu", "singleSelect", mandatory=True),
        Attribute("variation", "Phân loại", sale_prop=True),
    )
    return {
        "*": common,
        "10000102": (*common, Attribute("country_origin", "Xuất xứ", "singleSelect", True, options=_ORIGIN_OPTIONS)),
        "10000104": (*common, Attribute("country_origin", "Xuất xứ", "singleSelect", options=_ORIGIN_OPTIONS)),
    }


def default_brands() -> tuple[Brand, ...]:
    return (
        Brand(NO_BRAND_ID, "No Brand", "No Brand"),
        Brand("20000002", "HTX Dân Tiến", "Dan Tien Cooperative"),
        Brand("20000003", "Gạo Ông Cua", "Ong Cua Rice"),
        Brand("20000004", "Trà Shan Tuyết Hà Giang", "Ha Giang Shan Tuyet Tea"),
        Brand("20000005", "Dừa Sáp Cầu Kè", "Cau Ke Wax Coconut"),
    )


@dataclass
class LazadaConfig:
    """Everything the Lazada simulator can be told; ``serve(**config)`` takes these names as keywords."""

    country: str = "vn"
    currency: str = "VND"
    utc_offset_minutes: int = 7 * 60  # order times are written with this offset ("+0700")
    # Seed data: app_key -> app_secret, and sellers that exist from the start.
    apps: dict[str, str] = field(default_factory=dict)
    sellers: list[SellerSeed] = field(default_factory=list)

    categories: tuple[Category, ...] = field(default_factory=default_categories)
    attributes: dict[str, tuple[Attribute, ...]] = field(default_factory=default_attributes)
    brands: tuple[Brand, ...] = field(default_factory=default_brands)
    check_brand: bool = True  # OURS: an unknown brand_id is refused with 4142 (off: any non-empty id)

    # Authorisation (DOC): access 30 d, refresh 180 d (online app), code single use for 30 min; a request's
    # timestamp within 7200 s of the server's clock.
    access_token_lifetime: float = 30 * DAY
    refresh_token_lifetime: float = 180 * DAY
    code_lifetime: float = 30 * 60
    timestamp_window: float = 7200
    # UNC: a refresh issues a new refresh token (expiring when the old one would have); the old one keeps
    # working until it expires either way. False: the same refresh token is handed back.
    rotate_refresh_token: bool = True
    end_old_access_on_refresh: bool = False  # OURS: whether a refresh ends the access token issued before
    # OURS: an empty-valued parameter is "refuse"d (MissingParameter naming it), or accepted and left out
    # of the signature ("skip", as Lazada's Java SDK signs) or signed like any other ("sign", Python SDK).
    empty_params: str = "refuse"
    strict_methods: bool = True  # OURS: GET paths refuse POST and the other way round (InvalidApiPath)

    # QC: a new product is "Pending QC" for qc_delay_s (0: decided at once), then "Active", or "Rejected"
    # with a reason when its name holds a banned word. UNC: an update changing the name, description or
    # images sends the product back to QC.
    qc_delay_s: float = 0.0
    qc_banned_words: tuple[str, ...] = ("chữa bệnh", "hàng giả", "hàng nhái")
    requalify_on_content_change: bool = True

    # Images (UNC: 1 MB in the API reference, 3 MB in the image guide; 330-5000 px). A picture whose size
    # cannot be read counts as 0 x 0 px (so image_px (0, ...) accepts the smallest fake JPEG).
    image_max_bytes: int = 3_145_728
    image_px: tuple[int, int] = (330, 5000)
    image_url_prefix: str = "https://vn-live-01.slatic.net/p/"  # OURS: where uploaded pictures are hosted
    images_max: int = 8
    # Listing rules (DOC): at most 50 SKUs per product, package weight <= 40 kg, L+W+H <= 300 cm.
    skus_max: int = 50
    package_weight_max_kg: float = 40
    package_sides_max_cm: float = 300

    # Batch limits. price_quantity/update <= 50 SKUs (DOC), refused with ServiceTimeout beyond
    # timeout_batch (UNC; None: never); remove <= 50 ids; products/get limit <= 50; sku_seller_list <= 100
    # (UNC); orders/get limit <= 100, offset <= 5000; orders/items/get <= 50 orders.
    price_quantity_batch: int = 50
    timeout_batch: int | None = 40
    remove_batch: int = 50
    products_get_limit: int = 50
    products_get_default_limit: int = 10  # OURS: products/get without a limit
    sku_seller_list_max: int = 100
    orders_get_limit: int = 100
    orders_max_offset: int = 5000
    order_items_batch: int = 50
    # OURS: an order (or product) is returned when update_after <= updated_at < update_before; True makes
    # the upper bound inclusive.
    inclusive_before: bool = False

    # Error codes the contract marks UNC.
    quantity_below_occupied_code: str = "QuantityBelowOccupied"
    sku_not_found_code: str = "SkuNotFound"  # also for an unknown ItemId (OURS)
    image_too_large_code: str = "ImageTooLarge"
    invalid_image_code: str = "InvalidImage"
    invalid_offset_code: str = "E019"
    bad_payload_code: str = "E001"  # OURS: a payload that is not JSON, or not the documented shape
    order_not_found_code: str = "E016"  # OURS: /order/get and /order/items/get of an unknown order_id

    # Rate limit per API path and seller (None: unlimited), refused with ApiCallLimit and a ban of
    # rate_ban_s on that API. Throttling answers HTTP 200 (UNC: throttle_http_status may make it 429);
    # an injected rate-limit fault answers fault_throttle_code.
    rate_limit_per_api: float | None = None
    rate_limit_burst: int | None = None  # None: ceil(rate)
    rate_ban_s: float = 1.0
    throttle_http_status: int = 200
    fault_throttle_code: str = "ApiCallLimit"
    gateway_html_pages: bool = True  # OURS: injected 502/503/504 answer an HTML gateway page, not JSON

    restock_on_cancel: bool = True  # DOC: a cancelled unit goes back to sellable (before it left)

    def __post_init__(self) -> None:
        if self.empty_params not in ("refuse", "skip", "sign"):
            raise ValueError(f"empty_params must be refuse, skip or sign, not {self.empty_params!r}")

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.category_id == category_id), None)

    def is_leaf(self, category_id: str) -> bool:
        return self.category(category_id) is not None and not any(c.parent_id == category_id for c in self.categories)

    def attributes_of(self, category_id: str) -> tuple[Attribute, ...]:
        return self.attributes.get(category_id, self.attributes.get("*", ()))

    def brand(self, brand_id: str) -> Brand | None:
        return next((b for b in self.brands if b.brand_id == brand_id), None)
