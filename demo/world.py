"""The demo's marketplaces and the people acting on them: buyers, sellers at their back offices.

:func:`demo_fleet` builds the sandboxes the demo serves: Shopee (a shop per seller, the demo's
categories, one banned word), TikTok Shop and Lazada (a shop per seller there), Postmart (a merchant per seller), and
the web seller centres of Voso and the provincial floor, with latency, rate limits and a few injected
faults unless the demo runs fast.

The other functions are what people do outside chosync, against those sandboxes, as they would on the
real marketplaces: a buyer places an order, a seller edits a price by hand in Shopee's Seller Centre,
a person uploads chosync's pack in a floor's seller centre and downloads the floor's exports.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.ports import OrderStatus
from core.settings import PROJECT_ROOT
from simulators.common.faults import ANY_PATH, Fault, FaultPlan
from simulators.common.fleet import Fleet, Member
from simulators.floors.fleet import FLOORS
from simulators.floors.site import SellerCentreSite, upload_pack
from simulators.lazada.config import SellerSeed
from simulators.lazada.fleet import SERVED_RATE_LIMIT as LAZADA_RATE_LIMIT
from simulators.lazada.fleet import demo_config as lazada_config
from simulators.lazada.sandbox import LazadaSandbox
from simulators.postmart.sandbox import PostmartSandbox
from simulators.postmart.state import DEFAULT_CATEGORIES, SandboxCategory
from simulators.shopee.config import Category, ShopeeConfig, default_categories
from simulators.shopee.sandbox import DEMO_PARTNER_ID, DEMO_PARTNER_KEY, ShopeeSandbox
from simulators.tiktok.config import ShopSeed
from simulators.tiktok.fleet import SERVED_RATE_LIMIT, demo_config
from simulators.tiktok.sandbox import TikTokSandbox

__all__ = [
    "DEMO_CONFIG",
    "DemoSeller",
    "demo_fleet",
    "demo_sellers",
    "fetch_export",
    "lazada_stock",
    "postmart_stock",
    "shopee_model",
    "shopee_stock",
    "tiktok_stock",
    "upload",
]

DEMO_CONFIG = PROJECT_ROOT / "config" / "demo"
FIRST_SHOP = 30_000_001
FIRST_TIKTOK_SHOP = 7_494_726_673_780_200_001
FIRST_LAZADA_SELLER = 200_200_001
POSTMART_PASSWORD = "demo-postmart-password"  # noqa: S105 (the sandbox merchants' password, not a real one)
# Shopee's rules on health claims: a listing naming a "thuốc" (medicine) is refused for review by a person.
REFUSED_WORD = "thuốc"
DEMO_CATEGORIES = (
    *default_categories(),
    Category(100015, 100001, "Trái cây tươi", "Fresh fruit"),
    Category(100016, 100001, "Bánh kẹo", "Snacks & sweets"),
    Category(100017, 100001, "Hải sản khô", "Dried seafood"),
    Category(100018, 100001, "Thực phẩm chế biến", "Processed food"),
)
POSTMART_CATEGORIES = (
    *DEFAULT_CATEGORIES,
    SandboxCategory(7824, "Trái cây", 782),
    SandboxCategory(7825, "Bánh kẹo - Đặc sản", 782),
    SandboxCategory(7826, "Khô - Hải sản", 782),
    SandboxCategory(7827, "Gia vị - Nước chấm", 782),
    SandboxCategory(7828, "Thực phẩm chế biến", 782),
)


@dataclass(frozen=True)
class DemoSeller:
    code: str
    name: str
    kind: str
    province: str
    marketplaces: tuple[str, ...]
    shop_id: int  # on Shopee

    @property
    def login(self) -> str:
        """The seller's merchant login on Postmart."""
        return self.code.lower()

    @property
    def lazada_seller(self) -> str:
        """The seller's id on Lazada."""
        return str(FIRST_LAZADA_SELLER + self.shop_id - FIRST_SHOP)

    @property
    def tiktok_shop(self) -> str:
        """The seller's shop id on TikTok Shop (19 digits, sent as text)."""
        return str(FIRST_TIKTOK_SHOP + self.shop_id - FIRST_SHOP)


def demo_sellers() -> list[DemoSeller]:
    """The Tra Vinh producers of config/demo/, with the marketplaces each sells on."""
    with (DEMO_CONFIG / "marketplaces.csv").open(encoding="utf-8") as handle:
        marketplaces = {r["seller_code"]: tuple(r["marketplaces"].split()) for r in csv.DictReader(handle)}
    with (DEMO_CONFIG / "sellers.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        DemoSeller(r["code"], r["name"], r["kind"], r["province"], marketplaces[r["code"]], FIRST_SHOP + i)
        for i, r in enumerate(rows)
    ]


def demo_fleet(sellers: list[DemoSeller], *, fast: bool) -> Fleet:
    """The demo's sandboxes; realistic (latency, rate limits, faults) unless ``fast``."""
    shopee = ShopeeSandbox(
        ShopeeConfig(
            partners={DEMO_PARTNER_ID: DEMO_PARTNER_KEY},
            shops=[s.shop_id for s in sellers if "shopee" in s.marketplaces],
            categories=DEMO_CATEGORIES,
            banned_words=(REFUSED_WORD,),
            rate_limit_per_partner=None if fast else 40.0,
            rate_limit_burst=None if fast else 10,
        ),
        seed=2026,
    )
    tiktok = TikTokSandbox(
        demo_config(
            shops=[ShopSeed(s.tiktok_shop, s.name, f"ROW_{s.code.replace('-', '')}", (f"70685{s.tiktok_shop[-6:]}",))
                   for s in sellers if "tiktok" in s.marketplaces],
            rate_limit_per_api=None if fast else SERVED_RATE_LIMIT,
        ),
        seed=2028,
    )  # fmt: skip
    lazada = LazadaSandbox(
        lazada_config(
            sellers=[SellerSeed(s.lazada_seller, f"VN{s.code.replace('-', '')}", s.name)
                     for s in sellers if "lazada" in s.marketplaces],
            rate_limit_per_api=None if fast else LAZADA_RATE_LIMIT,
        ),
        seed=2029,
    )  # fmt: skip
    postmart = PostmartSandbox(seed=2027, rate_limit_per_merchant=None if fast else 10.0)
    postmart.categories = POSTMART_CATEGORIES
    for seller in sellers:
        if "postmart" in seller.marketplaces:
            postmart.add_merchant(seller.login, POSTMART_PASSWORD)
    if not fast:
        _realistic(shopee.faults, latency=0.03)
        _realistic(tiktok.faults, latency=0.03)
        _realistic(lazada.faults, latency=0.04)
        _realistic(postmart.faults, latency=0.06)  # a state-run platform: slower, and an nginx in front
    floors: dict[str, Member] = {floor: SellerCentreSite(floor) for floor in FLOORS}
    members: dict[str, Member] = {"shopee": shopee, "tiktok": tiktok, "lazada": lazada, "postmart": postmart,
                                  **floors}  # fmt: skip
    kinds = {"shopee": "shopee", "tiktok": "tiktok", "lazada": "lazada", "postmart": "postmart",
             **dict.fromkeys(FLOORS, "floors")}  # fmt: skip
    return Fleet(members, kinds)


def _realistic(faults: FaultPlan, *, latency: float) -> None:
    # One fault per request, the first whose chance comes up: the rare ones first, latency for the rest.
    faults.add_chance(ANY_PATH, Fault.server_error(502), 0.02)
    faults.add_chance(ANY_PATH, Fault.rate_limited(), 0.01)
    faults.add_chance(ANY_PATH, Fault.latency(latency), 1.0)


# -- what people do on the marketplaces -------------------------------------------------------------------


def shopee_model(shopee: ShopeeSandbox, shop_id: int, variant_sku: str, product_sku: str) -> tuple[int, int]:
    """(item id, model id) of a variant in a shop; model 0 for an item without variations."""
    for item, model in shopee.models_by_sku(variant_sku, shop_id=shop_id):
        return item.item_id, model.model_id
    [item] = shopee.items_by_sku(product_sku, shop_id=shop_id)
    return item.item_id, 0


def shopee_stock(shopee: ShopeeSandbox, shop_id: int, variant_sku: str, product_sku: str) -> int:
    item_id, model_id = shopee_model(shopee, shop_id, variant_sku, product_sku)
    return shopee.model(item_id, model_id).seller_stock


def tiktok_stock(tiktok: TikTokSandbox, shop_id: str, variant_sku: str) -> int:
    """Units buyers can still order on TikTok Shop (every warehouse)."""
    [product] = tiktok.products_by_seller_sku(variant_sku, shop_id=shop_id)
    [sku] = [s for s in product.skus.values() if s.seller_sku == variant_sku]
    return sku.total_available


def lazada_stock(lazada: LazadaSandbox, seller_id: str, variant_sku: str) -> int:
    """Units buyers can still order on Lazada (its total less what open orders hold)."""
    _, sku = lazada.find_sku(variant_sku, seller_id=seller_id)
    return sku.available


def postmart_stock(postmart: PostmartSandbox, merchant: str, variant_sku: str) -> int:
    return postmart.with_sku(merchant, variant_sku).sku(variant_sku).stock


def upload(site_url: str, site: SellerCentreSite, seller: str, pack: Path) -> int:
    """A person uploads an upload pack in the floor's seller centre (over HTTP, as a browser would)."""
    with httpx.Client(base_url=site_url, timeout=30) as client:
        return upload_pack(client, seller, pack, site.config.upload.file_name)


def fetch_export(site_url: str, seller: str, what: str, into: Path) -> Path:
    """A person downloads the floor's order or product export into ``into`` (an inbox, say)."""
    with httpx.Client(base_url=site_url, timeout=30) as client:
        answer = client.get(f"/shops/{seller}/exports/{what}")
        answer.raise_for_status()
    name = answer.headers["content-disposition"].split('filename="', 1)[1].rstrip('"')
    into.mkdir(parents=True, exist_ok=True)
    tmp = into / f".{name}.part"  # the pull job must never read half a file
    tmp.write_bytes(answer.content)
    path = into / name
    os.replace(tmp, path)
    return path


def floor_order(site_url: str, seller: str, sku: str, quantity: int) -> str:
    """A buyer orders on a floor's shop front; returns the floor's order id."""
    with httpx.Client(base_url=site_url, timeout=30) as client:
        answer = client.post(f"/shops/{seller}/orders", json={"lines": [{"sku": sku, "quantity": quantity}],
                                                                "status": OrderStatus.READY.value})  # fmt: skip
        if answer.status_code != 201:
            raise RuntimeError(f"the floor refused the order: {answer.json().get('error')}")
    return str(answer.json()["order_id"])
