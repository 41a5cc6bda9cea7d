"""The Shopee seller back office: partners, shops, listings, stock, prices, images, orders and tokens.

This is the sandbox's one source of truth, plain Python objects that tests read and script directly, the
way a seller (or Shopee itself) would act in Seller Centre: edit a price by hand (drift), ban an item,
receive an order, move it through its statuses. The HTTP face (``shopee.py``) validates wire requests and
then calls the same methods, so a scripted change and an API change leave identical traces.

Helpers here never await, so under asyncio each one is atomic with respect to in-flight requests; the
HTTP face additionally holds the sandbox lock around every handler. Mistakes in a script (an unknown id,
more stock sold than exists) raise ``KeyError`` / ``ValueError`` at once: they are test bugs, not
marketplace answers.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from simulators.shopee.config import ShopeeConfig
from simulators.shopee.records import (
    DELETED_STATUSES,
    ITEM_STATUSES,
    LEFT_WAREHOUSE,
    ORDER_STATUSES,
    AccessToken,
    AuthCode,
    Image,
    Item,
    Model,
    Order,
    OrderLine,
    Partner,
    RefreshToken,
    Shop,
)

__all__ = ["ShopeeBackOffice"]

_VN_TIME = timezone(timedelta(hours=7))


class ShopeeBackOffice:
    """Seller Centre and Shopee's own books for every partner and shop of one sandbox."""

    def __init__(self, config: ShopeeConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.partners: dict[int, Partner] = {}
        self.shops: dict[int, Shop] = {}
        self.images: dict[str, Image] = {}
        self.items: dict[int, Item] = {}
        self.orders: dict[str, Order] = {}
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        # Id spaces look like Shopee's (long integers) and never collide between kinds.
        self._item_ids = itertools.count(20_000_000_001)
        self._model_ids = itertools.count(100_000_000_001)
        self._order_seq = itertools.count(1)
        self._image_seq = itertools.count(1)
        for partner_id, key in config.partners.items():
            self.add_partner(partner_id, key)
        for shop_id in config.shops:
            self.add_shop(shop_id)

    def now(self) -> int:
        return int(self.clock())

    # -- partners, shops, authorisation -------------------------------------------------------------

    def add_partner(self, partner_id: int, partner_key: str) -> Partner:
        self.partners[partner_id] = partner = Partner(partner_id, partner_key)
        return partner

    def add_shop(self, shop_id: int, *, name: str | None = None, holiday_mode: bool = False) -> Shop:
        self.shops[shop_id] = shop = Shop(shop_id, name or f"Shop {shop_id}", holiday_mode)
        return shop

    def _partner_id(self, partner_id: int | None) -> int:
        if partner_id is not None:
            return partner_id
        if len(self.partners) != 1:
            raise ValueError("several partners registered: say which one with partner_id=")
        return next(iter(self.partners))

    def issue_code(self, shop_id: int, partner_id: int | None = None) -> str:
        """The code the consent page hands to the redirect URL (single use, ``code_lifetime``)."""
        pid = self._partner_id(partner_id)
        if shop_id not in self.shops:
            raise KeyError(f"no shop {shop_id}")
        code = secrets.token_hex(16)
        self.codes[code] = AuthCode(code, pid, shop_id, self.clock() + self.config.code_lifetime)
        return code

    def grant(self, shop_id: int, partner_id: int | None = None) -> tuple[AccessToken, RefreshToken]:
        pid = self._partner_id(partner_id)
        if shop_id not in self.shops:
            raise KeyError(f"no shop {shop_id}")
        now = self.clock()
        access = AccessToken(secrets.token_hex(16), pid, shop_id, now + self.config.access_token_lifetime)
        refresh = RefreshToken(secrets.token_hex(16), pid, shop_id, now + self.config.refresh_token_lifetime)
        self.access_tokens[access.token] = access
        self.refresh_tokens[refresh.token] = refresh
        return access, refresh

    def authorize_shop(self, shop_id: int, partner_id: int | None = None) -> tuple[str, str]:
        """Skip the consent flow: (access_token, refresh_token) for the shop, valid from now."""
        access, refresh = self.grant(shop_id, partner_id)
        return access.token, refresh.token

    # -- images ---------------------------------------------------------------------------------------

    def register_image(self, data: bytes = b"", content_type: str = "image/jpeg", scene: str = "normal") -> Image:
        # VN image ids look like "vn-11134207-…"; the suffix is unique per upload.
        image_id = f"vn-11134207-sbx{next(self._image_seq):06d}{hashlib.sha256(data).hexdigest()[:10]}"
        image = Image(image_id, content_type, len(data), hashlib.sha256(data).hexdigest(), scene, self.now())
        self.images[image_id] = image
        return image

    def image_url(self, image_id: str) -> str:
        return self.config.image_url_prefix + image_id

    # -- listings -------------------------------------------------------------------------------------

    def create_item(
        self,
        shop_id: int,
        item_name: str,
        *,
        price: int,
        stock: int = 0,
        item_sku: str = "",
        category_id: int = 100111,
        description: str = "Đặc sản địa phương, sản phẩm OCOP.",
        weight: float = 0.5,
        image_ids: Sequence[str] | None = None,
        logistic_info: list[dict[str, Any]] | None = None,
        item_status: str = "NORMAL",
        **content: Any,
    ) -> Item:
        """A listing as if the seller had created it; ``content`` sets any other :class:`Item` field."""
        if shop_id not in self.shops:
            raise KeyError(f"no shop {shop_id}")
        now = self.now()
        channel = self.config.logistics_channels[0].logistics_channel_id
        item = Item(
            item_id=next(self._item_ids),
            shop_id=shop_id,
            item_name=item_name,
            description=description,
            category_id=category_id,
            weight=weight,
            image_ids=list(image_ids) if image_ids is not None else [self.register_image().image_id],
            logistic_info=logistic_info or [{"logistic_id": channel, "enabled": True}],
            item_sku=item_sku,
            item_status=item_status,
            requested_status=item_status,
            create_time=now,
            update_time=now,
            models={0: Model(0, [], "", price, stock)},
            **content,
        )
        if self.config.review_new_items and item_status == "NORMAL":
            item.item_status = "REVIEWING"
        self.items[item.item_id] = item
        return item

    def set_tiers(
        self,
        item_id: int,
        tier_variation: list[dict[str, Any]],
        models: Iterable[tuple[list[int], str, int, int]],
    ) -> list[Model]:
        """Give an item variations: ``models`` are (tier_index, model_sku, price, stock)."""
        item = self.item(item_id)
        item.tier_variation = tier_variation
        item.models = {}
        return self.add_models(item_id, models)

    def add_models(self, item_id: int, models: Iterable[tuple[list[int], str, int, int]]) -> list[Model]:
        item = self.item(item_id)
        created = [Model(next(self._model_ids), list(t), sku, price, stock) for t, sku, price, stock in models]
        item.models.update((m.model_id, m) for m in created)
        self.touch(item)
        return created

    def item(self, item_id: int) -> Item:
        return self.items[item_id]

    def model(self, item_id: int, model_id: int = 0) -> Model:
        return self.item(item_id).models[model_id]

    def is_purged(self, item: Item) -> bool:
        """A deleted item stays readable for ``deleted_item_retention``, then is gone for good."""
        return item.deleted_time is not None and self.clock() > item.deleted_time + self.config.deleted_item_retention

    def shop_items(self, shop_id: int) -> list[Item]:
        return [i for i in self.items.values() if i.shop_id == shop_id and not self.is_purged(i)]

    def items_by_sku(self, item_sku: str, *, shop_id: int | None = None, include_deleted: bool = False) -> list[Item]:
        return [
            i
            for i in self.items.values()
            if i.item_sku == item_sku
            and (shop_id is None or i.shop_id == shop_id)
            and (include_deleted or not i.is_deleted)
        ]

    def models_by_sku(self, model_sku: str, *, shop_id: int | None = None) -> list[tuple[Item, Model]]:
        return [
            (i, m)
            for i in self.items.values()
            if not i.is_deleted and (shop_id is None or i.shop_id == shop_id)
            for m in i.models.values()
            if i.has_model and m.model_sku == model_sku
        ]

    def touch(self, item: Item) -> None:
        item.update_time = self.now()

    def set_price(self, item_id: int, price: int, model_id: int = 0) -> None:
        """The seller edits a price by hand in Seller Centre (drift the sync must notice)."""
        self.model(item_id, model_id).original_price = price
        self.touch(self.item(item_id))

    def set_stock(self, item_id: int, stock: int, model_id: int = 0) -> None:
        self.model(item_id, model_id).seller_stock = stock
        self.touch(self.item(item_id))

    def set_reserved_stock(self, item_id: int, reserved: int, model_id: int = 0) -> None:
        self.model(item_id, model_id).reserved_stock = reserved

    def lock_price(self, item_id: int, model_id: int = 0, *, locked: bool = True) -> None:
        """Put a model in a promotion: update_price then answers error_cannt_edit_price_in_promotion."""
        self.model(item_id, model_id).price_locked = locked

    def set_item_status(self, item_id: int, status: str) -> None:
        if status not in ITEM_STATUSES:
            raise ValueError(f"unknown item status {status!r}")
        item = self.item(item_id)
        item.item_status = status
        if status in DELETED_STATUSES and item.deleted_time is None:
            item.deleted_time = self.now()
        self.touch(item)

    def ban_item(self, item_id: int) -> None:
        self.set_item_status(item_id, "BANNED")

    def approve_item(self, item_id: int) -> None:
        """Shopee's review passes: a REVIEWING item takes the status the seller asked for."""
        item = self.item(item_id)
        self.set_item_status(item_id, item.requested_status)

    # -- orders ---------------------------------------------------------------------------------------

    def place_order(
        self,
        shop_id: int,
        lines: Sequence[tuple[int, int, int]],
        status: str = "READY_TO_SHIP",
        *,
        create_time: int | None = None,
        cod: bool = False,
        buyer_username: str = "khachhang.vn",
        discount: int = 0,
        note: str = "",
    ) -> Order:
        """A buyer orders ``lines`` of (item_id, model_id, quantity); stock drops as on Shopee."""
        if status not in ORDER_STATUSES:
            raise ValueError(f"unknown order status {status!r}")
        if not lines:
            raise ValueError("an order needs at least one line")
        order_lines: list[OrderLine] = []
        for item_id, model_id, quantity in lines:
            item = self.item(item_id)
            model = item.models[model_id]
            if item.shop_id != shop_id or item.item_status != "NORMAL":
                raise ValueError(f"item {item_id} is not on sale in shop {shop_id}")
            if quantity < 1 or quantity > model.seller_stock - model.reserved_stock:
                raise ValueError(f"cannot sell {quantity} of item {item_id} model {model_id}")
            order_lines.append(
                OrderLine(
                    item_id=item_id,
                    model_id=model_id,
                    quantity=quantity,
                    item_name=item.item_name,
                    item_sku=item.item_sku,
                    model_name=item.model_name(model),
                    model_sku=model.model_sku,
                    original_price=model.original_price,
                    discounted_price=model.original_price - discount,
                    weight=item.weight,
                )
            )
        for line in order_lines:
            self.model(line.item_id, line.model_id).seller_stock -= line.quantity
            self.touch(self.item(line.item_id))
        created = self.now() if create_time is None else create_time
        seq = next(self._order_seq)
        order = Order(
            order_sn=datetime.fromtimestamp(created, tz=_VN_TIME).strftime("%y%m%d") + _base36(seq).rjust(8, "0"),
            shop_id=shop_id,
            order_status=status,
            create_time=created,
            update_time=created,
            lines=order_lines,
            buyer_user_id=900_000_000 + seq,
            buyer_username=buyer_username,
            cod=cod,
            pay_time=None if status == "UNPAID" or cod else created,
            note=note,
        )
        self.orders[order.order_sn] = order
        return order

    def order(self, order_sn: str) -> Order:
        return self.orders[order_sn]

    def set_order_status(self, order_sn: str, status: str, *, cancel_reason: str = "") -> Order:
        """Move an order; update_time always advances (by a second at least, even on a frozen clock)."""
        if status not in ORDER_STATUSES:
            raise ValueError(f"unknown order status {status!r}")
        order = self.order(order_sn)
        previous = order.order_status
        order.order_status = status
        order.update_time = max(self.now(), order.update_time + 1)
        if status == "CANCELLED":
            order.cancel_reason = cancel_reason or order.cancel_reason or "BUYER_REQUEST"
            if self.config.restock_on_cancel and not order.restocked and previous not in LEFT_WAREHOUSE:
                self._restock(order)
        elif order.pay_time is None and previous == "UNPAID" and status != "IN_CANCEL":
            order.pay_time = order.update_time
        return order

    def _restock(self, order: Order) -> None:
        order.restocked = True
        for line in order.lines:
            item = self.items.get(line.item_id)
            model = item.models.get(line.model_id) if item else None
            if item and model:  # a model deleted since has no shelf to return to
                model.seller_stock += line.quantity
                self.touch(item)

    def shop_orders(self, shop_id: int) -> list[Order]:
        return [o for o in self.orders.values() if o.shop_id == shop_id]


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        number, rem = divmod(number, 36)
        out = digits[rem] + out
        if number == 0:
            return out
