"""The Postmart seller back office of the sandbox: merchants, products and SKUs, images, orders, tokens.

Plain Python objects that tests read and script directly, the way a merchant (or Postmart itself) would
act in the seller centre: change a price by hand, ban or reject a product, receive an order and move it
through ShopNC's order states (0 cancelled, 10 unpaid, 20 paid, 30 shipped, 40 received: ASSUMED, as in
the toml). The HTTP face (:mod:`simulators.postmart.sandbox`) validates wire requests, then calls these
same methods, so a scripted change and an API change leave identical traces. Helpers never await;
script mistakes (an unknown id) raise ``KeyError`` at once: they are test bugs, not marketplace answers.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_AREAS",
    "DEFAULT_CATEGORIES",
    "PostmartBackOffice",
    "SandboxArea",
    "SandboxCategory",
    "SandboxOrder",
    "SandboxOrderLine",
    "SandboxProduct",
    "SandboxSku",
]


@dataclass(frozen=True)
class SandboxCategory:
    gc_id: int
    name: str
    parent_id: int = 0
    show: int = 1


@dataclass(frozen=True)
class SandboxArea:
    area_id: int
    name: str
    parent_id: int
    depth: int


# The three top-level rows of the CONFIRMED sample, and a few children of ours.
DEFAULT_CATEGORIES = (
    SandboxCategory(782, "Thực Phẩm - Đặc sản"),
    SandboxCategory(783, "Nhà Cửa và Đời Sống"),
    SandboxCategory(784, "Điện tử - Công nghệ"),
    SandboxCategory(7821, "Gạo - Ngũ cốc", 782),
    SandboxCategory(7822, "Trà - Cà phê", 782),
    SandboxCategory(7823, "Mật ong", 782),
)
DEFAULT_AREAS = (
    SandboxArea(84, "Trà Vinh", 0, 1),
    SandboxArea(1, "Hà Nội", 0, 1),
    SandboxArea(8401, "Càng Long", 84, 2),
    SandboxArea(840101, "Thị trấn Càng Long", 8401, 3),
)


@dataclass
class SandboxSku:
    sku_id: int
    serial: str
    spec: str
    price: int
    stock: int


@dataclass
class SandboxProduct:
    spu_id: int
    merchant: str
    serial: str
    name: str
    gc_id: int
    body: str
    image: str
    images: list[str]
    weight: int | None
    skus: list[SandboxSku]
    state: int = 1
    verify: int = 1
    deleted: bool = False

    def sku(self, serial: str) -> SandboxSku:
        return next(s for s in self.skus if s.serial == serial)


@dataclass
class SandboxOrderLine:
    rec_id: int
    sku_id: int
    spu_id: int
    serial: str
    quantity: int
    price: int


@dataclass
class SandboxOrder:
    order_sn: str
    merchant: str
    state: int
    add_time: int
    update_time: int
    lines: list[SandboxOrderLine]
    amount: int


@dataclass
class _Token:
    merchant: str
    expires_at: float


@dataclass
class PostmartBackOffice:
    """Postmart's books for every merchant of one sandbox."""

    clock: Callable[[], float]
    token_ttl_s: int = 3600
    categories: tuple[SandboxCategory, ...] = DEFAULT_CATEGORIES
    areas: tuple[SandboxArea, ...] = DEFAULT_AREAS
    merchants: dict[str, str] = field(default_factory=dict)  # username → password
    api_keys: dict[str, str] = field(default_factory=dict)  # key → username
    products: dict[int, SandboxProduct] = field(default_factory=dict)
    orders: dict[str, SandboxOrder] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    tokens: dict[str, _Token] = field(default_factory=dict)
    logins: int = 0

    def __post_init__(self) -> None:
        # DSMall-like id spaces that never collide between kinds.
        self._spu_ids = itertools.count(100_001)
        self._sku_ids = itertools.count(500_001)
        self._rec_ids = itertools.count(1)
        self._order_seq = itertools.count(1)

    def now(self) -> int:
        return int(self.clock())

    # -- merchants and tokens ------------------------------------------------------------------------

    def add_merchant(self, username: str, password: str) -> None:
        self.merchants[username] = password

    def login(self, username: str, password: str) -> str | None:
        if self.merchants.get(username) != password or not password:
            return None
        token = secrets.token_hex(16)
        self.tokens[token] = _Token(username, self.clock() + self.token_ttl_s)
        self.logins += 1
        return token

    def merchant_of(self, token: str) -> str | None:
        held = self.tokens.get(token)
        if held is None or held.expires_at <= self.clock():
            return None
        return held.merchant

    def expire_tokens(self) -> None:
        for token in self.tokens.values():
            token.expires_at = self.clock()

    # -- products ------------------------------------------------------------------------------------

    def category_ids(self) -> set[int]:
        return {c.gc_id for c in self.categories}

    def create_product(
        self,
        merchant: str,
        *,
        serial: str,
        name: str,
        gc_id: int,
        skus: Sequence[tuple[str, str, int, int]],
        body: str = "",
        image: str = "",
        images: Sequence[str] = (),
        weight: int | None = None,
    ) -> SandboxProduct:
        """A product with SKUs given as (serial, spec, price, stock)."""
        product = SandboxProduct(
            spu_id=next(self._spu_ids), merchant=merchant, serial=serial, name=name, gc_id=gc_id, body=body,
            image=image, images=list(images), weight=weight,
            skus=[self.new_sku(s, spec, price, stock) for s, spec, price, stock in skus],
        )  # fmt: skip
        self.products[product.spu_id] = product
        return product

    def new_sku(self, serial: str, spec: str, price: int, stock: int) -> SandboxSku:
        """A SKU with a fresh id (ids are never reused, as a database's are not)."""
        return SandboxSku(next(self._sku_ids), serial, spec, price, stock)

    def live_products(self, merchant: str) -> list[SandboxProduct]:
        return [p for p in self.products.values() if p.merchant == merchant and not p.deleted]

    def by_serial(self, merchant: str, serial: str) -> SandboxProduct | None:
        return next((p for p in self.live_products(merchant) if p.serial == serial), None)

    def with_sku(self, merchant: str, serial: str) -> SandboxProduct:
        """The merchant's live product that has the SKU ``serial`` (StopIteration when none has)."""
        return next(p for p in self.live_products(merchant) if any(s.serial == serial for s in p.skus))

    def sku_by_id(self, merchant: str, sku_id: int) -> tuple[SandboxProduct, SandboxSku] | None:
        for product in self.live_products(merchant):
            for sku in product.skus:
                if sku.sku_id == sku_id:
                    return product, sku
        return None

    def set_price(self, spu_id: int, serial: str, price: int) -> None:
        self.products[spu_id].sku(serial).price = price

    def set_stock(self, spu_id: int, serial: str, stock: int) -> None:
        self.products[spu_id].sku(serial).stock = stock

    def ban(self, spu_id: int) -> None:
        self.products[spu_id].state = 10

    def reject(self, spu_id: int) -> None:
        self.products[spu_id].verify = 0

    # -- orders --------------------------------------------------------------------------------------

    def place_order(self, merchant: str, lines: Sequence[tuple[str, int]], *, state: int = 20) -> SandboxOrder:
        """An order of (SKU serial, quantity) lines; the stock it takes leaves the shelf at once."""
        now = self.now()
        order_lines: list[SandboxOrderLine] = []
        for serial, quantity in lines:
            product = self.with_sku(merchant, serial)
            sku = product.sku(serial)
            sku.stock -= quantity
            order_lines.append(SandboxOrderLine(next(self._rec_ids), sku.sku_id, product.spu_id, serial, quantity,
                                                sku.price))  # fmt: skip
        order_sn = f"PM{now}{next(self._order_seq):04d}"
        amount = sum(line.price * line.quantity for line in order_lines)
        order = SandboxOrder(order_sn, merchant, state, now, now, order_lines, amount)
        self.orders[order_sn] = order
        return order

    def set_order_state(self, order_sn: str, state: int) -> SandboxOrder:
        order = self.orders[order_sn]
        order.state = state
        # A change is stamped after the last one, so a cursor by update time always sees it.
        order.update_time = max(self.now(), order.update_time + 1)
        return order
