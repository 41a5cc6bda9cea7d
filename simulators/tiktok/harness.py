"""The TikTok Shop simulator as the connector conformance suite drives it (:mod:`simulators.common.harness`).

One app and one shop (:data:`APP_KEY`, :data:`APP_SECRET`, :data:`SHOP_ID` with its cipher and warehouse:
the demo's first shop), authorised by skipping the authorize page. Products pass audit at once (delay 0),
so prices and stock can be set right after a create. Price and stock calls take at most
:data:`BATCH_LIMIT` SKUs, on the sandbox and in the account's settings alike, so a case needs a handful of
variants to split a batch.

TikTok puts the product id in the path of its price and stock calls, so an operation is a method and a
path *pattern* here, not one exact path: the harness matches requests to operations itself (aiming a
fault at the concrete path of the very request that matched, and counting calls by pattern), on top of
the marketplace-neutral :class:`~simulators.common.harness.SimulatorHarness`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from core.ports import OrderStatus, Tokens
from simulators.common.faults import ANY_PATH, Fault, ManualClock
from simulators.common.harness import HeldListing, HeldVariant, Operation, SimulatorHarness, Target
from simulators.tiktok.config import TikTokConfig
from simulators.tiktok.fleet import DEMO_APP_KEY, DEMO_APP_SECRET, DEMO_SHOPS
from simulators.tiktok.records import LISTED
from simulators.tiktok.sandbox import BASE_URL, TOKEN_GET, TOKEN_REFRESH, TikTokSandbox

__all__ = ["APP_KEY", "APP_SECRET", "BATCH_LIMIT", "CATEGORY_ID", "SHOP", "SHOP_ID", "TikTokHarness", "build_harness"]

APP_KEY = DEMO_APP_KEY
APP_SECRET = DEMO_APP_SECRET
SHOP = DEMO_SHOPS[0]
SHOP_ID = SHOP.shop_id
BATCH_LIMIT = 4
CATEGORY_ID = "600101"  # Gạo, a leaf of the sandbox's tree with no required attribute
_P = "/product/202309/products"
_TARGETS = {
    Operation.CREATE: Target("POST", _P),
    Operation.PRICE: Target("POST", f"{_P}/{{product_id}}/prices/update"),
    Operation.STOCK: Target("POST", f"{_P}/{{product_id}}/inventory/update"),
}
_ORDER_STATUS = {
    OrderStatus.PENDING: "UNPAID",
    OrderStatus.READY: "AWAITING_SHIPMENT",
    OrderStatus.SHIPPED: "IN_TRANSIT",
    OrderStatus.COMPLETED: "COMPLETED",
    OrderStatus.CANCELLED: "CANCELLED",
}
# No real waiting: tiny backoffs, a rate budget far above what a case sends.
_FAST: dict[str, Any] = {
    "retry": {"base_delay_s": 0.001, "max_delay_s": 0.005, "rate_limited_wait_s": 0.001, "max_total_wait_s": 5},
    "rate": {"account_per_second": 10000, "account_burst": 100, "partner_per_second": 10000, "partner_burst": 100},
    "http": {"timeout_s": 2.0},
}


def _pattern(target: Target) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(target.path)) + "$")


class TikTokHarness(SimulatorHarness):
    channel = "tiktok"
    category_id = CATEGORY_ID
    batch_limit = BATCH_LIMIT

    def __init__(self) -> None:
        clock = ManualClock(time.time())
        config = TikTokConfig(
            apps={APP_KEY: APP_SECRET},
            shops=[SHOP],
            price_batch=BATCH_LIMIT,
            inventory_batch=BATCH_LIMIT,
            audit_delay_s=0,
        )
        self.sandbox = TikTokSandbox(config, clock=clock)
        self._patterns = {operation: _pattern(target) for operation, target in _TARGETS.items()}
        super().__init__(BASE_URL, self.sandbox.transport(), self.sandbox.faults, self.sandbox.log, clock, _TARGETS)

    def environment(self) -> Mapping[str, str]:
        return {"CHOSYNC_TIKTOK_APP_SECRET": APP_SECRET}

    def account_settings(self) -> dict[str, Any]:
        return {
            "base_url": BASE_URL,
            "auth_base_url": BASE_URL,
            "app_key": APP_KEY,
            "shop_id": SHOP_ID,
            "shop_cipher": SHOP.cipher,
            "warehouse_id": SHOP.warehouse_ids[0],
            "limits": {"price_batch": BATCH_LIMIT, "inventory_batch": BATCH_LIMIT},
            **_FAST,
        }

    def authorize(self) -> Tokens:
        data = self.sandbox.grant_tokens(SHOP_ID)
        return Tokens(
            access_token=data["access_token"],
            refresh_token=data["refresh_token"],
            access_expires_at=datetime.fromtimestamp(data["access_token_expire_in"], UTC),
            refresh_expires_at=datetime.fromtimestamp(data["refresh_token_expire_in"], UTC),
        )

    # -- operations by method and path pattern ----------------------------------------------------------

    def _operation(self, method: str, path: str) -> Operation | None:
        return next(
            (op for op, pattern in self._patterns.items() if _TARGETS[op].method == method and pattern.match(path)),
            None,
        )

    def inject(self, operation: Operation, fault: Fault) -> None:
        if operation is Operation.ANY:
            self.plan.enqueue(ANY_PATH, fault)
        else:
            self._armed[_TARGETS[operation]].append(fault)

    def calls(self, operation: Operation) -> int:
        if operation is Operation.ANY:
            return self.log.calls()
        return sum(1 for call in self.log.recorded() if self._operation(call.method, call.path) is operation)

    def _arm(self, request: httpx.Request) -> None:
        operation = self._operation(request.method, request.url.path)
        queue = self._armed.get(_TARGETS[operation]) if operation is not None else None
        if queue:
            self.plan.enqueue(request.url.path, queue.popleft())

    # -- the marketplace's side --------------------------------------------------------------------------

    def place_order(self, lines: Sequence[tuple[str, int]]) -> str:
        self.tick()
        order_id = self.sandbox.place_order(SHOP_ID, lines).order_id
        self.tick()
        return order_id

    def move_order(self, order_id: str, status: OrderStatus) -> None:
        if status not in _ORDER_STATUS:
            raise ValueError(f"TikTok Shop has no order status for {status} (returns are a separate flow)")
        self.tick()
        self.sandbox.set_order_status(order_id, _ORDER_STATUS[status])
        self.tick()

    def listings(self, product_sku: str) -> list[HeldListing]:
        """TikTok has no product-level SKU: a product is held for ``product_sku`` when one of its SKUs'
        seller_sku is ``product_sku`` or starts with ``product_sku-`` (the catalog's variant SKUs)."""
        return [
            HeldListing(
                item_id=product.product_id,
                for_sale=product.status == LISTED,
                variants={sku.seller_sku: HeldVariant(sku.price, sku.total_available) for sku in product.skus.values()},
            )
            for product in self.sandbox.shop_products(SHOP_ID)
            if any(
                s.seller_sku == product_sku or s.seller_sku.startswith(f"{product_sku}-") for s in product.skus.values()
            )
        ]

    def expire_access_token(self) -> None:
        self.sandbox.expire_access_tokens()

    def refreshes(self) -> int:
        return self.sandbox.calls(TOKEN_REFRESH) + self.sandbox.calls(TOKEN_GET)

    def secrets(self) -> set[str]:
        sandbox = self.sandbox
        return {APP_SECRET, *sandbox.access_tokens, *sandbox.refresh_tokens, *sandbox.codes}


def build_harness() -> TikTokHarness:
    return TikTokHarness()
