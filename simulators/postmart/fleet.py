"""The Postmart simulator in a fleet (:mod:`simulators.common.fleet`): the demo merchant."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simulators.common.fleet import Member, restore_books
from simulators.common.standalone import Tuning, refuse_tuning
from simulators.postmart.sandbox import DEMO_PASSWORD, DEMO_USERNAME, PostmartSandbox
from simulators.postmart.sandbox import serve as serve_sandbox

__all__ = ["BOOKS", "CHANNELS", "accounts", "fresh", "restore", "serve"]

CHANNELS = ("postmart",)

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


def serve(channel: str, port: int, host: str, tuning: Tuning, announce: Callable[[str], None]) -> None:
    refuse_tuning(channel, tuning)
    announce(f"{channel} sandbox on http://{host}:{port} (Ctrl-C to stop)")
    serve_sandbox(port, host)
