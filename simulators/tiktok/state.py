"""The TikTok Shop seller back office: apps, shops, tokens, images, products, audit, stock and orders.

This is the sandbox's one source of truth, plain Python objects that tests and the demo read and script
directly, the way a seller (or TikTok itself) would act in Seller Center: edit a price or a title by
hand (drift the sync must notice), deactivate a product, receive an order, move it through its statuses.
The HTTP face validates wire requests and then calls the same methods, so a scripted change and an API
change leave identical traces.

The audit is lazy: a product waits ``PENDING`` until ``audit_due`` and is decided the next time anyone
looks (:meth:`TikTokBackOffice.settle_audits`, run before every request and every read here), so a
:class:`~simulators.common.faults.ManualClock` moved by a test is all it takes. Helpers never await, so
under asyncio each is atomic with respect to in-flight requests. Mistakes in a script (an unknown id,
more units sold than exist) raise ``KeyError`` / ``ValueError`` at once: they are test bugs, not
marketplace answers.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from simulators.tiktok.config import ShopSeed, TikTokConfig
from simulators.tiktok.records import (
    DELETED,
    LISTED,
    ORDER_STATUSES,
    PENDING,
    SHIPPED_STATUSES,
    AccessToken,
    App,
    AuthCode,
    Image,
    LineItem,
    Order,
    Product,
    RefreshToken,
    Shop,
    Sku,
    Warehouse,
)

__all__ = ["TikTokBackOffice"]


class TikTokBackOffice:
    """Seller Center and TikTok Shop's own books for every app and shop of one sandbox."""

    def __init__(self, config: TikTokConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.apps: dict[str, App] = {}
        self.shops: dict[str, Shop] = {}
        self.images: dict[str, Image] = {}
        self.products: dict[str, Product] = {}
        self.orders: dict[str, Order] = {}
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.created: dict[tuple[str, str], dict[str, Any]] = {}  # (shop, idempotency_key) -> first answer
        self._product_ids = itertools.count(1_729_382_588_639_800_001)
        self._sku_ids = itertools.count(1_729_382_588_639_900_001)
        self._order_ids = itertools.count(576_684_019_603_300_001)
        self._line_ids = itertools.count(576_684_019_603_400_001)
        self._image_seq = itertools.count(1)
        for app_key, secret in config.apps.items():
            self.apps[app_key] = App(app_key, secret)
        for seed in config.shops:
            self.add_shop(seed)

    def now(self) -> int:
        return int(self.clock())

    # -- shops and authorisation ----------------------------------------------------------------------

    def add_shop(self, seed: ShopSeed) -> Shop:
        warehouse_ids = seed.warehouse_ids or (f"7{seed.shop_id[-6:].rjust(6, '0')}000001",)
        warehouses = [
            Warehouse(wid, f"Kho {seed.name} {n + 1}", is_default=n == 0) for n, wid in enumerate(warehouse_ids)
        ]
        shop = Shop(seed.shop_id, seed.name, seed.cipher, seed.code or f"VNLC{seed.shop_id[-6:]}", warehouses)
        self.shops[seed.shop_id] = shop
        return shop

    def _app_key(self, app_key: str | None) -> str:
        if app_key is not None:
            return app_key
        if len(self.apps) != 1:
            raise ValueError("several apps registered: say which one with app_key=")
        return next(iter(self.apps))

    def issue_code(self, shop_id: str, app_key: str | None = None) -> str:
        """The code the authorize page hands to the redirect URL (single use, ``code_lifetime``)."""
        key = self._app_key(app_key)
        if shop_id not in self.shops:
            raise KeyError(f"no shop {shop_id}")
        code = f"ROW_{secrets.token_urlsafe(24)}"
        self.codes[code] = AuthCode(code, key, shop_id, self.clock() + self.config.code_lifetime)
        return code

    def grant(self, shop_id: str, app_key: str | None = None) -> tuple[AccessToken, RefreshToken]:
        key = self._app_key(app_key)
        if shop_id not in self.shops:
            raise KeyError(f"no shop {shop_id}")
        now = self.clock()
        access = AccessToken(f"ROW_{secrets.token_urlsafe(30)}", key, shop_id, now + self.config.access_token_lifetime)
        refresh = RefreshToken(
            f"ROW_{secrets.token_urlsafe(30)}", key, shop_id, now + self.config.refresh_token_lifetime
        )
        self.access_tokens[access.token] = access
        self.refresh_tokens[refresh.token] = refresh
        return access, refresh

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working now (refresh tokens still do)."""
        now = self.clock()
        for token in self.access_tokens.values():
            token.expires_at = min(token.expires_at, now)

    # -- images ---------------------------------------------------------------------------------------

    def register_image(self, data: bytes = b"", use_case: str = "MAIN_IMAGE") -> Image:
        digest = hashlib.sha256(data).hexdigest()
        uri = f"tos-maliva-i-o3syd03w52-us/sbx{next(self._image_seq):06d}{digest[:16]}"
        width, height = self.config.image_size
        image = Image(
            uri, self.config.image_url_prefix + uri.rsplit("/", 1)[1], width, height, use_case, len(data), digest
        )
        self.images[uri] = image
        return image

    # -- products -------------------------------------------------------------------------------------

    def next_product_id(self) -> str:
        return str(next(self._product_ids))

    def next_sku_id(self) -> str:
        return str(next(self._sku_ids))

    def add_product(self, product: Product, *, audit: bool = True) -> Product:
        """Keep a product built by the create endpoint (or a script) and send it to audit (not a draft)."""
        if product.shop_id not in self.shops:
            raise KeyError(f"no shop {product.shop_id}")
        product.create_time = product.update_time = self.now()
        self.products[product.product_id] = product
        if audit:
            self.submit_for_audit(product)
        return product

    def create_product(
        self,
        shop_id: str,
        title: str,
        skus: Sequence[tuple[str, int, int]],
        *,
        category_id: str = "600101",
        description: str = "<p>Đặc sản địa phương, sản phẩm OCOP.</p>",
    ) -> Product:
        """A product as if the seller had listed it in Seller Center: ``skus`` are (seller_sku, price,
        quantity in the default warehouse); audited like one made over the API."""
        warehouse = self.shops[shop_id].default_warehouse
        made = [Sku(self.next_sku_id(), sku, price, {warehouse: qty}) for sku, price, qty in skus]
        product = Product(
            product_id=self.next_product_id(),
            shop_id=shop_id,
            title=title,
            description=description,
            category_id=category_id,
            main_images=[self.register_image(b"\xff\xd8\xff").uri],
            skus={s.sku_id: s for s in made},
            package_weight={"value": "0.5", "unit": "KILOGRAM"},
        )
        return self.add_product(product)

    def submit_for_audit(self, product: Product) -> None:
        product.status = PENDING
        product.audit_failed_reasons = []
        product.audit_due = self.clock() + self.config.audit_delay_s
        self.touch(product)
        self.settle_audits()

    def settle_audits(self) -> None:
        """Decide every audit that is due: ACTIVATE, or FAILED with the reasons a person must act on."""
        now = self.clock()
        for product in self.products.values():
            if product.status == PENDING and product.audit_due is not None and product.audit_due <= now:
                product.audit_due = None
                banned = [w for w in self.config.audit_banned_words if w.casefold() in product.title.casefold()]
                if banned:
                    product.status = "FAILED"
                    product.audit_failed_reasons = [
                        {
                            "position": "title",
                            "reasons": [f"Tiêu đề chứa từ bị cấm: {word}" for word in banned],
                            "suggestions": ["Bỏ các từ khẳng định công dụng chữa bệnh hoặc hàng giả khỏi tiêu đề."],
                        }
                    ]
                else:
                    product.status = LISTED
                self.touch(product)

    def product(self, product_id: str) -> Product:
        self.settle_audits()
        return self.products[product_id]

    def touch(self, product: Product) -> None:
        product.update_time = max(self.now(), product.update_time)

    def shop_products(self, shop_id: str, *, include_deleted: bool = False) -> list[Product]:
        self.settle_audits()
        return [p for p in self.products.values() if p.shop_id == shop_id and (include_deleted or not p.is_deleted)]

    def products_by_seller_sku(
        self, seller_sku: str, *, shop_id: str | None = None, include_deleted: bool = False
    ) -> list[Product]:
        """Products (of one shop, or any) with a SKU whose seller_sku is ``seller_sku``."""
        self.settle_audits()
        return [
            p
            for p in self.products.values()
            if (shop_id is None or p.shop_id == shop_id)
            and (include_deleted or not p.is_deleted)
            and p.sku_by_seller_sku(seller_sku) is not None
        ]

    def find_sku(self, sku: str, *, shop_id: str | None = None) -> tuple[Product, Sku]:
        """A live SKU by its id or its seller_sku; ValueError when a seller_sku names several."""
        self.settle_audits()
        found = [
            (p, s)
            for p in self.products.values()
            if not p.is_deleted and (shop_id is None or p.shop_id == shop_id)
            for s in p.skus.values()
            if sku in (s.sku_id, s.seller_sku)
        ]
        if not found:
            raise KeyError(f"no live SKU {sku!r}")
        if len(found) > 1:
            raise ValueError(f"{len(found)} SKUs match {sku!r}: say which shop with shop_id=")
        return found[0]

    # -- hand edits in Seller Center ----------------------------------------------------------------

    def hand_set_price(self, sku: str, price: int, *, shop_id: str | None = None) -> None:
        product, found = self.find_sku(sku, shop_id=shop_id)
        found.price = price
        self.touch(product)

    def hand_set_stock(
        self, sku: str, quantity: int, *, warehouse_id: str | None = None, shop_id: str | None = None
    ) -> None:
        product, found = self.find_sku(sku, shop_id=shop_id)
        found.available[warehouse_id or self.shops[product.shop_id].default_warehouse] = quantity
        self.touch(product)

    def hand_set_title(self, product_id: str, title: str) -> None:
        """The seller retitles a product: it goes back to audit, as any content edit does."""
        product = self.product(product_id)
        product.title = title
        self.submit_for_audit(product)

    def hand_deactivate(self, product_id: str) -> None:
        product = self.product(product_id)
        product.status = "SELLER_DEACTIVATED"
        self.touch(product)

    def lock_price(self, sku: str, *, locked: bool = True, shop_id: str | None = None) -> None:
        """Put a SKU in a promotion: prices/update then answers 12052038."""
        self.find_sku(sku, shop_id=shop_id)[1].price_locked = locked

    def lock_quantity(self, sku: str, quantity: int, *, shop_id: str | None = None) -> None:
        """Hold units for a campaign: inventory/update must then ask for more than ``quantity`` (12052146)."""
        self.find_sku(sku, shop_id=shop_id)[1].locked_quantity = quantity

    def set_product_status(self, product_id: str, status: str) -> None:
        """TikTok acts on a product (PLATFORM_DEACTIVATED, FREEZE...), or a test puts it anywhere."""
        product = self.product(product_id)
        product.status = status
        product.audit_due = None
        self.touch(product)

    # -- orders ---------------------------------------------------------------------------------------

    def place_order(self, shop_id: str, lines: Sequence[tuple[str, int]], status: str = "AWAITING_SHIPMENT") -> Order:
        """A buyer orders ``lines`` of (sku id or seller_sku, quantity): units move from available to
        committed in the warehouse that has them, one line item per unit."""
        if status not in ORDER_STATUSES:
            raise ValueError(f"unknown order status {status!r}")
        if not lines:
            raise ValueError("an order needs at least one line")
        picked: list[tuple[Product, Sku, str, int]] = []
        for ref, quantity in lines:
            product, sku = self.find_sku(ref, shop_id=shop_id)
            if product.status != LISTED:
                raise ValueError(f"product {product.product_id} is not on sale ({product.status})")
            warehouse = next((w for w, n in sku.available.items() if n >= quantity), None)
            if quantity < 1 or warehouse is None:
                raise ValueError(f"cannot sell {quantity} of SKU {sku.seller_sku or sku.sku_id}")
            picked.append((product, sku, warehouse, quantity))
        line_items: list[LineItem] = []
        for product, sku, warehouse, quantity in picked:
            sku.available[warehouse] -= quantity
            sku.committed[warehouse] = sku.committed.get(warehouse, 0) + quantity
            self.touch(product)
            line_items.extend(
                LineItem(
                    str(next(self._line_ids)),
                    sku.sku_id,
                    sku.seller_sku,
                    product.product_id,
                    product.title,
                    sku.price,
                    sku.price,
                    warehouse,
                )
                for _ in range(quantity)
            )
        now = self.now()
        order = Order(str(next(self._order_ids)), shop_id, status, now, now, line_items)
        self.orders[order.order_id] = order
        if status in SHIPPED_STATUSES:
            self._release(order, restock=False)
        return order

    def set_order_status(self, order_id: str, status: str, *, cancel_reason: str = "") -> Order:
        """Move an order; update_time always advances (by a second at least, even on a frozen clock)."""
        if status not in ORDER_STATUSES:
            raise ValueError(f"unknown order status {status!r}")
        order = self.orders[order_id]
        order.status = status
        order.update_time = max(self.now(), order.update_time + 1)
        if status in SHIPPED_STATUSES:
            self._release(order, restock=False)
        elif status == "CANCELLED":
            order.cancel_reason = cancel_reason or order.cancel_reason or "Người mua hủy đơn"
            self._release(order, restock=self.config.restock_on_cancel)
        return order

    def _release(self, order: Order, *, restock: bool) -> None:
        # Once per order: its units leave "committed", sold (shipped) or back on the shelf (cancelled).
        if order.released:
            return
        order.released = True
        for line in order.line_items:
            product = self.products.get(line.product_id)
            sku = product.skus.get(line.sku_id) if product else None
            if product is None or sku is None:
                continue  # a SKU deleted since has no shelf to return to
            sku.committed[line.warehouse_id] = max(0, sku.committed.get(line.warehouse_id, 0) - 1)
            if restock:
                sku.available[line.warehouse_id] = sku.available.get(line.warehouse_id, 0) + 1
            self.touch(product)

    def shop_orders(self, shop_id: str) -> list[Order]:
        return [o for o in self.orders.values() if o.shop_id == shop_id]

    def deleted(self, product: Product) -> None:
        product.status = DELETED
        product.audit_due = None
        self.touch(product)
