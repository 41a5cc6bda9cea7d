"""A Shopee connector wired to an in-process Shopee sandbox, for the integration tests.

:func:`shopee_world` builds the pair: a :class:`ShopeeSandbox` on a :class:`ManualClock`, an image host
served by an ``httpx.MockTransport`` (Shopee has no import by URL, so the connector downloads images and
uploads them), and a real :class:`ShopeeConnector` authorised through Shopee's code flow over the wire.
The connector's ``now`` reads the sandbox clock and its ``sleep`` advances it, so retries, Retry-After
and the wait before tier variations cost virtual time only. The call log is cleared after authorising:
tests see only the calls their own steps made.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy
from connectors.shopee.config import ShopeeConfig, load_shopee_config
from connectors.shopee.connector import ShopeeConnector
from core.catalog.records import OptionValue, ProductRecord, VariantRecord
from core.errors import ChosyncError, OutcomeUnknown, RetryableError
from core.ports import AccountRules, InMemoryTokenStore, ListingRef
from simulators.common.faults import ManualClock
from simulators.shopee.config import ShopeeConfig as SandboxConfig
from simulators.shopee.harness import PARTNER_ID, PARTNER_KEY, SHOP_ID
from simulators.shopee.records import Item
from simulators.shopee.sandbox import BASE_URL, ShopeeSandbox
from tests.records import product_record

START = 1_717_200_000  # 2024-06-01 00:00 UTC
PREFIX = "/api/v2/"
IMAGE_HOST = "https://anh.htx.test"

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
GIF = b"GIF89a" + bytes(200)

CATEGORIES = {"Trà": 100111, "Mật ong": 100113, "Cà phê": 100112, "Nước mắm": 100114}


def path(call: str) -> str:
    """The sandbox path of a Shopee call such as ``product/add_item``."""
    return f"{PREFIX}{call}"


class ImageHost:
    """A seller's image server: what a test put at a path (None: 404), else JPEG or PNG by extension."""

    def __init__(self) -> None:
        self.files: dict[str, bytes | None] = {}
        self.requests: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        name = request.url.path
        self.requests.append(name)
        default = JPEG if name.endswith(".jpg") else PNG if name.endswith(".png") else None
        content = self.files.get(name, default)
        if content is None:
            return httpx.Response(404)
        return httpx.Response(200, content=content)


@dataclass
class World:
    sandbox: ShopeeSandbox
    clock: ManualClock
    shopee: ShopeeConnector
    tokens: InMemoryTokenStore
    images: ImageHost
    http: httpx.AsyncClient
    sleeps: list[float] = field(default_factory=list)

    def calls(self, since: int = 0) -> list[str]:
        """The Shopee calls the sandbox received (``product/add_item`` …), from position ``since``."""
        return [c.path.removeprefix(PREFIX) for c in self.sandbox.recorded()[since:]]

    def mark(self) -> int:
        return len(self.sandbox.recorded())

    def items(self, sku: str, *, include_deleted: bool = False) -> list[Item]:
        return self.sandbox.items_by_sku(sku, shop_id=SHOP_ID, include_deleted=include_deleted)

    def only_item(self, sku: str) -> Item:
        found = self.items(sku)
        assert len(found) == 1, f"{len(found)} items carry {sku}"
        return found[0]


def connector_config(**overrides: Any) -> ShopeeConfig:
    """The shipped channel toml for our test shop, with a category map the sandbox knows."""
    settings: dict[str, Any] = {
        "base_url": BASE_URL,
        "partner_id": PARTNER_ID,
        "shop_id": SHOP_ID,
        "logistics": [{"logistic_id": 50021}],
        "category_map": CATEGORIES,
    }
    settings.update(overrides)
    return load_shopee_config(**settings)


def sandbox_config(**overrides: Any) -> SandboxConfig:
    # The sandbox refuses variations sooner than 5 s after add_item, as Shopee advises.
    settings: dict[str, Any] = {
        "partners": {PARTNER_ID: PARTNER_KEY},
        "shops": [SHOP_ID],
        "tier_variation_delay": 5.0,
    }
    settings.update(overrides)
    return SandboxConfig(**settings)


@asynccontextmanager
async def shopee_world(
    *,
    sandbox: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    rules: AccountRules | None = None,
    seed: int = 0,
    authorize: bool = True,
) -> AsyncIterator[World]:
    """A connector (``settings`` override the channel toml) and a sandbox (``sandbox`` its config)."""
    clock = ManualClock(START)
    shop = ShopeeSandbox(sandbox_config(**(sandbox or {})), clock=clock, seed=seed)
    images = ImageHost()
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    def now() -> datetime:
        return datetime.fromtimestamp(clock(), UTC)

    config = connector_config(**(settings or {}))
    tokens = InMemoryTokenStore()
    mounts = {IMAGE_HOST: httpx.MockTransport(images.handle)}
    async with httpx.AsyncClient(transport=shop.transport(), mounts=mounts) as http:
        shopee = ShopeeConnector(
            config,
            http=http,
            tokens=tokens,
            rules=rules,
            partner_key=PARTNER_KEY,
            throttle=Throttle.unlimited(),
            retry=RetryPolicy(config.retry, sleep=sleep, jitter=lambda cap: cap),
            now=now,
            sleep=sleep,
        )
        if authorize:
            await shopee.connect(shop.issue_code(SHOP_ID))
            shop.log.reset()
        yield World(shop, clock, shopee, tokens, images, http, sleeps)


async def create_until_done(
    world: World, product: ProductRecord, *, budget: int = 6, pause_s: float = 30.0
) -> tuple[ListingRef | None, list[ChosyncError]]:
    """What a sync engine does with a create: after a lost answer or a spent retry it waits (``pause_s``
    of virtual time) and creates again, up to ``budget`` times. Returns the ref and the errors met."""
    errors: list[ChosyncError] = []
    for _ in range(budget):
        try:
            return await world.shopee.create_listing(product), errors
        except (OutcomeUnknown, RetryableError) as exc:
            errors.append(exc)
            world.clock.advance(pause_s)
    return None, errors


# --- products ------------------------------------------------------------------------------------


def _product(sku: str, name: str, category: str, variants: Iterable[VariantRecord], **extra: Any) -> ProductRecord:
    fields: dict[str, Any] = {
        "seller_code": "htx-vung-cao",
        "sku": sku,
        "name": name,
        "description": "Sản phẩm của hợp tác xã, làm thủ công theo cách truyền thống của địa phương.",
        "category": category,
        "brand": "HTX Vùng Cao",
        "images": (f"{IMAGE_HOST}/{sku.lower()}-1.jpg", f"{IMAGE_HOST}/{sku.lower()}-2.png"),
        "weight_g": 600,
        "length_cm": 18.0,
        "width_cm": 9.5,
        "height_cm": 9.5,
        "ocop_stars": 4,
        "ocop_certificate": "OCOP-HG-2023-0117",
        "origin_province": "Hà Giang",
        "origin_district": "Hoàng Su Phì",
        "variants": tuple(variants),
    }
    fields.update(extra)
    return product_record(**fields)


def honey(sku: str = "MO-UMINH", *, price: int = 185_000, stock: int = 40, **extra: Any) -> ProductRecord:
    """A product with one variant and no options: a Shopee item without models (model 0)."""
    return _product(
        sku,
        extra.pop("name", "Mật ong rừng U Minh Hạ nguyên chất"),
        "Mật ong",
        [VariantRecord(sku=f"{sku}-500ML", price_vnd=price, stock=stock)],
        **extra,
    )


TEA_VARIANTS = {
    # variant SKU: (Khối lượng, Loại, price, stock)
    "TRA-ST-100-BUP": ("100g", "Búp", 95_000, 30),
    "TRA-ST-100-VUN": ("100g", "Vụn", 70_000, 50),
    "TRA-ST-250-BUP": ("250g", "Búp", 220_000, 12),
    "TRA-ST-250-VUN": ("250g", "Vụn", 160_000, 20),
}


def tea(sku: str = "TRA-ST", **extra: Any) -> ProductRecord:
    """Shan tuyết tea in 2 weights × 2 grades: two tiers of two options, four models."""
    variants = [
        VariantRecord(
            sku=variant_sku.replace("TRA-ST", sku, 1),
            options=(OptionValue(name="Khối lượng", value=weight), OptionValue(name="Loại", value=grade)),
            price_vnd=price,
            stock=stock,
        )
        for variant_sku, (weight, grade, price, stock) in TEA_VARIANTS.items()
    ]
    return _product(sku, extra.pop("name", "Trà Shan Tuyết cổ thụ Hà Giang"), "Trà", variants, **extra)


FLAVOURS = ("Nguyên bản", "Gừng", "Sả", "Quế", "Hồi", "Chanh", "Cam", "Bưởi", "Tắc", "Ớt")
SIZES = ("chai 250ml", "chai 500ml", "chai 1 lít", "can 2 lít", "can 5 lít")


def fish_sauce(sku: str = "NM-PQ") -> ProductRecord:
    """Phú Quốc fish sauce in 10 flavours × 5 sizes: 50 models, the most Shopee allows on one item."""
    variants = [
        VariantRecord(
            sku=f"{sku}-{f:02d}-{s}",
            options=(OptionValue(name="Hương vị", value=flavour), OptionValue(name="Dung tích", value=size)),
            price_vnd=50_000 + 5_000 * s + 1_000 * f,
            stock=10 + f + s,
        )
        for f, flavour in enumerate(FLAVOURS)
        for s, size in enumerate(SIZES)
    ]
    return _product(sku, "Nước mắm Phú Quốc 40 độ đạm", "Nước mắm", variants, origin_province="Kiên Giang")


def coffee(number: int) -> ProductRecord:
    """One of a seller's many single-variant products (a catalog for chaos runs)."""
    sku = f"CF-{number:03d}"
    return _product(
        sku,
        f"Cà phê Robusta Buôn Ma Thuột rang mộc số {number}",
        "Cà phê",
        [VariantRecord(sku=f"{sku}-500G", price_vnd=90_000 + 1_000 * number, stock=5 + number)],
        origin_province="Đắk Lắk",
    )
