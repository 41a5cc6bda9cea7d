"""The shipped demo data and templates are valid, importable, and in step with the importer's columns."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core import demo
from core.catalog.columns import COLUMN_NAMES, COLUMNS
from core.catalog.importer import import_catalog
from core.catalog.template import write_template
from core.db import Store, open_store
from core.models import PRODUCT, SELLER, VARIANT
from core.settings import PROJECT_ROOT
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


def test_make_demo_main_job_builds_the_catalog_from_a_clean_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHOSYNC_DATABASE_URL", "restored-after-the-test")  # demo.main() sets its own
    (tmp_path / ".demo").mkdir()
    (tmp_path / ".demo" / "stale-file").write_text("left from an earlier run")
    for _ in range(2):  # a second run starts clean and gives the same result
        demo.main()
    out = capsys.readouterr().out
    assert "$ chosync catalog import" in out
    assert not (tmp_path / ".demo" / "stale-file").exists()
    store = open_store(f"sqlite:///{tmp_path / '.demo' / 'chosync.db'}")
    with store.engine.connect() as conn:
        counts = [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (SELLER, PRODUCT, VARIANT)]
    store.dispose()
    assert counts == [10, 40, 70]
