"""`make demo`: a province's catalog on one machine, with every marketplace simulated on loopback.

The demo starts clean (`.demo/`), serves the marketplace sandboxes as real HTTP servers on loopback
ports (with latency, rate limits and a few injected faults, so retries show), and then runs the very
commands an operator would type — printed as it goes — to register the Tra Vinh producers, import their
catalog, connect their shops, sync, take orders, and reconcile. Simulated buyers and a seller editing by
hand act directly on the sandboxes' back offices, as real ones would act on the real marketplaces.
``CHOSYNC_DEMO_FAST=1`` (used by the test) skips the latency and the pauses.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import shutil
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from rich.console import Console

from connectors.sandbox.faults import ANY_PATH, Fault
from connectors.sandbox.serving import serve_in_thread
from connectors.sandbox.shopee import DEMO_PARTNER_ID, DEMO_PARTNER_KEY, ShopeeSandbox
from connectors.sandbox.shopee_config import Category, ShopeeConfig, default_categories
from core.cli import run
from core.settings import PROJECT_ROOT

__all__ = ["main"]

DEMO_DIR = Path(".demo")
DEMO_CONFIG = PROJECT_ROOT / "config" / "demo"
FIRST_SHOP = 30_000_001
SOLD_OUT_SKU = "DUASAP-L1"  # 3 on hand: buyers take all three
# Shopee's rules on health claims: a listing naming a "thuốc" (medicine) is refused for review by a person.
REFUSED_WORD = "thuốc"
DEMO_CATEGORIES = (
    *default_categories(),
    Category(100015, 100001, "Trái cây tươi", "Fresh fruit"),
    Category(100016, 100001, "Bánh kẹo", "Snacks & sweets"),
    Category(100017, 100001, "Hải sản khô", "Dried seafood"),
    Category(100018, 100001, "Thực phẩm chế biến", "Processed food"),
)


@dataclass
class Demo:
    console: Console
    fast: bool
    shopee: ShopeeSandbox
    shopee_url: str = ""

    def say(self, text: str) -> None:
        self.console.print(f"\n[bold]{text}[/]", highlight=False)

    def chosync(self, *argv: str, expect: int | None = 0) -> int:
        shown = " ".join(shlex.quote(a) for a in argv)
        self.console.print(f"[bold cyan]$ chosync {shown}[/]", highlight=False)
        code = run(list(argv))
        if expect is not None and code != expect:
            self.console.print(f"[bold red]demo step failed with exit code {code}[/]")
            sys.exit(code or 1)
        return code

    def pause(self, seconds: float) -> None:
        # Orders are stamped by the second: let the marketplace's clock move past them before pulling.
        time.sleep(0.0 if self.fast else seconds)


def _sellers() -> list[dict[str, str]]:
    with (DEMO_CONFIG / "sellers.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _shopee(fast: bool, shops: list[int]) -> ShopeeSandbox:
    config = ShopeeConfig(
        partners={DEMO_PARTNER_ID: DEMO_PARTNER_KEY},
        shops=shops,
        categories=DEMO_CATEGORIES,
        banned_words=(REFUSED_WORD,),
        rate_limit_per_partner=None if fast else 40.0,
        rate_limit_burst=None if fast else 10,
    )
    sandbox = ShopeeSandbox(config, seed=2026)
    if not fast:
        sandbox.faults.add_chance(ANY_PATH, Fault.latency(0.03), 1.0)
        sandbox.faults.add_chance(ANY_PATH, Fault.server_error(502), 0.02)
        sandbox.faults.add_chance(ANY_PATH, Fault.rate_limited(), 0.01)
    return sandbox


def _connect_shopee(demo: Demo, seller: str, shop_id: int) -> None:
    settings = {"tier_variation_delay_s": 0 if demo.fast else 0.2}
    demo.chosync(
        "channels", "add", "shopee", "--seller", seller, "--base-url", demo.shopee_url,
        "--partner-id", str(DEMO_PARTNER_ID), "--shop-id", str(shop_id), "--logistics-id", "50021",
        "--markup", "3", "--round-to", "1000", "--set", f"listing={json.dumps(settings)}",
    )  # fmt: skip
    run(["channels", "connect", "shopee", "--seller", seller])  # prints the link; the demo "opens" it
    link = _authorisation_link(seller)
    answer = httpx.get(f"{link}&sandbox_shop_id={shop_id}", follow_redirects=False)
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    demo.chosync("channels", "connect", "shopee", "--seller", seller, "--code", query["code"][0],
                 "--shop-id", query["shop_id"][0])  # fmt: skip


def _authorisation_link(seller: str) -> str:
    from core.channels import find_account
    from core.db import open_store
    from core.sync.connect import build_connector

    store = open_store(os.environ["CHOSYNC_DATABASE_URL"])
    account = find_account(store, seller=seller, channel="shopee")

    async def link() -> str:
        async with httpx.AsyncClient() as http:
            connector: Any = build_connector(store, account, http)
            return str(connector.authorization_url("https://localhost/chosync/authorized"))

    import asyncio

    try:
        return asyncio.run(link())
    finally:
        store.dispose()


def _model(sandbox: ShopeeSandbox, shop_id: int, variant_sku: str, product_sku: str) -> tuple[int, int]:
    for item, model in sandbox.models_by_sku(variant_sku, shop_id=shop_id):
        return item.item_id, model.model_id
    [item] = sandbox.items_by_sku(product_sku, shop_id=shop_id)
    return item.item_id, 0


def _stock_on_shops(sandbox: ShopeeSandbox, variant_sku: str, product_sku: str) -> list[tuple[int, int]]:
    found = []
    for shop_id in sorted(sandbox.shops):
        try:
            item_id, model_id = _model(sandbox, shop_id, variant_sku, product_sku)
        except ValueError:
            continue
        found.append((shop_id, sandbox.model(item_id, model_id).seller_stock))
    return found


def _buyers(demo: Demo, shops: dict[str, int]) -> None:
    """Buyers order on several shops at once; one product sells out."""
    with (DEMO_CONFIG / "catalog.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    orders = [("CTY-DUACAUKE", SOLD_OUT_SKU, 3), ("HTX-DANTIEN", "GAO-ST25-5KG", 2), ("HKD-HUNGHOA", "BUOI-DX-L1", 4)]
    for seller, sku, quantity in orders:
        product = next(r["product_sku"] for r in rows if r["variant_sku"] == sku)
        item_id, model_id = _model(demo.shopee, shops[seller], sku, product)
        order = demo.shopee.place_order(shops[seller], [(item_id, model_id, quantity)], status="READY_TO_SHIP")
        demo.console.print(f"  a buyer orders {quantity} × {sku} from {seller} on Shopee (order {order.order_sn})")


def main() -> None:
    fast = os.environ.get("CHOSYNC_DEMO_FAST") == "1"
    console = Console()
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    os.environ["CHOSYNC_DATABASE_URL"] = f"sqlite:///{DEMO_DIR / 'chosync.db'}"
    os.environ["CHOSYNC_SHOPEE_PARTNER_KEY"] = DEMO_PARTNER_KEY  # the sandbox's dummy key, never a real one
    os.environ.setdefault("CHOSYNC_LOG_LEVEL", "ERROR")
    sellers = _sellers()
    shops = {s["code"]: FIRST_SHOP + i for i, s in enumerate(sellers)}
    started = time.monotonic()
    with ExitStack() as stack:
        demo = Demo(console, fast, _shopee(fast, list(shops.values())))
        demo.shopee_url = stack.enter_context(serve_in_thread(demo.shopee))
        console.rule("chosync demo: Tra Vinh OCOP producers on their marketplaces")
        demo.say(f"1. Marketplace sandboxes on loopback: Shopee at {demo.shopee_url}")

        demo.say("2. Register the producers, import their catalog, connect their shops")
        demo.chosync("init")
        for seller in sellers:
            demo.chosync("sellers", "add", seller["code"], "--name", seller["name"], "--kind", seller["kind"],
                         "--province", seller["province"])  # fmt: skip
        demo.chosync("catalog", "import", str(DEMO_CONFIG / "catalog.csv"))
        demo.chosync("categories", "map", "shopee", str(DEMO_CONFIG / "shopee-categories.csv"))
        for seller in sellers:
            _connect_shopee(demo, seller["code"], shops[seller["code"]])

        demo.say("3. Plan, then sync everything")
        demo.chosync("plan", "--seller", "HTX-DANTIEN")
        demo.chosync("sync", expect=None)  # one listing is refused by Shopee: exit 1 is expected

        demo.say("4. Buyers order; chosync pulls the orders and the stock moves everywhere")
        _buyers(demo, shops)
        demo.pause(1.2)
        demo.chosync("orders", "pull")
        demo.chosync("sync", expect=None)
        product_sku = "DUA-SAP"
        console.print(
            f"  {SOLD_OUT_SKU} (sold out) on every shop now: {_stock_on_shops(demo.shopee, SOLD_OUT_SKU, product_sku)}"
        )

        demo.say("5. A seller edits a price and a stock figure by hand on Shopee; reconcile finds and fixes it")
        item_id, model_id = _model(demo.shopee, shops["HTX-DANTIEN"], "GAO-ST25-5KG", "GAO-ST25")
        demo.shopee.set_price(item_id, 99_000, model_id)
        demo.shopee.set_stock(item_id, 999, model_id)
        console.print("  the seller sets GAO-ST25-5KG to 99.000 ₫ and 999 units in Shopee's seller centre")
        demo.chosync("reconcile", "--seller", "HTX-DANTIEN")
        demo.say("   ...and the listing Shopee refused waits for a person, with the reason:")
        demo.chosync("failures")

        demo.say("6. Health of every seller × marketplace")
        demo.chosync("status")
    console.rule(f"demo finished in {time.monotonic() - started:.0f} s")
    console.print(
        "The database stays in .demo/chosync.db. Try:\n"
        f"  export CHOSYNC_DATABASE_URL=sqlite:///{DEMO_DIR / 'chosync.db'}\n"
        "  .venv/bin/chosync status\n"
        "  .venv/bin/chosync plan\n"
        "  .venv/bin/chosync sync --full --seller HTX-DANTIEN     (needs the sandboxes running:)\n"
        "  .venv/bin/chosync sandbox serve shopee --port 8701     (in another shell)",
        highlight=False,
    )


if __name__ == "__main__":
    main()
