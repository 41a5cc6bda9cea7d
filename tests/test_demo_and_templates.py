"""The shipped demo data and templates are valid, importable, and in step with the importer's columns."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import demo.run as demo
from core.catalog.columns import COLUMN_NAMES, COLUMNS
from core.catalog.importer import import_catalog
from core.catalog.template import IMPORT_RULES, write_template
from core.db import Store, open_store
from core.models import CHANNEL_ACCOUNT, PRODUCT, SELLER, VARIANT
from core.ports import AccountRules
from core.settings import PROJECT_ROOT
from core.sync.failures import list_failures
from core.sync.models import LISTING, SYNC_RUN
from demo.world import demo_sellers, lazada_stock, postmart_stock, shopee_model, shopee_stock, tiktok_stock
from simulators.common.fleet import load_fleet
from simulators.floors.site import SellerCentreSite
from simulators.lazada.sandbox import LazadaSandbox
from simulators.postmart.sandbox import PostmartSandbox
from simulators.shopee.sandbox import ShopeeSandbox
from simulators.tiktok.sandbox import TikTokSandbox
from tests.catalog_files import register

TEMPLATES = PROJECT_ROOT / "config" / "templates"


@pytest.mark.parametrize("name", ["catalog-template.csv", "catalog-template.xlsx"])
def test_shipped_templates_are_what_the_generator_writes(tmp_path: Path, name: str) -> None:
    fresh = tmp_path / name
    write_template(fresh)
    shipped = TEMPLATES / name
    if name.endswith(".csv"):
        assert shipped.read_bytes() == fresh.read_bytes()
    else:
        for a, b in zip(load_workbook(shipped).worksheets, load_workbook(fresh).worksheets, strict=True):
            assert [list(r) for r in a.iter_rows(values_only=True)] == [list(r) for r in b.iter_rows(values_only=True)]


def test_template_header_is_every_column_and_its_guide_documents_them() -> None:
    workbook = load_workbook(TEMPLATES / "catalog-template.xlsx")
    catalog, guide = workbook.worksheets
    assert next(catalog.iter_rows(values_only=True)) == COLUMN_NAMES
    rows = list(guide.iter_rows(min_row=2, values_only=True))
    documented = [r[0] for r in rows[: len(COLUMNS)]]
    assert documented == [c.name for c in COLUMNS]
    rules = [r[2] for r in rows[len(COLUMNS) :] if r and r[2]]
    assert [text for pair in IMPORT_RULES for text in pair] == rules
    assert any("keeps what is stored" in rule for rule in rules) and any("--replace" in rule for rule in rules)


@pytest.mark.parametrize("name", ["catalog-template.csv", "catalog-template.xlsx"])
def test_templates_import_as_they_are(store: Store, name: str) -> None:
    register(store, "HTX-DANTIEN")
    report = import_catalog(store, TEMPLATES / name)
    assert (report.products_created, report.variants_created) == (1, 2)


def test_demo_catalog_imports_with_its_sellers(store: Store) -> None:
    demo_dir = PROJECT_ROOT / "config" / "demo"
    with (demo_dir / "sellers.csv").open(encoding="utf-8") as handle:
        codes = [r["code"] for r in csv.DictReader(handle)]
    register(store, *codes)
    report = import_catalog(store, demo_dir / "catalog.csv")
    assert report.products_created >= 40
    assert report.sellers and set(report.sellers) <= set(codes)


@pytest.mark.parametrize("fast", ["1", pytest.param("0", marks=pytest.mark.slow, id="with-latency-and-faults")])
def test_make_demo_runs_the_whole_story(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fast: str
) -> None:
    """The demo's outcomes, read from its database and from the marketplaces it leaves behind (in fast mode
    in every run; as `make demo` runs it, with latency, rate limits and injected faults, under `-m slow`)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHOSYNC_DEMO_FAST", fast)
    for name in ("CHOSYNC_DATABASE_URL", "CHOSYNC_SHOPEE_PARTNER_KEY", "CHOSYNC_POSTMART_PASSWORD",
                 "CHOSYNC_TIKTOK_APP_SECRET", "CHOSYNC_LAZADA_APP_SECRET"):  # fmt: skip
        monkeypatch.setenv(name, "restored-after-the-test")  # the demo sets its own
    (tmp_path / ".demo").mkdir()
    (tmp_path / ".demo" / "stale-file").write_text("left from an earlier run")
    demo.main()
    out = capsys.readouterr().out
    for command in ("catalog import", "channels connect shopee --seller HTX-DANTIEN --code", "channels add postmart",
                    "channels connect tiktok --seller CTY-DUACAUKE --code", "categories map tiktok",
                    "channels connect lazada --seller HTX-DANTIEN --code", "categories map lazada",
                    "channels add voso", "assisted confirm --seller CTY-DUACAUKE --channel voso --from-export",
                    "orders pull", "reconcile --seller HTX-DANTIEN", "failures", "status"):  # fmt: skip
        assert f"$ chosync {command}" in out
    assert not (tmp_path / ".demo" / "stale-file").exists()

    sellers = demo_sellers()
    catalog = _demo_catalog()
    products = {(r["seller_code"], r["product_sku"], r["status"]) for r in catalog}
    active = Counter(seller for seller, _sku, status in products if status in ("", "active"))
    store = open_store(f"sqlite:///{tmp_path / '.demo' / 'chosync.db'}")
    with store.engine.connect() as conn:
        counts = [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (SELLER, PRODUCT, VARIANT)]
        live = Counter(
            (seller, channel) for seller, channel in conn.execute(
                select(SELLER.c.code, CHANNEL_ACCOUNT.c.channel)
                .join(CHANNEL_ACCOUNT, CHANNEL_ACCOUNT.c.seller_id == SELLER.c.id)
                .join(LISTING, LISTING.c.account_id == CHANNEL_ACCOUNT.c.id)
                .where(LISTING.c.status == "live")
            )
        )  # fmt: skip
        sold_out = conn.execute(
            select(VARIANT.c.stock_on_hand, VARIANT.c.reserved).where(VARIANT.c.sku == demo.SOLD_OUT_SKU)
        ).one()
        pushed_stock = [
            stocks[demo.SOLD_OUT_SKU]
            for (stocks,) in conn.execute(select(LISTING.c.stocks))
            if demo.SOLD_OUT_SKU in (stocks or {})
        ]
        reconciled = conn.execute(
            select(SYNC_RUN.c.counts).where(SYNC_RUN.c.kind == "reconcile").order_by(SYNC_RUN.c.id.desc())
        ).scalar_one()
    failures = list_failures(store)
    store.dispose()
    assert counts == [10, 40, 70]
    # Every active product is live on each of its seller's marketplaces, but the one Shopee refused.
    expected = Counter({(s.code, channel): active[s.code] for s in sellers for channel in s.marketplaces})
    expected[("CTY-TVXANH", "shopee")] -= 1
    assert live == expected
    assert all(2 <= len(s.marketplaces) <= 4 for s in sellers)
    assert {channel for s in sellers for channel in s.marketplaces} == {
        "shopee", "tiktok", "lazada", "postmart", "voso", "provincial"
    }  # fmt: skip
    assert (sum("tiktok" in s.marketplaces for s in sellers), sum("lazada" in s.marketplaces for s in sellers)) == (
        3,
        2,
    )
    assert sold_out == (3, 3)  # a buyer each on Shopee, TikTok Shop and Voso: all three reserved, none to sell
    assert pushed_stock == [0, 0, 0, 0]  # ...and 0 is what chosync pushed to each of its four marketplaces
    assert (reconciled["price_drift"], reconciled["stock_drift"]) == (1, 1)
    [refused] = failures
    assert (refused.seller, refused.product_sku, refused.kind) == ("CTY-TVXANH", demo.REFUSED_SKU, "create")
    assert "thuốc" in refused.reason

    # The marketplaces themselves, as the demo left them (the snapshot `chosync sandbox serve all` serves).
    fleet, _ = load_fleet(tmp_path / ".demo" / "sandboxes.pickle")
    shopee, postmart = fleet.get("shopee", ShopeeSandbox), fleet.get("postmart", PostmartSandbox)
    coconut = next(s for s in sellers if s.code == demo.SOLD_OUT_SELLER)
    assert shopee_stock(shopee, coconut.shop_id, demo.SOLD_OUT_SKU, demo.SOLD_OUT_PRODUCT) == 0
    assert tiktok_stock(fleet.get("tiktok", TikTokSandbox), coconut.tiktok_shop, demo.SOLD_OUT_SKU) == 0
    for floor in ("voso", "provincial"):
        assert fleet.get(floor, SellerCentreSite).shop(coconut.code).products[demo.SOLD_OUT_SKU].stock == 0
    seller, product, sku = demo.HAND_EDITED_SKU
    rice = next(r for r in catalog if r["variant_sku"] == sku)
    item_id, model_id = shopee_model(shopee, next(s for s in sellers if s.code == seller).shop_id, sku, product)
    model = shopee.model(item_id, model_id)
    shopee_rules = AccountRules(price_markup_percent=3, round_to_vnd=1000)
    assert model.original_price == shopee_rules.price_for(int(rice["price_vnd"])) != 99_000  # the hand edit undone
    assert model.seller_stock == int(rice["stock"]) - 2  # 2 sold on Postmart: Shopee shows what is left
    assert postmart_stock(postmart, seller.lower(), sku) == int(rice["stock"]) - 2
    dantien = next(s for s in sellers if s.code == seller)
    assert lazada_stock(fleet.get("lazada", LazadaSandbox), dantien.lazada_seller, sku) == int(rice["stock"]) - 2
    checklists = (tmp_path / ".demo" / "assisted" / coconut.code / "provincial" / "packs").glob("*/checklist.md")
    assert any(f"{demo.SOLD_OUT_SKU} | Dừa sáp Cầu Kè | 3 → 0" in c.read_text(encoding="utf-8") for c in checklists)


def _demo_catalog() -> list[dict[str, str]]:
    with (PROJECT_ROOT / "config" / "demo" / "catalog.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
