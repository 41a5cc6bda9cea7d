"""The Postmart simulator in a fleet (:mod:`simulators.common.fleet`): the demo merchant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.common.fleet import Member, restore_books
from simulators.postmart.sandbox import DEMO_PASSWORD, DEMO_USERNAME, PostmartSandbox

__all__ = ["BOOKS", "accounts", "fresh", "restore"]

# The back office's books; everything else on the object is rebuilt when it is brought back.
BOOKS = ("token_ttl_s", "categories", "areas", "merchants", "api_keys", "products", "orders", "images", "tokens",
         "logins", "decimal_prices", "rate_limit", "_spu_ids", "_sku_ids", "_rec_ids", "_order_seq")  # fmt: skip


def fresh() -> dict[str, Member]:
    postmart = PostmartSandbox()
    postmart.add_merchant(DEMO_USERNAME, DEMO_PASSWORD)
    return {"postmart": postmart}


def restore(channel: str, books: Mapping[str, Any]) -> Member:
    postmart = PostmartSandbox()
    restore_books(postmart, books)
    return postmart


def accounts() -> str:
    return f"Postmart: merchant {DEMO_USERNAME}"
