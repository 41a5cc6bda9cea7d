"""The catalog never loses what a seller did not ask to change (issue 13, part 1), and knows each
variant's own package (part 2).

A column left out of a file keeps what is stored; a column present with an empty cell clears it;
``--replace`` keeps the old "the file is the whole truth" behaviour for those who want it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from core.catalog.exporter import export_catalog
from core.catalog.importer import ImportRejected, import_catalog
from core.catalog.queries import iter_products
from core.catalog.records import ProductRecord
from core.cli import run
from core.db import Store, open_store
from core.models import PRODUCT
from tests.catalog_files import make_rows, register, row, write_csv

SELLER = "HTX-DANTIEN"
OPTIONAL_PRODUCT = {
    # column: the value a full file gives (BASE_ROW), how the stored product shows it
    "description": ("description", "Gạo thơm đặc sản Trà Vinh."),
    "brand": ("brand", "Dân Tiến"),
    "images": ("images", ("https://cdn.example/gao-1.jpg", "https://cdn.example/gao-2.jpg")),
    "ocop_stars": ("ocop_stars", 4),
    "ocop_certificate": ("ocop_certificate", "OCOP-TV-2023-001"),
    "ocop_year": ("ocop_year", 2023),
    "origin_province": ("origin_province", "Trà Vinh"),
    "origin_district": ("origin_district", "Càng Long"),
    "traceability_code": ("traceability_code", "TV-QR-1"),
    "traceability_url": ("traceability_url", "https://truyxuat.example/tv/1"),
    "attributes": ("attributes", {"Hạn sử dụng": "12 tháng"}),
}
CLEARED = {"description": "", "images": (), "attributes": {}}
OPTIONAL_VARIANT = {
    "weight_g": 5200,
    "length_cm": 30.0,
    "width_cm": 20.0,
    "height_cm": 8.5,
    "barcode": "8930000000011",
    "list_price_vnd": 350_000,
}


def catalog(store: Store) -> dict[str, ProductRecord]:
    with store.engine.connect() as conn:
        return {p.sku: p for p in iter_products(conn)}


def full_import(store: Store, tmp_path: Path) -> None:
    register(store)
    rows = [row(list_price_vnd="350.000"),
            row(variant_sku="GAO-ST25-10KG", option1_value="10kg", price_vnd="340.000", stock="12",
                list_price_vnd="350.000")]  # fmt: skip
    import_catalog(store, write_csv(tmp_path / "full.csv", rows))


def partial(tmp_path: Path, columns: list[str], rows: list[dict[str, Any]], name: str = "part.csv") -> Path:
    return write_csv(tmp_path / name, rows, columns=columns)


PRICE_LIST = ["seller_code", "product_sku", "name", "variant_sku", "price_vnd", "stock"]


def test_a_price_list_with_only_the_required_columns_keeps_everything_else(store: Store, tmp_path: Path) -> None:
    """The issue's example: a price list must not wipe descriptions, brands, images, weights or OCOP data."""
    full_import(store, tmp_path)
    before = catalog(store)["GAO-ST25"]
    rows = [row(price_vnd="180.000"), row(variant_sku="GAO-ST25-10KG", option1_value="10kg", price_vnd="350.000",
                                          stock="12")]  # fmt: skip
    report = import_catalog(store, partial(tmp_path, PRICE_LIST, rows))
    assert (report.products_updated, report.variants_updated, report.products_unchanged) == (0, 2, 1)
    assert dict(report.changes) == {"price_vnd": 2}
    assert report.cleared == []
    after = catalog(store)["GAO-ST25"]
    assert [v.price_vnd for v in after.variants] == [180_000, 350_000]
    assert after.model_dump(exclude={"variants"}) == before.model_dump(exclude={"variants"})
    assert [(v.weight_g, v.barcode, v.options) for v in after.variants] == [
        (v.weight_g, v.barcode, v.options) for v in before.variants
    ]


@pytest.mark.parametrize("column", sorted(OPTIONAL_PRODUCT))
def test_each_optional_product_column_absent_is_kept_and_present_empty_is_cleared(
    store: Store, tmp_path: Path, column: str
) -> None:
    full_import(store, tmp_path)
    field, stored = OPTIONAL_PRODUCT[column]
    kept = import_catalog(store, partial(tmp_path, PRICE_LIST, [row()]))
    assert kept.changes.get(column, 0) == 0
    assert getattr(catalog(store)["GAO-ST25"], field) == stored
    with_empty = partial(tmp_path, [*PRICE_LIST, "category", column], [row(**{column: ""})], "empty.csv")
    dry = import_catalog(store, with_empty, dry_run=True)
    assert (dry.changes[column], dry.cleared) == (1, [("GAO-ST25", column)])
    assert getattr(catalog(store)["GAO-ST25"], field) == stored  # a dry run writes nothing
    import_catalog(store, with_empty)
    assert getattr(catalog(store)["GAO-ST25"], field) == CLEARED.get(column)


@pytest.mark.parametrize("column", sorted(OPTIONAL_VARIANT))
def test_each_optional_variant_column_absent_is_kept_and_present_empty_is_cleared(
    store: Store, tmp_path: Path, column: str
) -> None:
    full_import(store, tmp_path)
    import_catalog(store, partial(tmp_path, ["seller_code", "variant_sku", "price_vnd"], [row(price_vnd="1.000")]))
    assert getattr(catalog(store)["GAO-ST25"].variants[0], column) == OPTIONAL_VARIANT[column]
    report = import_catalog(store, partial(tmp_path, ["seller_code", "variant_sku", column], [row(**{column: ""})]))
    assert (report.changes[column], report.cleared) == (1, [("GAO-ST25-5KG", column)])
    assert getattr(catalog(store)["GAO-ST25"].variants[0], column) is None
    assert getattr(catalog(store)["GAO-ST25"].variants[1], column) == OPTIONAL_VARIANT[column]  # not in the file


def test_price_only_and_stock_only_files_keyed_by_variant_sku(store: Store, tmp_path: Path) -> None:
    register(store)
    import_catalog(store, write_csv(tmp_path / "all.csv", make_rows(3, 2)))
    with store.engine.connect() as conn:
        revisions = dict(conn.execute(select(PRODUCT.c.sku, PRODUCT.c.revision)).all())
    prices = partial(tmp_path, ["seller_code", "variant_sku", "price_vnd"],
                     [row(variant_sku="P000001-V0", price_vnd="99.000")], "prices.csv")  # fmt: skip
    report = import_catalog(store, prices)
    assert (report.variants_updated, report.products_updated, dict(report.changes)) == (1, 0, {"price_vnd": 1})
    counted = [row(variant_sku="P000001-V1", stock="77"), row(variant_sku="P000002-V0", stock="5")]
    stock = partial(tmp_path, ["seller_code", "variant_sku", "stock"], counted, "stock.csv")
    report = import_catalog(store, stock)
    assert (report.stock_counts, report.variants_updated, dict(report.changes)) == (2, 0, {"stock": 2})
    products = catalog(store)
    assert [(v.sku, v.price_vnd, v.stock) for v in products["P000001"].variants] == [
        ("P000001-V0", 99_000, 1),
        ("P000001-V1", 11_001, 77),
    ]
    assert products["P000002"].variants[0].stock == 5
    with store.engine.connect() as conn:
        after = dict(conn.execute(select(PRODUCT.c.sku, PRODUCT.c.revision)).all())
    # The changed products are planned again on every shop; the untouched one is not.
    assert after["P000001"] > revisions["P000001"] and after["P000002"] > revisions["P000002"]
    assert after["P000000"] == revisions["P000000"]


def test_replace_makes_the_file_the_whole_truth(store: Store, tmp_path: Path) -> None:
    full_import(store, tmp_path)
    rows = [row(), row(variant_sku="GAO-ST25-10KG", option1_value="10kg", price_vnd="340.000", stock="12")]
    with pytest.raises(ImportRejected):  # replacing needs every required column
        import_catalog(store, partial(tmp_path, ["seller_code", "variant_sku", "price_vnd"], rows), replace=True)
    columns = ["seller_code", "product_sku", "name", "category", "variant_sku", "option1_name", "option1_value",
               "price_vnd"]  # fmt: skip
    report = import_catalog(store, partial(tmp_path, columns, rows, "replace.csv"), replace=True)
    assert ("GAO-ST25", "description") in report.cleared and ("GAO-ST25", "brand") in report.cleared
    product = catalog(store)["GAO-ST25"]
    assert (product.description, product.brand, product.images, product.ocop_stars) == ("", None, (), None)
    assert [v.weight_g for v in product.variants] == [None, None]


def test_export_then_import_changes_nothing_and_an_edited_cell_changes_exactly_that(
    store: Store, tmp_path: Path
) -> None:
    full_import(store, tmp_path)
    exported = tmp_path / "export.csv"
    export_catalog(store, exported)
    report = import_catalog(store, exported)
    assert (report.products_updated, report.variants_updated, dict(report.changes)) == (0, 0, {})
    text = exported.read_text(encoding="utf-8-sig").replace("Gạo thơm đặc sản Trà Vinh.", "Gạo thơm hạt dài.")
    edited = tmp_path / "edited.csv"
    edited.write_text(text, encoding="utf-8-sig")
    report = import_catalog(store, edited)
    assert dict(report.changes) == {"description": 1}
    assert catalog(store)["GAO-ST25"].description == "Gạo thơm hạt dài."


def test_each_variant_keeps_its_own_package(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    register(store)
    bags = [
        row(variant_sku="GAO-2KG", option1_value="2kg", weight_g="2100", length_cm="30", width_cm="20", height_cm="6"),
        row(variant_sku="GAO-5KG", option1_value="5kg", weight_g="5250", length_cm="40", width_cm="27", height_cm="8"),
        row(variant_sku="GAO-10KG", option1_value="10kg", weight_g="", length_cm="", width_cm="", height_cm=""),
    ]
    report = import_catalog(store, write_csv(tmp_path / "bags.csv", bags))
    assert report.variants_created == 3
    product = catalog(store)["GAO-ST25"]
    # The empty cells of a later row take the product's first row, as a product column would.
    assert [(v.sku, v.weight_g, v.length_cm) for v in product.variants] == [
        ("GAO-2KG", 2100, 30.0),
        ("GAO-5KG", 5250, 40.0),
        ("GAO-10KG", 2100, 30.0),
    ]
    assert (product.weight_g, product.length_cm, product.packages_differ) == (5250, 40.0, True)
    heavier = [row(variant_sku="GAO-10KG", option1_value="10kg", weight_g="10500")]
    report = import_catalog(store, write_csv(tmp_path / "10kg.csv", heavier, columns=["seller_code", "variant_sku",
                                                                                    "weight_g"]))  # fmt: skip
    assert (dict(report.changes), report.variants_updated) == ({"weight_g": 1}, 1)
    monkeypatch.setenv("CHOSYNC_DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    capsys.readouterr()
    assert run(["catalog", "list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert [(v["sku"], v["weight_g"], v["length_cm"]) for v in listed["variants"]] == [
        ("GAO-2KG", 2100, 30.0),
        ("GAO-5KG", 5250, 40.0),
        ("GAO-10KG", 10500, 30.0),
    ]


def test_a_row_repeating_a_product_column_differently_names_the_column_and_both_values(
    store: Store, tmp_path: Path
) -> None:
    register(store)
    rows = [row(), row(variant_sku="GAO-10KG", option1_value="10kg", brand="Dân Tiến Mới")]
    with pytest.raises(ImportRejected) as caught:
        import_catalog(store, write_csv(tmp_path / "c.csv", rows))
    [problem] = caught.value.report.problems
    assert (problem.row, problem.column) == (3, "product_sku")
    assert "has brand 'Dân Tiến Mới' here but 'Dân Tiến' on row 2" in problem.reason
    assert "weight_g" in problem.reason  # says what may differ


def test_a_new_variant_in_a_partial_file_goes_after_the_others(store: Store, tmp_path: Path) -> None:
    full_import(store, tmp_path)
    columns = ["seller_code", "product_sku", "variant_sku", "option1_name", "option1_value", "price_vnd"]
    added = [row(variant_sku="GAO-ST25-25KG", option1_value="25kg", price_vnd="800.000")]
    report = import_catalog(store, partial(tmp_path, columns, added))
    assert (report.variants_created, report.products_updated) == (1, 0)
    assert [v.sku for v in catalog(store)["GAO-ST25"].variants] == ["GAO-ST25-5KG", "GAO-ST25-10KG", "GAO-ST25-25KG"]


def test_the_migration_gives_every_variant_its_products_package(empty_database_url: str) -> None:
    store = open_store(empty_database_url, migrate=False)
    store.migrate("0008")
    now = datetime.now(UTC)

    def insert(sql: str, **values: Any) -> int:
        with store.engine.begin() as conn:
            return int(conn.execute(text(f"{sql} RETURNING id"), {"now": now, **values}).scalar_one())

    seller = insert(
        "INSERT INTO seller (code, name, kind, created_at) VALUES ('HTX-DANTIEN', 'HTX', 'household', :now)"
    )
    product = insert(
        "INSERT INTO product (seller_id, sku, name, description, category, images, attributes, status, revision, "
        "weight_g, length_cm, width_cm, height_cm, created_at, updated_at) VALUES (:s, 'GAO', 'Gạo', '', 'Gạo', "
        "'[]', '{}', 'active', 0, 5200, 35, 22, 8.5, :now, :now)",
        s=seller,
    )
    for sku in ("GAO-5KG", "GAO-10KG"):
        insert(
            "INSERT INTO variant (product_id, seller_id, sku, position, price_vnd, stock_on_hand, reserved, status, "
            "created_at, updated_at) VALUES (:p, :s, :sku, 0, 1000, 1, 0, 'active', :now, :now)",
            p=product, s=seller, sku=sku,
        )  # fmt: skip
    store.migrate()
    [gao] = catalog(store).values()
    assert [(v.weight_g, v.length_cm, v.width_cm, v.height_cm) for v in gao.variants] == [(5200, 35, 22, 8.5)] * 2
    with store.engine.connect() as conn:
        assert "weight_g" not in {c["name"] for c in inspect(conn).get_columns("product")}
    store.dispose()
