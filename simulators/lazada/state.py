"""The Lazada seller back office: apps, sellers, tokens, images, products, QC, stock and orders.

This is the simulator's one source of truth, plain Python objects that tests and the demo read and script
directly, the way a seller (or Lazada itself) would act in Seller Center: edit a price, a stock figure
or a name by hand (drift the sync must notice), deactivate a product, receive an order, move its items
through their statuses. The HTTP face validates wire requests and then calls the same methods, so a
scripted change and an API change leave identical traces.

QC is lazy: a product waits "Pending QC" until ``qc_due`` and is decided the next time anyone looks
(:meth:`LazadaBackOffice.settle_qc`, run before every request and every read here), so a
:class:`~simulators.common.faults.ManualClock` moved by a test is all it takes. Stock follows each order
item (one per unit): unpaid withholds the unit, pending…toship occupy it, ready_to_ship and after take it
out of the total, canceled gives it back. Helpers never await, so under asyncio each is atomic with
respect to in-flight requests. Mistakes in a script (an unknown id, more units sold than exist) raise
``KeyError`` / ``ValueError`` at once: they are test bugs, not marketplace answers.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Callable, Sequence

from simulators.lazada.config import NO_BRAND_ID, LazadaConfig, SellerSeed
from simulators.lazada.records import (
    ACTIVE,
    DELETED,
    HELD_STATUSES,
    INACTIVE,
    ITEM_STATUSES,
    PENDING_QC,
    PRODUCT_STATUSES,
    REJECTED,
    RELEASE_STATUSES,
    AccessToken,
    App,
    AuthCode,
    Image,
    Order,
    OrderItem,
    Product,
    RefreshToken,
    Seller,
    Sku,
)

__all__ = ["LazadaBackOffice"]


class LazadaBackOffice:
    """Seller Center and Lazada's own books for every app and seller of one simulator."""

    def __init__(self, config: LazadaConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.apps: dict[str, App] = {key: App(key, secret) for key, secret in config.apps.items()}
        self.sellers: dict[str, Seller] = {}
        self.images: dict[str, Image] = {}  # by url
        self.products: dict[int, Product] = {}
        self.orders: dict[int, Order] = {}
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self._item_ids = itertools.count(3_154_200_001)
        self._sku_ids = itertools.count(15_820_000_001)
        self._order_ids = itertools.count(260_422_900_100_001)
        self._order_item_ids = itertools.count(260_422_900_500_001)
        self._image_seq = itertools.count(1)
        for seed in config.sellers:
            self.add_seller(seed)

    def now(self) -> int:
        return int(self.clock())

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- sellers and authorisation --------------------------------------------------------------------

    def add_seller(self, seed: SellerSeed) -> Seller:
        seller = Seller(
            seed.seller_id,
            seed.short_code,
            seed.name,
            seed.country,
            seed.user_id or f"1{seed.seller_id}",
            seed.account or f"{seed.short_code.lower()}@seller.lazada.vn",
        )
        self.sellers[seller.seller_id] = seller
        return seller

    def _app_key(self, app_key: str | None) -> str:
        if app_key is not None:
            if app_key not in self.apps:
                raise KeyError(f"no app {app_key}")
            return app_key
        if len(self.apps) != 1:
            raise ValueError("several apps registered (or none): say which one with app_key=")
        return next(iter(self.apps))

    def issue_code(self, seller_id: str, app_key: str | None = None) -> str:
        """The code the authorize page sends to the app's redirect URI (single use, ``code_lifetime``)."""
        key = self._app_key(app_key)
        if seller_id not in self.sellers:
            raise KeyError(f"no seller {seller_id}")
        code = f"0_{key}_{secrets.token_urlsafe(24)}"
        self.codes[code] = AuthCode(code, key, seller_id, self.clock() + self.config.code_lifetime)
        return code

    def grant(
        self, seller_id: str, app_key: str | None = None, *, refresh_expires_at: float | None = None
    ) -> tuple[AccessToken, RefreshToken]:
        """A new token pair; the refresh token expires at ``refresh_expires_at`` (default: its full life)."""
        key = self._app_key(app_key)
        if seller_id not in self.sellers:
            raise KeyError(f"no seller {seller_id}")
        now = self.clock()
        access = AccessToken(f"50000{secrets.token_hex(24)}", key, seller_id, now + self.config.access_token_lifetime)
        until = now + self.config.refresh_token_lifetime if refresh_expires_at is None else refresh_expires_at
        refresh = RefreshToken(f"50001{secrets.token_hex(24)}", key, seller_id, until)
        self.access_tokens[access.token] = access
        self.refresh_tokens[refresh.token] = refresh
        return access, refresh

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working now (refresh tokens still do)."""
        now = self.clock()
        for token in self.access_tokens.values():
            token.expires_at = min(token.expires_at, now)

    # -- images ---------------------------------------------------------------------------------------

    def register_image(self, data: bytes, seller_id: str, width: int = 0, height: int = 0) -> Image:
        digest = hashlib.sha256(data).hexdigest()
        name = f"{digest[:32]}{next(self._image_seq):06d}"
        suffix = ".png" if data.startswith(b"\x89PNG") else ".jpg"
        image = Image(self.config.image_url_prefix + name + suffix, digest[:32], len(data), width, height, seller_id)
        self.images[image.url] = image
        return image

    # -- products -------------------------------------------------------------------------------------

    def next_item_id(self) -> int:
        return next(self._item_ids)

    def next_sku_id(self) -> int:
        return next(self._sku_ids)

    @staticmethod
    def shop_sku(item_id: int, sku_id: int) -> str:
        return f"{item_id}_VNAMZ-{sku_id}"

    def add_product(self, product: Product) -> Product:
        """Keep a product built by the create endpoint (or a script) and send it to QC."""
        if product.seller_id not in self.sellers:
            raise KeyError(f"no seller {product.seller_id}")
        product.created_ms = product.updated_ms = self.now_ms()
        self.products[product.item_id] = product
        self.submit_for_qc(product)
        return product

    def create_product(
        self,
        seller_id: str,
        name: str,
        skus: Sequence[tuple[str, int, int]],
        *,
        category_id: str = "10000101",
        brand_id: str = NO_BRAND_ID,
    ) -> Product:
        """A product as if the seller had listed it in Seller Center: ``skus`` are (seller_sku, price,
        quantity), each a variation of its own; it goes through QC like one made over the API."""
        item_id = self.next_item_id()
        made: dict[int, Sku] = {}
        for n, (seller_sku, price, quantity) in enumerate(skus):
            sku_id = self.next_sku_id()
            sale_prop = {"variation": seller_sku} if len(skus) > 1 else {}
            made[sku_id] = Sku(sku_id, seller_sku, self.shop_sku(item_id, sku_id), price, quantity,
                               "0.5", "20", "15", str(10 + n), sale_prop)  # fmt: skip
        image = self.register_image(b"\xff\xd8\xff" + name.encode(), seller_id, 800, 800)
        attributes = {"name": name, "description": f"<p>{name}: đặc sản địa phương, OCOP.</p>", "brand_id": brand_id}
        return self.add_product(Product(item_id, seller_id, category_id, attributes, [image.url], made))

    def submit_for_qc(self, product: Product) -> None:
        product.status = PENDING_QC
        product.reject_reason = ""
        product.qc_due = self.clock() + self.config.qc_delay_s
        self.touch(product)
        self.settle_qc()

    def settle_qc(self) -> None:
        """Decide every review that is due: Active, or Rejected with the reason a person must act on."""
        now = self.clock()
        for product in self.products.values():
            if product.status == PENDING_QC and product.qc_due is not None and product.qc_due <= now:
                product.qc_due = None
                banned = [w for w in self.config.qc_banned_words if w.casefold() in product.name.casefold()]
                if banned:
                    product.status = REJECTED
                    product.reject_reason = "Tên sản phẩm chứa từ bị cấm: " + ", ".join(banned)
                else:
                    product.status = ACTIVE
                self.touch(product)

    def product(self, item_id: int) -> Product:
        self.settle_qc()
        return self.products[item_id]

    def touch(self, product: Product) -> None:
        product.updated_ms = max(self.now_ms(), product.updated_ms)

    def seller_products(self, seller_id: str, *, include_deleted: bool = False) -> list[Product]:
        self.settle_qc()
        return [p for p in self.products.values() if p.seller_id == seller_id and (include_deleted or not p.is_deleted)]

    def products_by_seller_sku(
        self, seller_sku: str, *, seller_id: str | None = None, include_deleted: bool = False
    ) -> list[Product]:
        """Products (of one seller, or any) with a live SKU whose SellerSku is exactly ``seller_sku``."""
        return [
            p
            for p in self.products.values()
            if (seller_id is None or p.seller_id == seller_id)
            and (include_deleted or not p.is_deleted)
            and p.sku_by_seller_sku(seller_sku) is not None
        ]

    def seller_sku_taken(self, seller_id: str, seller_sku: str) -> bool:
        return bool(self.products_by_seller_sku(seller_sku, seller_id=seller_id))

    def find_sku(self, sku: str | int, *, seller_id: str | None = None) -> tuple[Product, Sku]:
        """A live SKU by its SkuId or its SellerSku; ValueError when a SellerSku names several."""
        self.settle_qc()
        found = [
            (p, s)
            for p in self.products.values()
            if not p.is_deleted and (seller_id is None or p.seller_id == seller_id)
            for s in p.live_skus()
            if sku in (s.sku_id, s.seller_sku) or str(sku) == str(s.sku_id)
        ]
        if not found:
            raise KeyError(f"no live SKU {sku!r}")
        if len(found) > 1:
            raise ValueError(f"{len(found)} SKUs match {sku!r}: say which seller with seller_id=")
        return found[0]

    def delete_skus(self, product: Product, skus: Sequence[Sku]) -> None:
        """SKUs deleted; a product with no SKU left is deleted with them."""
        for sku in skus:
            sku.status = "deleted"
        if not product.live_skus():
            product.status = DELETED
            product.qc_due = None
        self.touch(product)

    # -- hand edits in Seller Center ----------------------------------------------------------------

    def hand_set_price(self, sku: str | int, price: int, *, seller_id: str | None = None) -> None:
        product, found = self.find_sku(sku, seller_id=seller_id)
        found.price = price
        self.touch(product)

    def hand_set_stock(self, sku: str | int, sellable: int, *, seller_id: str | None = None) -> None:
        """The seller sets what buyers can order (Seller Center's sellable stock): the total becomes that
        plus what orders withhold and occupy."""
        product, found = self.find_sku(sku, seller_id=seller_id)
        if sellable < 0:
            raise ValueError("stock cannot be negative")
        found.quantity = sellable + found.withheld + found.occupied
        self.touch(product)

    def hand_set_name(self, item_id: int, name: str) -> None:
        """The seller renames a product: it goes back to QC when content changes do (config)."""
        product = self.product(item_id)
        product.attributes["name"] = name
        if self.config.requalify_on_content_change and product.status != INACTIVE:
            self.submit_for_qc(product)
        else:
            self.touch(product)

    def hand_deactivate(self, item_id: int) -> None:
        product = self.product(item_id)
        product.status = INACTIVE
        for sku in product.live_skus():
            sku.status = "inactive"
        self.touch(product)

    def set_product_status(self, item_id: int, status: str, reason: str = "") -> None:
        """Lazada acts on a product (QC rejects it, say), or a test puts it anywhere."""
        if status not in PRODUCT_STATUSES:
            raise ValueError(f"unknown product status {status!r}")
        product = self.product(item_id)
        product.status, product.reject_reason, product.qc_due = status, reason, None
        self.touch(product)

    # -- orders ---------------------------------------------------------------------------------------

    def place_order(self, seller_id: str, lines: Sequence[tuple[str, int]], status: str = "pending") -> Order:
        """A buyer orders ``lines`` of (SellerSku or SkuId, quantity): one order item per unit, each
        withholding (unpaid) or occupying (paid) its unit, or taking it out (already handed over)."""
        if status not in ITEM_STATUSES or status in RELEASE_STATUSES:
            raise ValueError(f"an order cannot start as {status!r}")
        if not lines:
            raise ValueError("an order needs at least one line")
        picked: list[tuple[Product, Sku, int]] = []
        for ref, quantity in lines:
            product, sku = self.find_sku(ref, seller_id=seller_id)
            if product.status != ACTIVE or sku.status != "active":
                raise ValueError(f"SKU {sku.seller_sku} is not on sale ({product.status}, {sku.status})")
            wanted = quantity + sum(n for _, s, n in picked if s is sku)
            if quantity < 1 or sku.available < wanted:
                raise ValueError(f"cannot sell {quantity} of SKU {sku.seller_sku} ({sku.available} sellable)")
            picked.append((product, sku, quantity))
        now = self.now()
        order_id = next(self._order_ids)
        order = Order(order_id, order_id, seller_id, now, now, [])
        for product, sku, quantity in picked:
            for _ in range(quantity):
                variation = ", ".join(f"{k}:{v}" for k, v in sku.sale_prop.items())
                item = OrderItem(next(self._order_item_ids), order_id, product.item_id, sku.sku_id, sku.seller_sku,
                                 sku.shop_sku, product.name, variation, sku.price, sku.price, status, now,
                                 stock="")  # fmt: skip
                self._move(item, status)
                order.items.append(item)
            self.touch(product)
        self.orders[order_id] = order
        return order

    def set_order_status(self, order_id: int, status: str, *, reason: str = "") -> Order:
        """Every item of the order moves to ``status``; updated_at always advances (a second at least)."""
        order = self.orders[order_id]
        for item in order.items:
            self._set_item(order, item, status, reason)
        return order

    def set_item_status(self, order_item_id: int, status: str, *, reason: str = "") -> Order:
        """One order item (one unit) moves to ``status``; the others keep theirs."""
        order = next(o for o in self.orders.values() if any(i.order_item_id == order_item_id for i in o.items))
        item = next(i for i in order.items if i.order_item_id == order_item_id)
        self._set_item(order, item, status, reason)
        return order

    def _set_item(self, order: Order, item: OrderItem, status: str, reason: str) -> None:
        if status not in ITEM_STATUSES:
            raise ValueError(f"unknown order item status {status!r}")
        self._move(item, status)
        item.status = status
        if status in RELEASE_STATUSES:
            item.reason = reason or item.reason or "Người mua hủy đơn"
        order.updated_at = max(self.now(), order.updated_at + 1)
        item.updated_at = order.updated_at

    def _move(self, item: OrderItem, status: str) -> None:
        """Put the item's unit in the stock bucket of ``status``; a unit that left or was released stays."""
        target = HELD_STATUSES.get(status) or ("released" if status in RELEASE_STATUSES else "left")
        before = item.stock
        if before in ("left", "released"):
            if target in ("withheld", "occupied"):
                raise ValueError(f"order item {item.order_item_id} is {item.status}: its unit cannot be held again")
            return
        product = self.products.get(item.item_id)
        sku = product.skus.get(item.sku_id) if product else None
        item.stock = target
        if sku is None or product is None:
            return
        if before == "withheld":
            sku.withheld = max(0, sku.withheld - 1)
        elif before == "occupied":
            sku.occupied = max(0, sku.occupied - 1)
        if target == "withheld":
            sku.withheld += 1
        elif target == "occupied":
            sku.occupied += 1
        elif target == "left" or (target == "released" and not self.config.restock_on_cancel):
            sku.quantity = max(0, sku.quantity - 1)
        self.touch(product)

    def seller_orders(self, seller_id: str) -> list[Order]:
        return [o for o in self.orders.values() if o.seller_id == seller_id]
