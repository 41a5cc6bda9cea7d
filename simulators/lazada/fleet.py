"""The Lazada simulator in a fleet (:mod:`simulators.common.fleet`), and served on its own, tuned by
``chosync sandbox serve lazada`` (a rate limit, short token lifetimes, faults by chance).

The demo app (:data:`DEMO_APP_KEY` / :data:`DEMO_APP_SECRET`: public test values, never a real app's) and
:data:`DEMO_SELLERS`, four Vietnamese sellers with their short codes, so the demo can connect some sellers
and keep one spare. Served, the simulator limits each API to :data:`SERVED_RATE_LIMIT` calls a second
per seller (Lazada's inventory APIs allow 50), answering ``ApiCallLimit`` beyond it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simulators.common.fleet import Member, restored
from simulators.common.standalone import Tuning, announce_serving, lifetimes
from simulators.common.standalone import tuned as tuned_sandbox
from simulators.lazada.config import LazadaConfig, SellerSeed
from simulators.lazada.sandbox import LazadaSandbox
from simulators.lazada.sandbox import serve as serve_sandbox

__all__ = [
    "BOOKS",
    "CHANNELS",
    "DEMO_APP_KEY",
    "DEMO_APP_SECRET",
    "DEMO_SELLERS",
    "SERVED_RATE_LIMIT",
    "accounts",
    "demo_config",
    "fresh",
    "restore",
    "serve",
    "tuned",
]

CHANNELS = ("lazada",)
DEMO_APP_KEY = "120458"
DEMO_APP_SECRET = "lazada_demo_app_secret"  # noqa: S105 (a public test value of the simulator, not a secret)
DEMO_SELLERS = (
    SellerSeed("200100001", "VN1DANTIEN", "HTX Dân Tiến Lazada"),
    SellerSeed("200100002", "VN2DUABT", "Dừa Bến Tre Official Store"),
    SellerSeed("200100003", "VN3TRAHG", "Trà Shan Tuyết Hà Giang"),
    SellerSeed("200100004", "VN4GOMBT", "Gốm Bát Tràng"),
)
SERVED_RATE_LIMIT = 50.0  # calls a second per API and seller (DOC for the inventory APIs)

# The back office's books; everything else on the object is rebuilt when it is brought back.
BOOKS = (
    "config",
    "apps",
    "sellers",
    "images",
    "products",
    "orders",
    "codes",
    "access_tokens",
    "refresh_tokens",
    "_item_ids",
    "_sku_ids",
    "_order_ids",
    "_order_item_ids",
    "_image_seq",
)


def demo_config(**overrides: Any) -> LazadaConfig:
    settings: dict[str, Any] = {
        "apps": {DEMO_APP_KEY: DEMO_APP_SECRET},
        "sellers": list(DEMO_SELLERS),
        "rate_limit_per_api": SERVED_RATE_LIMIT,
    } | overrides
    return LazadaConfig(**settings)


def fresh() -> dict[str, Member]:
    return {"lazada": LazadaSandbox(demo_config())}


def restore(channel: str, books: Mapping[str, Any]) -> Member:
    return restored(LazadaSandbox, books)


def accounts() -> str:
    return f"Lazada: app {DEMO_APP_KEY}, sellers {', '.join(s.seller_id for s in DEMO_SELLERS)}"


def serve(channel: str, port: int, host: str, tuning: Tuning, announce: Callable[[str], None]) -> None:
    sandbox = tuned(tuning)
    config = sandbox.config
    details = [
        f"app {DEMO_APP_KEY}, secret {DEMO_APP_SECRET} (a public test value)",
        *(f"seller {s.seller_id} ({s.name}), short code {s.short_code}" for s in DEMO_SELLERS),
        f"rate limit {config.rate_limit_per_api:g} requests/s per API and seller (ApiCallLimit)",
        lifetimes(config.access_token_lifetime, config.refresh_token_lifetime, in_days=True),
    ]
    headline = f"lazada sandbox on http://{host}:{port}/rest (Ctrl-C to stop; base_url and auth_base_url both)"
    announce_serving(announce, headline, details, tuning)
    serve_sandbox(port, host, sandbox=sandbox)


def tuned(tuning: Tuning, *, seed: int = 0) -> LazadaSandbox:
    """A fresh Lazada simulator with the demo app and sellers, misbehaving as ``tuning`` says."""
    return tuned_sandbox(LazadaSandbox, demo_config(), tuning, rate_field="rate_limit_per_api", seed=seed)
