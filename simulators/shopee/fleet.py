"""The Shopee simulator in a fleet (:mod:`simulators.common.fleet`), and served on its own, tuned by
``chosync sandbox serve shopee`` (a rate limit, short token lifetimes, faults by chance)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simulators.common.fleet import Member, restored
from simulators.common.standalone import Tuning, announce_serving, lifetimes
from simulators.common.standalone import tuned as tuned_sandbox
from simulators.shopee.config import ShopeeConfig
from simulators.shopee.sandbox import DEMO_PARTNER_ID, DEMO_PARTNER_KEY, DEMO_SHOP_ID, ShopeeSandbox
from simulators.shopee.sandbox import serve as serve_sandbox

__all__ = ["BOOKS", "CHANNELS", "accounts", "fresh", "restore", "serve", "tuned"]

CHANNELS = ("shopee",)

# The back office's books; everything else on the object is rebuilt when it is brought back.
BOOKS = ("config", "partners", "shops", "images", "items", "orders", "codes", "access_tokens", "refresh_tokens",
         "_item_ids", "_model_ids", "_order_seq", "_image_seq")  # fmt: skip


def fresh() -> dict[str, Member]:
    return {"shopee": ShopeeSandbox(ShopeeConfig(partners={DEMO_PARTNER_ID: DEMO_PARTNER_KEY}, shops=[DEMO_SHOP_ID]))}


def restore(channel: str, books: Mapping[str, Any]) -> Member:
    return restored(ShopeeSandbox, books)


def accounts() -> str:
    return f"Shopee: partner {DEMO_PARTNER_ID}, shop {DEMO_SHOP_ID}"


def serve(channel: str, port: int, host: str, tuning: Tuning, announce: Callable[[str], None]) -> None:
    sandbox = tuned(tuning)
    announce_serving(announce, f"shopee sandbox on http://{host}:{port} (Ctrl-C to stop)", _describe(sandbox), tuning)
    serve_sandbox(port, host, sandbox=sandbox)


def tuned(tuning: Tuning, *, seed: int = 0) -> ShopeeSandbox:
    """A fresh Shopee sandbox with the demo partner and shop, misbehaving as ``tuning`` says."""
    config = ShopeeConfig(partners={DEMO_PARTNER_ID: DEMO_PARTNER_KEY}, shops=[DEMO_SHOP_ID])
    return tuned_sandbox(ShopeeSandbox, config, tuning, rate_field="rate_limit_per_partner", seed=seed)


def _describe(sandbox: ShopeeSandbox) -> list[str]:
    config = sandbox.config
    [(partner_id, partner_key)] = config.partners.items()
    lines = [f"partner {partner_id}, key {partner_key} (a public test key), shop {config.shops[0]}"]
    if config.rate_limit_per_partner is not None:
        lines.append(f"rate limit {config.rate_limit_per_partner:g} requests/s per partner ({config.rate_limit_error})")
    lines.append(lifetimes(config.access_token_lifetime, config.refresh_token_lifetime))
    return lines
