"""The TikTok Shop simulator in a fleet (:mod:`simulators.common.fleet`), and served on its own, tuned by
``chosync sandbox serve tiktok`` (a rate limit, short token lifetimes, faults by chance).

The demo app (:data:`DEMO_APP_KEY` / :data:`DEMO_APP_SECRET`: public test values, never a real app's) and
:data:`DEMO_SHOPS`, four Vietnamese shops with their ciphers and warehouses, so the demo can connect
three sellers and keep one shop spare."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simulators.common.fleet import Member, restored
from simulators.common.standalone import Tuning, announce_serving, lifetimes
from simulators.common.standalone import tuned as tuned_sandbox
from simulators.tiktok.config import ShopSeed, TikTokConfig
from simulators.tiktok.sandbox import TikTokSandbox
from simulators.tiktok.sandbox import serve as serve_sandbox

__all__ = [
    "BOOKS",
    "CHANNELS",
    "DEMO_APP_KEY",
    "DEMO_APP_SECRET",
    "DEMO_SHOPS",
    "SERVED_RATE_LIMIT",
    "accounts",
    "demo_config",
    "fresh",
    "restore",
    "serve",
    "tuned",
]

CHANNELS = ("tiktok",)
DEMO_APP_KEY = "6a1b2c3d4e5f6"
DEMO_APP_SECRET = "tiktok_demo_app_secret"  # noqa: S105 (a public test value of the sandbox, not a secret)
DEMO_SHOPS = (
    ShopSeed("7494726673780148744", "HTX Dân Tiến TikTok", "ROW_dantien01AAAA", ("7068517275539719942",)),
    ShopSeed("7494726673780148745", "Dừa Bến Tre Official", "ROW_dua00002BBBB", ("7068517275539719943",)),
    ShopSeed(
        "7494726673780148746",
        "Trà Shan Tuyết Hà Giang",
        "ROW_tra000003CCCC",
        ("7068517275539719944", "7068517275539719945"),
    ),
    ShopSeed("7494726673780148747", "Gốm Bát Tràng", "ROW_gom000004DDDD", ("7068517275539719946",)),
)
SERVED_RATE_LIMIT = 50.0  # TikTok's documented default QPS per API and shop

# The back office's books; everything else on the object is rebuilt when it is brought back.
BOOKS = (
    "config",
    "apps",
    "shops",
    "images",
    "products",
    "orders",
    "codes",
    "access_tokens",
    "refresh_tokens",
    "created",
    "_product_ids",
    "_sku_ids",
    "_order_ids",
    "_line_ids",
    "_image_seq",
)


def demo_config(**overrides: Any) -> TikTokConfig:
    settings: dict[str, Any] = {
        "apps": {DEMO_APP_KEY: DEMO_APP_SECRET},
        "shops": list(DEMO_SHOPS),
        "rate_limit_per_api": SERVED_RATE_LIMIT,
    } | overrides
    return TikTokConfig(**settings)


def fresh() -> dict[str, Member]:
    return {"tiktok": TikTokSandbox(demo_config())}


def restore(channel: str, books: Mapping[str, Any]) -> Member:
    return restored(TikTokSandbox, books)


def accounts() -> str:
    return f"TikTok Shop: app {DEMO_APP_KEY}, shops {', '.join(s.shop_id for s in DEMO_SHOPS)}"


def serve(channel: str, port: int, host: str, tuning: Tuning, announce: Callable[[str], None]) -> None:
    sandbox = tuned(tuning)
    config = sandbox.config
    details = [
        f"app {DEMO_APP_KEY}, secret {DEMO_APP_SECRET} (a public test value)",
        *(f"shop {s.shop_id} ({s.name}), cipher {s.cipher}, warehouse {s.warehouse_ids[0]}" for s in DEMO_SHOPS),
        f"rate limit {config.rate_limit_per_api:g} requests/s per API and shop",
        lifetimes(config.access_token_lifetime, config.refresh_token_lifetime),
    ]
    announce_serving(announce, f"tiktok sandbox on http://{host}:{port} (Ctrl-C to stop)", details, tuning)
    serve_sandbox(port, host, sandbox=sandbox)


def tuned(tuning: Tuning, *, seed: int = 0) -> TikTokSandbox:
    """A fresh TikTok sandbox with the demo app and shops, misbehaving as ``tuning`` says."""
    return tuned_sandbox(TikTokSandbox, demo_config(), tuning, rate_field="rate_limit_per_api", seed=seed)
