"""The Shopee simulator as the connector conformance suite drives it (:mod:`simulators.common.harness`).

One partner app and one shop (the test credentials of test-vectors.md, :data:`PARTNER_ID`,
:data:`PARTNER_KEY`, :data:`SHOP_ID`: the ones every test uses), authorised by skipping the consent page.
Price, stock and unlist calls take at most :data:`BATCH_LIMIT` entries, on the sandbox and in the
account's settings alike, so a case needs a handful of variants to split a batch.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from core.ports import OrderStatus, Tokens
from simulators.common.faults import ManualClock
from simulators.common.harness import HeldListing, HeldVariant, Operation, SimulatorHarness, Target
from simulators.shopee.config import ItemLimits, ShopeeConfig
from simulators.shopee.sandbox import BASE_URL, DEMO_PARTNER_ID, DEMO_PARTNER_KEY, DEMO_SHOP_ID, ShopeeSandbox

__all__ = ["BATCH_LIMIT", "PARTNER_ID", "PARTNER_KEY", "SHOP_ID", "ShopeeHarness", "build_harness"]

PARTNER_ID = DEMO_PARTNER_ID
PARTNER_KEY = DEMO_PARTNER_KEY
SHOP_ID = DEMO_SHOP_ID
BATCH_LIMIT = 4
LOGISTICS_ID = 50021
CATEGORY_ID = "100012"  # Gạo và ngũ cốc, a leaf of the sandbox's tree
_API = "/api/v2/"
_ORDER_STATUS = {
    OrderStatus.PENDING: "UNPAID",
    OrderStatus.READY: "READY_TO_SHIP",
    OrderStatus.SHIPPED: "SHIPPED",
    OrderStatus.COMPLETED: "COMPLETED",
    OrderStatus.CANCELLED: "CANCELLED",
    OrderStatus.RETURNED: "TO_RETURN",
}
# No real waiting: tiny backoffs, no pause before variations, a rate budget far above what a case sends.
_FAST: dict[str, Any] = {
    "retry": {"base_delay_s": 0.001, "max_delay_s": 0.005, "rate_limited_wait_s": 0.001, "max_total_wait_s": 5},
    "listing": {"tier_variation_delay_s": 0},
    "rate": {"account_per_second": 10000, "account_burst": 100, "partner_per_second": 10000, "partner_burst": 100},
    "http": {"timeout_s": 2.0},
}


class ShopeeHarness(SimulatorHarness):
    channel = "shopee"
    category_id = CATEGORY_ID
    batch_limit = BATCH_LIMIT

    def __init__(self) -> None:
        clock = ManualClock(time.time())
        limits = ItemLimits(batch_size=BATCH_LIMIT)
        self.sandbox = ShopeeSandbox(
            ShopeeConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[SHOP_ID], limits=limits), clock=clock
        )
        targets = {
            Operation.CREATE: Target("POST", f"{_API}product/add_item"),
            Operation.PRICE: Target("POST", f"{_API}product/update_price"),
            Operation.STOCK: Target("POST", f"{_API}product/update_stock"),
        }
        super().__init__(BASE_URL, self.sandbox.transport(), self.sandbox.faults, self.sandbox.log, clock, targets)

    def environment(self) -> Mapping[str, str]:
        return {"CHOSYNC_SHOPEE_PARTNER_KEY": PARTNER_KEY}

    def account_settings(self) -> dict[str, Any]:
        limits = {"batch_max": BATCH_LIMIT, "item_base_info_batch": BATCH_LIMIT}
        return {"base_url": BASE_URL, "partner_id": PARTNER_ID, "shop_id": SHOP_ID,
                "logistics": [{"logistic_id": LOGISTICS_ID, "enabled": True}], "limits": limits,
                "orders": {"detail_batch": BATCH_LIMIT}, **_FAST}  # fmt: skip

    def authorize(self) -> Tokens:
        access, refresh = self.sandbox.authorize_shop(SHOP_ID)
        now, config = self.now(), self.sandbox.config
        return Tokens(access_token=access, refresh_token=refresh,
                      access_expires_at=now + timedelta(seconds=config.access_token_lifetime),
                      refresh_expires_at=now + timedelta(seconds=config.refresh_token_lifetime))  # fmt: skip

    def place_order(self, lines: Sequence[tuple[str, int]]) -> str:
        wanted = []
        for sku, quantity in lines:
            [(item, model)] = self.sandbox.models_by_sku(sku, shop_id=SHOP_ID)
            wanted.append((item.item_id, model.model_id, quantity))
        self.tick()
        order_sn = self.sandbox.place_order(SHOP_ID, wanted).order_sn
        self.tick()
        return order_sn

    def move_order(self, order_id: str, status: OrderStatus) -> None:
        self.tick()
        self.sandbox.set_order_status(order_id, _ORDER_STATUS[status])
        self.tick()

    def listings(self, product_sku: str) -> list[HeldListing]:
        return [
            HeldListing(
                item_id=str(item.item_id),
                for_sale=item.item_status == "NORMAL",
                variants={
                    (model.model_sku if item.has_model else item.item_sku): HeldVariant(
                        model.original_price, model.seller_stock
                    )
                    for model in item.models.values()
                },
            )
            for item in self.sandbox.items_by_sku(product_sku, shop_id=SHOP_ID)
        ]

    def expire_access_token(self) -> None:
        for token in self.sandbox.access_tokens.values():
            token.expires_at = self.clock()

    def refreshes(self) -> int:
        return self.sandbox.calls(f"{_API}auth/access_token/get")

    def secrets(self) -> set[str]:
        sandbox = self.sandbox
        return {PARTNER_KEY, *sandbox.access_tokens, *sandbox.refresh_tokens, *sandbox.codes}


def build_harness() -> ShopeeHarness:
    return ShopeeHarness()
