"""The Shopee simulator in a fleet (:mod:`simulators.common.fleet`): the demo partner and shop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.common.fleet import Member, restore_books
from simulators.shopee.config import ShopeeConfig
from simulators.shopee.sandbox import DEMO_PARTNER_ID, DEMO_PARTNER_KEY, DEMO_SHOP_ID, ShopeeSandbox

__all__ = ["BOOKS", "accounts", "fresh", "restore"]

# The back office's books; everything else on the object is rebuilt when it is brought back.
BOOKS = ("config", "partners", "shops", "images", "items", "orders", "codes", "access_tokens", "refresh_tokens",
         "_item_ids", "_model_ids", "_order_seq", "_image_seq")  # fmt: skip


def fresh() -> dict[str, Member]:
    return {"shopee": ShopeeSandbox(ShopeeConfig(partners={DEMO_PARTNER_ID: DEMO_PARTNER_KEY}, shops=[DEMO_SHOP_ID]))}


def restore(channel: str, books: Mapping[str, Any]) -> Member:
    sandbox = ShopeeSandbox(books["config"])
    restore_books(sandbox, books)
    return sandbox


def accounts() -> str:
    return f"Shopee: partner {DEMO_PARTNER_ID}, shop {DEMO_SHOP_ID}"
