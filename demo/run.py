"""`make demo`: a province's catalog on one machine, with every marketplace simulated on loopback.

The demo starts clean (`.demo/`), serves the marketplace sandboxes as real HTTP servers on loopback
ports (Shopee, TikTok Shop, Lazada and Postmart with latency, rate limits and a few injected faults, so
retries show; the web seller centres of Voso and the provincial floor), and then runs the very commands
an operator would type — printed as it goes — to register the Tra Vinh producers, import their catalog,
connect each to two to four marketplaces, sync, take orders, and reconcile. Buyers, a seller editing by
hand and a person uploading packs act directly on the sandboxes (:mod:`demo.world`), as real ones would
on the real marketplaces. At the end the sandboxes are saved (``.demo/sandboxes.pickle``) so
``chosync sandbox serve all`` brings them back for the scheduler. ``CHOSYNC_DEMO_FAST=1`` (used by the
test) skips the latency, the faults and the pauses.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from rich.console import Console

from core.cli import run
from core.db import Store, open_store
from demo.world import (
    DEMO_CONFIG,
    POSTMART_PASSWORD,
    DemoSeller,
    demo_fleet,
    demo_sellers,
    fetch_export,
    floor_order,
    lazada_stock,
    postmart_stock,
    shopee_model,
    shopee_stock,
    tiktok_stock,
    upload,
)
from simulators.common.fleet import Fleet, save_fleet, serve_fleet
from simulators.floors.fleet import FLOORS
from simulators.floors.site import SellerCentreSite
from simulators.lazada.fleet import DEMO_APP_KEY as LAZADA_APP_KEY
from simulators.lazada.fleet import DEMO_APP_SECRET as LAZADA_APP_SECRET
from simulators.lazada.sandbox import LazadaSandbox
from simulators.postmart.sandbox import PostmartSandbox
from simulators.shopee.sandbox import DEMO_PARTNER_ID, DEMO_PARTNER_KEY, ShopeeSandbox
from simulators.tiktok.fleet import DEMO_APP_KEY, DEMO_APP_SECRET
from simulators.tiktok.sandbox import TikTokSandbox

__all__ = ["DEMO_DIR", "HAND_EDITED_SKU", "REFUSED_SKU", "SOLD_OUT_PRODUCT", "SOLD_OUT_SELLER", "SOLD_OUT_SKU", "main"]

DEMO_DIR = Path(".demo")
SOLD_OUT_SKU = "DUASAP-L1"  # 3 on hand at CTY-DUACAUKE: a buyer each on Shopee, TikTok Shop and Voso take all 3
SOLD_OUT_PRODUCT = "DUA-SAP"
SOLD_OUT_SELLER = "CTY-DUACAUKE"
HAND_EDITED_SKU = ("HTX-DANTIEN", "GAO-ST25", "GAO-ST25-5KG")  # the seller edits it in Shopee's Seller Centre
REFUSED_SKU = "TRA-THAOMOC"  # "Trà Thuốc Nam": Shopee refuses the word "thuốc" (medicine)


@dataclass
class Demo:
    console: Console
    fast: bool
    fleet: Fleet
    sellers: list[DemoSeller]
    urls: dict[str, str] = field(default_factory=dict)

    def say(self, text: str) -> None:
        self.console.print(f"\n[bold]{text}[/]", highlight=False)

    def note(self, text: str) -> None:
        self.console.print(f"  {text}", highlight=False)

    def chosync(self, *argv: str, expect: int | None = 0) -> int:
        shown = " ".join(shlex.quote(a) for a in argv)
        self.console.print(f"[bold cyan]$ chosync {shown}[/]", highlight=False)
        code = run(list(argv))
        if expect is not None and code != expect:
            self.console.print(f"[bold red]demo step failed with exit code {code}[/]")
            sys.exit(code or 1)
        return code

    def pause(self, seconds: float) -> None:
        # Orders are stamped by the second, and a pull reads up to its own second, exclusive: let the
        # marketplace's clock move past them before pulling (fast: to the next whole second).
        time.sleep(1.02 - time.time() % 1 if self.fast else seconds)

    def seller(self, code: str) -> DemoSeller:
        return next(s for s in self.sellers if s.code == code)

    def on(self, channel: str) -> Iterator[DemoSeller]:
        return (s for s in self.sellers if channel in s.marketplaces)

    def folder(self, seller: str, channel: str) -> Path:
        return DEMO_DIR / "assisted" / seller / channel


def _store() -> Store:
    return open_store(os.environ["CHOSYNC_DATABASE_URL"])


# -- step 2: connect every seller to its marketplaces, with the operator's commands ----------------------


def _connect(demo: Demo, seller: DemoSeller) -> None:
    for channel in seller.marketplaces:
        if channel == "shopee":
            _connect_shopee(demo, seller)
        elif channel == "tiktok":
            _connect_tiktok(demo, seller)
        elif channel == "lazada":
            _connect_lazada(demo, seller)
        elif channel == "postmart":
            demo.chosync("channels", "add", "postmart", "--seller", seller.code, "--base-url", demo.urls["postmart"],
                         "--set", f"username={seller.login}")  # fmt: skip
        else:
            demo.chosync("channels", "add", channel, "--seller", seller.code,
                         "--set", f"folder={demo.folder(seller.code, channel)}")  # fmt: skip


def _connect_shopee(demo: Demo, seller: DemoSeller) -> None:
    settings = '{"tier_variation_delay_s": %s}' % (0 if demo.fast else 0.2)
    demo.chosync(
        "channels", "add", "shopee", "--seller", seller.code, "--base-url", demo.urls["shopee"],
        "--partner-id", str(DEMO_PARTNER_ID), "--shop-id", str(seller.shop_id), "--logistics-id", "50021",
        "--markup", "3", "--round-to", "1000", "--set", f"listing={settings}",
    )  # fmt: skip
    run(["channels", "connect", "shopee", "--seller", seller.code])  # prints the link; the seller "opens" it
    answer = httpx.get(f"{_authorisation_link(seller.code)}&sandbox_shop_id={seller.shop_id}", follow_redirects=False)
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    demo.chosync("channels", "connect", "shopee", "--seller", seller.code, "--code", query["code"][0],
                 "--shop-id", query["shop_id"][0])  # fmt: skip


def _connect_tiktok(demo: Demo, seller: DemoSeller) -> None:
    url = demo.urls["tiktok"]
    demo.chosync("channels", "add", "tiktok", "--seller", seller.code, "--base-url", url, "--markup", "3",
                 "--round-to", "1000", "--set", f"auth_base_url={url}", "--set", f"app_key={DEMO_APP_KEY}",
                 "--set", "service_id=7312894561")  # fmt: skip
    run(["channels", "connect", "tiktok", "--seller", seller.code])  # prints the link; the seller "opens" it
    code = demo.fleet.get("tiktok", TikTokSandbox).authorize_shop(seller.tiktok_shop)  # and TikTok redirects
    demo.chosync("channels", "connect", "tiktok", "--seller", seller.code, "--code", code)


def _connect_lazada(demo: Demo, seller: DemoSeller) -> None:
    url = f"{demo.urls['lazada']}/rest"
    demo.chosync("channels", "add", "lazada", "--seller", seller.code, "--base-url", url, "--markup", "3",
                 "--round-to", "1000", "--set", f"auth_base_url={url}", "--set", f"app_key={LAZADA_APP_KEY}",
                 "--set", "redirect_uri=https://localhost/chosync/authorized")  # fmt: skip
    run(["channels", "connect", "lazada", "--seller", seller.code])  # prints the link; the seller "opens" it
    code = demo.fleet.get("lazada", LazadaSandbox).authorize_seller(seller.lazada_seller)  # Lazada redirects
    demo.chosync("channels", "connect", "lazada", "--seller", seller.code, "--code", code)


def _authorisation_link(seller: str) -> str:
    from core.channels import find_account
    from core.sync.connect import build_connector

    store = _store()
    account = find_account(store, seller=seller, channel="shopee")

    async def link() -> str:
        async with httpx.AsyncClient() as http:
            connector: Any = build_connector(store, account, http)
            return str(connector.authorization_url("https://localhost/chosync/authorized"))

    try:
        return asyncio.run(link())
    finally:
        store.dispose()


def _api_waiting(demo: Demo) -> int:
    """Changes still on their way to an API marketplace (an answer lost, a rate limit to wait out)."""
    from core.channels import list_accounts
    from core.sync.apply import pending_count

    store = _store()
    try:
        return sum(pending_count(store, a.id) for a in list_accounts(store) if a.channel not in FLOORS)
    finally:
        store.dispose()


def _settle(demo: Demo) -> None:
    """Sync again while something waits, as an operator (or the daemon, minutes later) would."""
    for _ in range(4):
        waiting = _api_waiting(demo)
        if not waiting:
            return
        demo.note(f"{waiting} change(s) wait (an answer lost on the way, or a marketplace asking us to slow "
                  "down): the next sync looks a lost create's SKU up first, so nothing is listed twice")  # fmt: skip
        demo.pause(1.2)  # past the marketplace's Retry-After
        demo.chosync("sync", expect=None)


# -- the floors' packs: a person uploads them in the seller centre, then confirms ------------------------


def _open_packs(demo: Demo, channel: str) -> list[tuple[DemoSeller, Path]]:
    from core.channels import find_account
    from core.sync.pack_confirm import list_packs

    store = _store()
    try:
        found = []
        for seller in demo.on(channel):
            account = find_account(store, seller=seller.code, channel=channel)
            found += [(seller, Path(v.path)) for v in list_packs(store, account.id) if v.state == "open" and v.written]
        return found
    finally:
        store.dispose()


def _upload_and_confirm(demo: Demo, *, from_export: str | None = None) -> None:
    for channel in FLOORS:
        site = demo.fleet.get(channel, SellerCentreSite)
        for seller, pack in _open_packs(demo, channel):
            rows = upload(demo.urls[channel], site, seller.code, pack)
            demo.note(f"{seller.code} uploads {pack.name} in the {site.config.title} seller centre: {rows} row(s)")
            if seller.code == from_export:
                export = fetch_export(demo.urls[channel], seller.code, "products", demo.folder(seller.code, channel))
                demo.chosync("assisted", "confirm", "--seller", seller.code, "--channel", channel,
                             "--from-export", str(export))  # fmt: skip
            else:
                demo.chosync("assisted", "confirm", "--seller", seller.code, "--channel", channel)


# -- step 4: buyers on several marketplaces at once ----------------------------------------------------


def _buyers(demo: Demo) -> None:
    """Buyers order on Shopee, TikTok Shop, Postmart and Voso at once; DUASAP-L1 sells out across three."""
    shopee, postmart = demo.fleet.get("shopee", ShopeeSandbox), demo.fleet.get("postmart", PostmartSandbox)
    coconut = demo.seller(SOLD_OUT_SELLER)
    item_id, model_id = shopee_model(shopee, coconut.shop_id, SOLD_OUT_SKU, SOLD_OUT_PRODUCT)
    order = shopee.place_order(coconut.shop_id, [(item_id, model_id, 1)], status="READY_TO_SHIP")
    demo.note(f"a buyer orders 1 × {SOLD_OUT_SKU} from {coconut.code} on Shopee (order {order.order_sn})")
    tiktok_order = demo.fleet.get("tiktok", TikTokSandbox).place_order(coconut.tiktok_shop, [(SOLD_OUT_SKU, 1)])
    demo.note(f"a buyer orders 1 × {SOLD_OUT_SKU} from {coconut.code} on TikTok Shop (order {tiktok_order.order_id})")
    voso_order = floor_order(demo.urls["voso"], coconut.code, SOLD_OUT_SKU, 1)
    demo.note(f"a buyer orders 1 × {SOLD_OUT_SKU} from {coconut.code} on Voso (order {voso_order})")
    for seller, sku, quantity in (("HTX-DANTIEN", "GAO-ST25-5KG", 2), ("HKD-HUNGHOA", "BUOI-DX-L1", 4)):
        placed = postmart.place_order(demo.seller(seller).login, [(sku, quantity)])
        demo.note(f"a buyer orders {quantity} × {sku} from {seller} on Postmart (order {placed.order_sn})")
    # Voso has no API: the seller downloads the order export into chosync's inbox for that account.
    inbox = demo.folder(coconut.code, "voso") / "inbox"
    export = fetch_export(demo.urls["voso"], coconut.code, "orders", inbox)
    demo.note(f"{coconut.code} downloads Voso's order export into {export}")


def _sold_out_everywhere(demo: Demo) -> str:
    coconut = demo.seller(SOLD_OUT_SELLER)
    shopee = demo.fleet.get("shopee", ShopeeSandbox)
    shown = [
        f"Shopee {shopee_stock(shopee, coconut.shop_id, SOLD_OUT_SKU, SOLD_OUT_PRODUCT)}",
        f"TikTok Shop {tiktok_stock(demo.fleet.get('tiktok', TikTokSandbox), coconut.tiktok_shop, SOLD_OUT_SKU)}",
    ]
    for channel in FLOORS:
        if channel in coconut.marketplaces:
            product = demo.fleet.get(channel, SellerCentreSite).shop(coconut.code).products[SOLD_OUT_SKU]
            shown.append(f"{demo.fleet.get(channel, SellerCentreSite).config.title} {product.stock}")
    return ", ".join(shown)


def _checklist_lines(pack: Path, sku: str) -> list[str]:
    return [line.strip() for line in (pack / "checklist.md").read_text(encoding="utf-8").splitlines() if sku in line]


def _register_and_connect(demo: Demo) -> None:
    demo.say("2. Register the producers, import their catalog, connect each to its marketplaces")
    demo.chosync("init")
    for s in demo.sellers:
        demo.chosync("sellers", "add", s.code, "--name", s.name, "--kind", s.kind, "--province", s.province)
    demo.chosync("catalog", "import", str(DEMO_CONFIG / "catalog.csv"))
    demo.chosync("categories", "map", "shopee", str(DEMO_CONFIG / "shopee-categories.csv"))
    demo.chosync("categories", "map", "postmart", str(DEMO_CONFIG / "postmart-categories.csv"))
    demo.chosync("categories", "map", "tiktok", str(DEMO_CONFIG / "tiktok-categories.csv"))
    demo.chosync("categories", "map", "lazada", str(DEMO_CONFIG / "lazada-categories.csv"))
    for s in demo.sellers:
        _connect(demo, s)


def _orders_move_stock(demo: Demo) -> None:
    demo.say("4. Buyers order on several marketplaces at once; the stock moves everywhere")
    _buyers(demo)
    demo.pause(1.2)
    demo.chosync("orders", "pull")
    demo.chosync("sync", expect=None)
    _settle(demo)
    [pack] = [p for s, p in _open_packs(demo, "provincial") if s.code == SOLD_OUT_SELLER]
    demo.note(f"the provincial floor's new pack for {SOLD_OUT_SELLER} ({pack}/checklist.md) says:")
    for line in _checklist_lines(pack, SOLD_OUT_SKU):
        demo.note(f"  {line}")
    _upload_and_confirm(demo)
    demo.note(f"{SOLD_OUT_SKU} (sold out) now shows: {_sold_out_everywhere(demo)}")
    rice = postmart_stock(
        demo.fleet.get("postmart", PostmartSandbox), demo.seller(HAND_EDITED_SKU[0]).login, HAND_EDITED_SKU[2]
    )
    demo.note(f"{HAND_EDITED_SKU[2]} on Postmart after its 2 sold there: {rice}")
    dantien = demo.seller(HAND_EDITED_SKU[0])
    on_lazada = lazada_stock(demo.fleet.get("lazada", LazadaSandbox), dantien.lazada_seller, HAND_EDITED_SKU[2])
    demo.note(f"...and on Lazada, where {dantien.code} sells it too: {on_lazada}")


def _hand_edit_and_reconcile(demo: Demo) -> None:
    seller, product, sku = HAND_EDITED_SKU
    demo.say("5. A seller edits a price and a stock figure by hand on Shopee; reconcile finds and fixes it")
    shopee = demo.fleet.get("shopee", ShopeeSandbox)
    item_id, model_id = shopee_model(shopee, demo.seller(seller).shop_id, sku, product)
    shopee.set_price(item_id, 99_000, model_id)
    shopee.set_stock(item_id, 999, model_id)
    demo.note(f"{seller} sets {sku} to 99.000 ₫ and 999 units in Shopee's Seller Centre")
    demo.chosync("reconcile", "--seller", seller, "--channel", "shopee", expect=None)  # exit 1 if a fix must wait
    _settle(demo)
    demo.say("   ...and the listing Shopee refused waits for a person, with the reason:")
    demo.chosync("failures")


def main() -> None:
    fast = os.environ.get("CHOSYNC_DEMO_FAST") == "1"
    console = Console()
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    os.environ["CHOSYNC_DATABASE_URL"] = f"sqlite:///{DEMO_DIR / 'chosync.db'}"
    # The sandboxes' dummy credentials, never real ones.
    os.environ["CHOSYNC_SHOPEE_PARTNER_KEY"] = DEMO_PARTNER_KEY
    os.environ["CHOSYNC_POSTMART_PASSWORD"] = POSTMART_PASSWORD
    os.environ["CHOSYNC_TIKTOK_APP_SECRET"] = DEMO_APP_SECRET
    os.environ["CHOSYNC_LAZADA_APP_SECRET"] = LAZADA_APP_SECRET
    os.environ.setdefault("CHOSYNC_LOG_LEVEL", "ERROR")
    sellers = demo_sellers()
    started = time.monotonic()
    demo = Demo(console, fast, demo_fleet(sellers, fast=fast), sellers)
    with serve_fleet(demo.fleet) as urls:
        demo.urls = urls
        console.rule("chosync demo: Tra Vinh OCOP producers on their marketplaces")
        demo.say("1. Marketplace sandboxes on loopback")
        for channel, url in urls.items():
            demo.note(f"{channel:<11} {url}")
        _register_and_connect(demo)

        demo.say("3. Plan, then sync everything (Voso and the provincial floor get upload packs)")
        demo.chosync("plan", "--seller", "HTX-DANTIEN")
        demo.chosync("sync", expect=None)  # one listing is refused by Shopee: exit 1 is expected
        _settle(demo)
        demo.say("   The sellers upload their packs in the floors' seller centres and confirm them:")
        _upload_and_confirm(demo, from_export=SOLD_OUT_SELLER)

        _orders_move_stock(demo)
        _hand_edit_and_reconcile(demo)

        demo.say("6. Health of every seller × marketplace")
        demo.chosync("status")
        save_fleet(demo.fleet, urls, DEMO_DIR / "sandboxes.pickle")
    console.rule(f"demo finished in {time.monotonic() - started:.0f} s")
    console.print(
        "Everything stays in .demo/ (the database, the floors' packs, the sandboxes' state). Try, from this folder:\n"
        f"  export CHOSYNC_DATABASE_URL=sqlite:///{DEMO_DIR / 'chosync.db'} "
        f"CHOSYNC_SHOPEE_PARTNER_KEY={DEMO_PARTNER_KEY} CHOSYNC_POSTMART_PASSWORD={POSTMART_PASSWORD} "
        f"CHOSYNC_TIKTOK_APP_SECRET={DEMO_APP_SECRET} CHOSYNC_LAZADA_APP_SECRET={LAZADA_APP_SECRET}\n"
        "  .venv/bin/chosync status\n"
        "  .venv/bin/chosync plan\n"
        "  .venv/bin/chosync sandbox serve all       (in another shell: the demo's marketplaces, as it left them)\n"
        "  .venv/bin/chosync sync --full --seller HTX-DANTIEN\n"
        "  .venv/bin/python scheduler.py             (the daemon: keeps every shop in sync until Ctrl-C)",
        highlight=False,
    )


if __name__ == "__main__":
    main()
