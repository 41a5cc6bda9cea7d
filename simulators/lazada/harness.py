"""The Lazada simulator as the connector conformance suite drives it (:mod:`simulators.common.harness`).

One app and one seller (:data:`APP_KEY`, :data:`APP_SECRET`, :data:`SELLER_ID`: the demo's first seller),
authorised by skipping the authorize page. Products pass QC at once (delay 0); the suite's tiny fake JPEGs
are accepted (no minimum size in pixels) and any brand id is (the connector's "No Brand" id is its own
setting). Lazada sets prices and stock in the same call (``price_quantity/update``), so the PRICE and
STOCK operations both aim at it; it takes at most :data:`BATCH_LIMIT` SKUs, on the simulator and in the
account's settings alike, so a case needs a handful of variants to split a batch. Throttling answers HTTP
429 here (the simulator's default is Lazada's HTTP 200 with ``ApiCallLimit``), as the suite's rate-limit
case expects of every marketplace.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from core.ports import OrderStatus, Tokens
from simulators.common.faults import ManualClock
from simulators.common.harness import HeldListing, HeldVariant, Operation, SimulatorHarness, Target
from simulators.lazada.config import LazadaConfig
from simulators.lazada.fleet import DEMO_APP_KEY, DEMO_APP_SECRET, DEMO_SELLERS
from simulators.lazada.records import ACTIVE
from simulators.lazada.sandbox import BASE_URL, PRICE_QUANTITY, REST, TOKEN_CREATE, TOKEN_REFRESH, LazadaSandbox

__all__ = ["APP_KEY", "APP_SECRET", "BATCH_LIMIT", "CATEGORY_ID", "SELLER_ID", "LazadaHarness", "build_harness"]

APP_KEY = DEMO_APP_KEY
APP_SECRET = DEMO_APP_SECRET
SELLER = DEMO_SELLERS[0]
SELLER_ID = SELLER.seller_id
BATCH_LIMIT = 4
CATEGORY_ID = "10000101"  # Gạo: a leaf whose only mandatory attributes are name and brand_id
_TARGETS = {
    Operation.CREATE: Target("POST", f"{REST}/product/create"),
    Operation.PRICE: Target("POST", f"{REST}{PRICE_QUANTITY}"),
    Operation.STOCK: Target("POST", f"{REST}{PRICE_QUANTITY}"),
}
_ORDER_STATUS = {
    OrderStatus.PENDING: "unpaid",
    OrderStatus.READY: "packed",
    OrderStatus.SHIPPED: "shipped",
    OrderStatus.COMPLETED: "delivered",
    OrderStatus.CANCELLED: "canceled",
    OrderStatus.RETURNED: "returned",
}
# No real waiting: tiny backoffs and a rate budget far above what a case sends.
_RETRY = {"base_delay_s": 0.001, "max_delay_s": 0.005, "rate_limited_wait_s": 0.001, "max_total_wait_s": 5}
_RATE = {"account_per_second": 10000, "account_burst": 100, "partner_per_second": 10000, "partner_burst": 100}


class LazadaHarness(SimulatorHarness):
    channel = "lazada"
    category_id = CATEGORY_ID
    batch_limit = BATCH_LIMIT

    def __init__(self) -> None:
        clock = ManualClock(time.time())
        config = LazadaConfig(
            apps={APP_KEY: APP_SECRET},
            sellers=[SELLER],
            price_quantity_batch=BATCH_LIMIT,
            timeout_batch=None,
            qc_delay_s=0,
            image_px=(0, 5000),
            check_brand=False,
            throttle_http_status=429,
        )
        self.sandbox = LazadaSandbox(config, clock=clock)
        super().__init__(BASE_URL, self.sandbox.transport(), self.sandbox.faults, self.sandbox.log, clock, _TARGETS)

    def environment(self) -> Mapping[str, str]:
        return {"CHOSYNC_LAZADA_APP_SECRET": APP_SECRET}

    def account_settings(self) -> dict[str, Any]:
        return {
            "base_url": BASE_URL,
            "auth_base_url": BASE_URL,
            "app_key": APP_KEY,
            "seller_id": SELLER_ID,
            "limits": {"price_quantity_batch": BATCH_LIMIT},
            "retry": dict(_RETRY),
            "rate": dict(_RATE),
            "http": {"timeout_s": 2.0},
        }

    def authorize(self) -> Tokens:
        answer = self.sandbox.grant_tokens(SELLER_ID)
        now = self.now()
        return Tokens(
            access_token=answer["access_token"],
            refresh_token=answer["refresh_token"],
            access_expires_at=now + timedelta(seconds=answer["expires_in"]),
            refresh_expires_at=now + timedelta(seconds=answer["refresh_expires_in"]),
        )

    # -- the marketplace's side --------------------------------------------------------------------------

    def place_order(self, lines: Sequence[tuple[str, int]]) -> str:
        self.tick()
        order_id = self.sandbox.place_order(SELLER_ID, lines).order_id
        self.tick()
        return str(order_id)

    def move_order(self, order_id: str, status: OrderStatus) -> None:
        self.tick()
        self.sandbox.set_order_status(int(order_id), _ORDER_STATUS[status])
        self.tick()

    def listings(self, product_sku: str) -> list[HeldListing]:
        """Lazada has no product-level SKU: an item is held for ``product_sku`` when one of its SKUs'
        SellerSku is ``product_sku`` or starts with ``product_sku-`` (the catalog's variant SKUs)."""
        return [
            HeldListing(
                item_id=str(product.item_id),
                for_sale=product.status == ACTIVE,
                variants={s.seller_sku: HeldVariant(s.price, s.available) for s in product.live_skus()},
            )
            for product in self.sandbox.seller_products(SELLER_ID)
            if any(
                s.seller_sku == product_sku or s.seller_sku.startswith(f"{product_sku}-") for s in product.live_skus()
            )
        ]

    def expire_access_token(self) -> None:
        self.sandbox.expire_access_tokens()

    def refreshes(self) -> int:
        return self.sandbox.calls(f"{REST}{TOKEN_REFRESH}") + self.sandbox.calls(f"{REST}{TOKEN_CREATE}")

    def secrets(self) -> set[str]:
        sandbox = self.sandbox
        return {APP_SECRET, *sandbox.access_tokens, *sandbox.refresh_tokens, *sandbox.codes}


def build_harness() -> LazadaHarness:
    return LazadaHarness()
