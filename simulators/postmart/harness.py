"""The Postmart simulator as the connector conformance suite drives it (:mod:`simulators.common.harness`).

One merchant (:data:`USERNAME`, :data:`PASSWORD`: the test credentials every test uses) on a sandbox built
from the shipped toml, except that price, stock and state calls take at most :data:`BATCH_LIMIT` entries,
on the sandbox and in the account's settings alike, so a case needs a handful of variants to split a
batch. The connector signs in by itself (username and password): a "refresh" is a new sign-in.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.postmart.config import load_postmart_contract
from core.ports import OrderStatus, Tokens
from simulators.common.faults import ManualClock
from simulators.common.harness import HeldListing, HeldVariant, Operation, SimulatorHarness, Target
from simulators.postmart.sandbox import BASE_URL, DEMO_PASSWORD, DEMO_USERNAME, PostmartSandbox

__all__ = ["BATCH_LIMIT", "PASSWORD", "USERNAME", "PostmartHarness", "build_harness"]

USERNAME = DEMO_USERNAME
PASSWORD = DEMO_PASSWORD
BATCH_LIMIT = 4
CATEGORY_ID = "7821"  # Gạo - Ngũ cốc
# The sandbox's order states, as ShopNC numbers them (simulators.postmart.state); Postmart has no "returned".
_ORDER_STATE = {
    OrderStatus.CANCELLED: 0,
    OrderStatus.PENDING: 10,
    OrderStatus.READY: 20,
    OrderStatus.SHIPPED: 30,
    OrderStatus.COMPLETED: 40,
}
# No real waiting: tiny backoffs, a rate budget far above what a case sends.
_FAST: dict[str, Any] = {
    "retry": {"base_delay_s": 0.001, "max_delay_s": 0.005, "rate_limited_wait_s": 0.001, "max_total_wait_s": 5},
    "rate": {"account_per_second": 10000, "account_burst": 100},
    "http": {"timeout_s": 2.0},
}


class PostmartHarness(SimulatorHarness):
    channel = "postmart"
    category_id = CATEGORY_ID
    batch_limit = BATCH_LIMIT

    def __init__(self) -> None:
        clock = ManualClock(time.time())
        contract = load_postmart_contract(limits={"batch_max": BATCH_LIMIT})
        self.sandbox = PostmartSandbox(contract, clock=clock)
        self.sandbox.add_merchant(USERNAME, PASSWORD)

        def target(endpoint: str) -> Target:
            return Target(getattr(contract.endpoints, endpoint).method, self.sandbox.path_of(endpoint))

        targets = {
            Operation.CREATE: target("product_create"),
            Operation.PRICE: target("product_price"),
            Operation.STOCK: target("product_stock"),
        }
        super().__init__(BASE_URL, self.sandbox.transport(), self.sandbox.faults, self.sandbox.log, clock, targets)

    def environment(self) -> Mapping[str, str]:
        return {self.sandbox.contract.auth.password_env: PASSWORD}

    def account_settings(self) -> dict[str, Any]:
        return {"base_url": BASE_URL, "username": USERNAME, "limits": {"batch_max": BATCH_LIMIT}, **_FAST}

    def authorize(self) -> Tokens | None:
        return None  # the connector signs in with the password on its first call

    def place_order(self, lines: Sequence[tuple[str, int]]) -> str:
        self.tick()
        order_sn = self.sandbox.place_order(USERNAME, lines).order_sn
        self.tick()
        return order_sn

    def move_order(self, order_id: str, status: OrderStatus) -> None:
        if status not in _ORDER_STATE:
            raise ValueError(f"the Postmart sandbox has no order state for {status}")
        self.tick()
        self.sandbox.set_order_state(order_id, _ORDER_STATE[status])
        self.tick()

    def listings(self, product_sku: str) -> list[HeldListing]:
        on_sale = self.sandbox.contract.listing.on_value
        return [
            HeldListing(
                item_id=str(product.spu_id),
                for_sale=product.state == on_sale,
                variants={sku.serial: HeldVariant(sku.price, sku.stock) for sku in product.skus},
            )
            for product in self.sandbox.live_products(USERNAME)
            if product.serial == product_sku
        ]

    def expire_access_token(self) -> None:
        self.sandbox.expire_tokens()

    def refreshes(self) -> int:
        return self.sandbox.logins

    def secrets(self) -> set[str]:
        return {PASSWORD, *self.sandbox.merchants.values(), *self.sandbox.tokens}


def build_harness() -> PostmartHarness:
    return PostmartHarness()
