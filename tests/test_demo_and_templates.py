"""The shipped demo data and templates are valid, importable, and in step with the importer's columns."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from connectors.base import AccountRules
from connectors.sandbox import demo
from core.catalog.columns import COLUMN_NAMES, COLUMNS
from core.catalog.importer import import_catalog
from core.catalog.template import write_template
from core.db import Store, open_store
from core.models import PRODUCT, SELLER, VARIANT
from core.settings import PROJECT_ROOT
from core.sync.failures import list_failures
from core.sync.models import LISTING, SYNC_RUN
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
    documented = [r[0] for r in guide.iter_rows(min_row=2, values_only=True)]
    assert documented == [c.name for c in COLUMNS]


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


def test_make_demo_runs_the_whole_story_in_fast_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's outcomes, read from its database: listed, sold out everywhere, drift fixed, refusal parked."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHOSYNC_DEMO_FAST", "1")
    monkeypatch.setenv("CHOSYNC_DATABASE_URL", "restored-after-the-test")  # the demo sets its own
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", "restored-after-the-test")
    (tmp_path / ".demo").mkdir()
    (tmp_path / ".demo" / "stale-file").write_text("left from an earlier run")
    demo.main()
    out = capsys.readouterr().out
    assert "$ chosync catalog import" in out
    assert "$ chosync channels connect shopee --seller HTX-DANTIEN --code" in out
    assert not (tmp_path / ".demo" / "stale-file").exists()
    store = open_store(f"sqlite:///{tmp_path / '.demo' / 'chosync.db'}")
    with store.engine.connect() as conn:
        counts = [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (SELLER, PRODUCT, VARIANT)]
        statuses = dict(conn.execute(select(LISTING.c.status, func.count()).group_by(LISTING.c.status)).all())
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
        rice = conn.execute(
            select(LISTING.c.prices, LISTING.c.stocks)
            .join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id)
            .where(PRODUCT.c.sku == "GAO-ST25")
        ).one()
    failures = list_failures(store)
    store.dispose()
    assert counts == [10, 40, 70]
    assert statuses["live"] == 37  # 38 active products, one refused by the marketplace
    assert sold_out == (3, 3)  # all three reserved by the buyer: available 0
    assert pushed_stock == [0]  # ...and 0 is what every shop shows
    assert (reconciled["price_drift"], reconciled["stock_drift"]) == (1, 1)
    with (PROJECT_ROOT / "config" / "demo" / "catalog.csv").open(encoding="utf-8") as handle:
        catalog_price = next(int(r["price_vnd"]) for r in csv.DictReader(handle) if r["variant_sku"] == "GAO-ST25-5KG")
    rules = AccountRules(price_markup_percent=3, round_to_vnd=1000)
    assert rice.prices["GAO-ST25-5KG"] == rules.price_for(catalog_price) != 99_000  # the hand edit was put back
    assert rice.stocks["GAO-ST25-5KG"] != 999
    [refused] = failures
    assert (refused.seller, refused.product_sku, refused.kind) == ("CTY-TVXANH", "TRA-THAOMOC", "create")
    assert "thuốc" in refused.reason
