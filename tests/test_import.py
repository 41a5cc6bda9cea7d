"""Catalog import on SQLite and PostgreSQL: all or nothing, every bad row named, upsert by SKU."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.catalog import importer
from core.catalog.bulk import BulkStatement
from core.catalog.importer import ImportRejected, ImportReport, import_catalog
from core.catalog.parse_ahead import ParsedTable, parsed_table
from core.catalog.queries import iter_products
from core.catalog.records import ProductRecord
from core.catalog.rows import RowParser
from core.catalog.stored import PRODUCT_FIELDS
from core.db import Store
from core.errors import InputRejected, NotFound
from core.models import PRODUCT, VARIANT, ProductStatus, VariantStatus
from tests.catalog_files import COLUMN_NAMES, make_rows, register, row, write_csv, write_json, write_xlsx


@pytest.fixture(autouse=True, params=[False, True], ids=["in-line", "read-ahead"])
def parse_ahead(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Every test here runs twice: the file parsed in line, and parsed by a second process reading ahead
    (which the importer picks by itself only for large files)."""
    mode: bool = request.param

    def forced(path: Path, parser: RowParser, *, ahead: bool | None) -> AbstractContextManager[ParsedTable]:
        return parsed_table(path, parser, ahead=mode)

    monkeypatch.setattr(importer, "parsed_table", forced)
    return mode


def products(store: Store, seller: str | None = None) -> list[ProductRecord]:
    with store.engine.connect() as conn:
        return list(iter_products(conn, seller=seller))


def count(store: Store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(PRODUCT)).scalar_one(),
            conn.execute(select(func.count()).select_from(VARIANT)).scalar_one(),
        )


def rejected(store: Store, path: Path, **kwargs: Any) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportRejected) as caught:
        import_catalog(store, path, **kwargs)
    return [(p.row, p.column, p.reason) for p in caught.value.report.problems]


def test_a_valid_file_imports_fully(store: Store, tmp_path: Path) -> None:
    register(store)
    rows = [row(), row(variant_sku="GAO-ST25-10KG", option1_value="10kg", price_vnd="340.000₫", stock="12")]
    report = import_catalog(store, write_csv(tmp_path / "c.csv", rows))
    assert (report.products_created, report.variants_created) == (1, 2)
    [product] = products(store)
    assert product.name == "Gạo ST25 Dân Tiến"
    assert product.ocop_stars == 4
    assert product.height_cm == 8.5
    assert product.images == ("https://cdn.example/gao-1.jpg", "https://cdn.example/gao-2.jpg")
    assert product.attributes == {"Hạn sử dụng": "12 tháng"}
    assert [(v.sku, v.price_vnd, v.stock) for v in product.variants] == [
        ("GAO-ST25-5KG", 175000, 40),
        ("GAO-ST25-10KG", 340000, 12),
    ]
    assert [o.value for v in product.variants for o in v.options] == ["5kg", "10kg"]


def test_reimporting_the_same_file_changes_nothing(store: Store, tmp_path: Path) -> None:
    register(store)
    path = write_csv(tmp_path / "c.csv", make_rows(20, 2))
    import_catalog(store, path)
    with store.engine.connect() as conn:
        before = conn.execute(select(VARIANT.c.id, VARIANT.c.updated_at).order_by(VARIANT.c.id)).all()
    again = import_catalog(store, path)
    assert (again.products_created, again.products_updated, again.products_unchanged) == (0, 0, 20)
    assert (again.variants_created, again.variants_updated, again.variants_unchanged) == (0, 0, 40)
    with store.engine.connect() as conn:
        after = conn.execute(select(VARIANT.c.id, VARIANT.c.updated_at).order_by(VARIANT.c.id)).all()
    assert after == before


def test_a_changed_price_updates_only_that_variant_in_place(store: Store, tmp_path: Path) -> None:
    register(store)
    rows = make_rows(3, 2)
    import_catalog(store, write_csv(tmp_path / "a.csv", rows))
    ids_before = {v.sku: v for p in products(store) for v in p.variants}
    rows[3]["price_vnd"] = "99.000 đ"
    report = import_catalog(store, write_csv(tmp_path / "b.csv", rows))
    assert (report.variants_updated, report.variants_unchanged, report.products_updated) == (1, 5, 0)
    after = {v.sku: v for p in products(store) for v in p.variants}
    assert after[rows[3]["variant_sku"]].price_vnd == 99000
    assert count(store) == (3, 6)
    assert set(after) == set(ids_before)


def test_one_bad_row_at_the_end_writes_nothing_even_after_earlier_batches(store: Store, tmp_path: Path) -> None:
    register(store)
    rows = make_rows(50, 2)
    rows[-1]["price_vnd"] = "12,5"
    problems = rejected(store, write_csv(tmp_path / "c.csv", rows), batch_size=10)
    assert problems == [(101, "price_vnd", problems[0][2])]
    assert "ambiguous" in problems[0][2]
    assert count(store) == (0, 0)


def test_every_bad_row_is_reported_with_spreadsheet_row_numbers(store: Store, tmp_path: Path) -> None:
    register(store)
    rows = make_rows(5, 1)
    rows[0]["price_vnd"] = "0"
    rows[2]["ocop_stars"] = "7"
    rows[2]["weight_g"] = "nặng"
    rows[4]["name"] = ""
    problems = rejected(store, write_csv(tmp_path / "c.csv", rows))
    assert [(r, c) for r, c, _ in problems] == [
        (2, "price_vnd"),
        (4, "ocop_stars"),
        (4, "weight_g"),
        (6, "name"),
    ]
    assert count(store) == (0, 0)


def test_duplicate_variant_sku_in_one_file_names_both_rows(store: Store, tmp_path: Path) -> None:
    register(store)
    rows = make_rows(3, 1)
    rows[2]["variant_sku"] = rows[0]["variant_sku"]
    assert rejected(store, write_csv(tmp_path / "c.csv", rows)) == [
        (4, "variant_sku", f"{rows[0]['variant_sku']!r} is already used on row 2")
    ]


def test_product_columns_must_agree_between_rows_of_a_product(store: Store, tmp_path: Path) -> None:
    register(store)
    rows = make_rows(1, 2)
    rows[1]["name"] = "Another name"
    [(number, column, reason)] = rejected(store, write_csv(tmp_path / "c.csv", rows))
    assert (number, column) == (3, "product_sku")
    assert "row 2" in reason


def test_variants_of_one_product_need_distinct_options(store: Store, tmp_path: Path) -> None:
    register(store)
    rows = make_rows(1, 2)
    rows[1]["option1_value"] = rows[0]["option1_value"]
    assert [(r, c) for r, c, _ in rejected(store, write_csv(tmp_path / "c.csv", rows))] == [(3, "option1_value")]
    rows = make_rows(1, 2)
    for r in rows:
        r["option1_name"] = r["option1_value"] = ""
    problems = rejected(store, write_csv(tmp_path / "d.csv", rows))
    assert problems[0][:2] == (3, "option1_value") and "several variants" in problems[0][2]


def test_missing_and_unknown_columns_are_named(store: Store, tmp_path: Path) -> None:
    """Replacing, the file is the whole truth: every required column must be there."""
    register(store)
    columns = [c for c in COLUMN_NAMES if c not in ("price_vnd", "category")] + ["colour"]
    problems = rejected(store, write_csv(tmp_path / "c.csv", [row()], columns=columns), replace=True)
    assert (1, "colour", problems[0][2]) == problems[0] and "unknown column" in problems[0][2]
    assert problems[1][:2] == (1, "category, price_vnd") and "missing" in problems[1][2]


def test_a_new_product_or_variant_needs_the_columns_a_partial_file_leaves_out(store: Store, tmp_path: Path) -> None:
    register(store)
    columns = [c for c in COLUMN_NAMES if c not in ("price_vnd", "category")]
    problems = rejected(store, write_csv(tmp_path / "c.csv", [row()], columns=columns))
    assert [(r, c) for r, c, _ in problems] == [(2, "category"), (2, "price_vnd")]
    assert "product 'GAO-ST25' is new: it needs the name and category columns" in problems[0][2]
    assert "'GAO-ST25-5KG' is a new variant: it needs a price" in problems[1][2]
    only_variants = write_csv(tmp_path / "d.csv", [row()], columns=["seller_code", "variant_sku", "price_vnd"])
    [(number, column, reason)] = rejected(store, only_variants)
    assert (number, column) == (2, "variant_sku") and "not in the catalog" in reason
    named = write_csv(tmp_path / "e.csv", [row()], columns=["seller_code", "variant_sku", "name"])
    [(number, column, reason)] = rejected(store, named)
    assert (number, column) == (1, "name") and "need the product_sku column" in reason


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "is empty", id="empty-file"),
        pytest.param(b"\xef\xbb\xbf", "is empty", id="bom-only"),
    ],
)
def test_empty_files_are_refused(store: Store, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    with pytest.raises(InputRejected, match=message):
        import_catalog(store, path)


def test_a_header_without_rows_is_refused(store: Store, tmp_path: Path) -> None:
    assert rejected(store, write_csv(tmp_path / "c.csv", [])) == [(1, "-", "the file has a header but no rows")]


def test_excel_saved_csv_with_bom_crlf_and_semicolons(store: Store, tmp_path: Path) -> None:
    """Excel in a Vietnamese locale saves CSV UTF-8 with a BOM, CRLF line ends and ';' separators."""
    register(store)
    text = "Dòng 1; có dấu chấm phẩy\r\nDòng 2"
    rows = [row(description=text), row(description=text, variant_sku="GAO-2", option1_value="2kg")]
    path = write_csv(tmp_path / "c.csv", rows, bom=True, delimiter=";", newline="\r\n")
    import_catalog(store, path)
    [product] = products(store)
    assert product.description == "Dòng 1; có dấu chấm phẩy\r\nDòng 2"
    assert len(product.variants) == 2


def test_a_csv_that_is_not_utf8_is_refused_with_the_fix(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(",".join(COLUMN_NAMES).encode() + b"\n" + "Gạo".encode("utf-16-le") + b"\xff\xfe\n")
    with pytest.raises(InputRejected) as caught:
        import_catalog(store, path)
    assert "not UTF-8" in caught.value.message and "CSV UTF-8" in (caught.value.hint or "")


def test_diacritics_typed_decomposed_are_stored_composed(store: Store, tmp_path: Path) -> None:
    register(store)
    import_catalog(store, write_csv(tmp_path / "c.csv", [row(name="Bu\u031bo\u031b\u0309i da xanh")]))
    assert products(store)[0].name == "Bưởi da xanh"


def test_an_unregistered_seller_is_rejected_not_created(store: Store, tmp_path: Path) -> None:
    register(store)
    problems = rejected(store, write_csv(tmp_path / "c.csv", [row(seller_code="HTX-DANTEIN")]))
    assert problems[0][:2] == (2, "seller_code") and "'HTX-DANTEIN' is not registered" in problems[0][2]
    with pytest.raises(NotFound, match="HTX-NOPE"):
        import_catalog(store, write_csv(tmp_path / "d.csv", [row()]), seller="HTX-NOPE")


def test_seller_option_fills_an_absent_column_and_conflicts_are_caught(store: Store, tmp_path: Path) -> None:
    register(store, "HTX-DANTIEN", "HTX-RACHLOP")
    columns = [c for c in COLUMN_NAMES if c != "seller_code"]
    import_catalog(store, write_csv(tmp_path / "c.csv", [row()], columns=columns), seller="HTX-RACHLOP")
    assert [p.seller_code for p in products(store)] == ["HTX-RACHLOP"]
    problems = rejected(store, write_csv(tmp_path / "d.csv", [row()]), seller="HTX-RACHLOP")
    assert problems[0][:2] == (2, "seller_code")


def test_same_sku_under_two_sellers_is_two_products(store: Store, tmp_path: Path) -> None:
    register(store, "HTX-DANTIEN", "HTX-RACHLOP")
    import_catalog(store, write_csv(tmp_path / "c.csv", [row(), row(seller_code="HTX-RACHLOP")]))
    assert [p.seller_code for p in products(store)] == ["HTX-DANTIEN", "HTX-RACHLOP"]


def test_a_variant_cannot_silently_move_to_another_product(store: Store, tmp_path: Path) -> None:
    register(store)
    import_catalog(store, write_csv(tmp_path / "a.csv", [row()]))
    problems = rejected(store, write_csv(tmp_path / "b.csv", [row(product_sku="GAO-KHAC", name="Gạo khác")]))
    assert problems[0][:2] == (2, "variant_sku") and "belongs to product 'GAO-ST25'" in problems[0][2]


def test_absent_products_are_left_alone_unless_archive_missing(store: Store, tmp_path: Path) -> None:
    register(store)
    rows = make_rows(3, 2)
    import_catalog(store, write_csv(tmp_path / "a.csv", rows))
    later = rows[:3]  # product 0 (both variants) and product 1 (first variant only)
    import_catalog(store, write_csv(tmp_path / "b.csv", later))
    assert {p.status for p in products(store)} == {ProductStatus.ACTIVE}
    report = import_catalog(store, write_csv(tmp_path / "b.csv", later), archive_missing=True)
    assert (report.products_archived, report.variants_archived) == (1, 1)
    by_sku = {p.sku: p for p in products(store)}
    assert by_sku["P000002"].status is ProductStatus.ARCHIVED
    assert [v.status for v in by_sku["P000001"].variants] == [VariantStatus.ACTIVE, VariantStatus.ARCHIVED]
    again = import_catalog(store, write_csv(tmp_path / "a.csv", rows))
    assert again.products_updated == 1 and again.variants_updated == 1
    assert {p.status for p in products(store)} == {ProductStatus.ACTIVE}


def test_dry_run_reports_but_writes_nothing(store: Store, tmp_path: Path) -> None:
    register(store)
    report = import_catalog(store, write_csv(tmp_path / "c.csv", make_rows(4, 2)), dry_run=True)
    assert (report.dry_run, report.products_created, report.variants_created) == (True, 4, 8)
    assert count(store) == (0, 0)


def test_xlsx_with_number_cells_and_a_gap_row(store: Store, tmp_path: Path) -> None:
    register(store)
    first = row()
    values: list[Any] = [first[c] for c in COLUMN_NAMES]
    values[COLUMN_NAMES.index("price_vnd")] = 175000
    values[COLUMN_NAMES.index("stock")] = 40.0
    values[COLUMN_NAMES.index("barcode")] = 8930000000011
    second = list(values)
    second[COLUMN_NAMES.index("variant_sku")] = "GAO-2"
    second[COLUMN_NAMES.index("option1_value")] = "2kg"
    second[COLUMN_NAMES.index("price_vnd")] = 75000.5
    path = write_xlsx(tmp_path / "c.xlsx", [list(COLUMN_NAMES), values, [None] * 3, second])
    assert rejected(store, path) == [(4, "price_vnd", "75000.5 is not a whole number of đồng")]
    second[COLUMN_NAMES.index("price_vnd")] = 75000
    import_catalog(store, write_xlsx(tmp_path / "d.xlsx", [list(COLUMN_NAMES), values, [None] * 3, second]))
    [product] = products(store)
    assert [(v.sku, v.price_vnd, v.stock, v.barcode) for v in product.variants] == [
        ("GAO-ST25-5KG", 175000, 40, "8930000000011"),
        ("GAO-2", 75000, 40, "8930000000011"),
    ]


def test_json_entries_with_natural_types(store: Store, tmp_path: Path) -> None:
    register(store)
    entry = {k: v for k, v in row().items() if v != ""}
    entry.update(images=["https://cdn.example/a.jpg"], attributes={"Xuất xứ": "Trà Vinh"}, price_vnd=175000, stock=3)
    import_catalog(store, write_json(tmp_path / "c.json", [entry]))
    [product] = products(store)
    assert product.images == ("https://cdn.example/a.jpg",)
    assert product.attributes == {"Xuất xứ": "Trà Vinh"}
    bad = dict(entry, price_vnd="12.5", colour="đỏ")
    problems = rejected(store, write_json(tmp_path / "d.json", [entry, bad]))
    assert problems[0][:2] == (1, "colour")
    with pytest.raises(InputRejected, match="array of objects"):
        import_catalog(store, write_json(tmp_path / "e.json", {"rows": []}))  # type: ignore[arg-type]


def test_ten_thousand_rows(store: Store, tmp_path: Path) -> None:
    register(store)
    path = write_csv(tmp_path / "c.csv", make_rows(5000, 2))
    report: ImportReport = import_catalog(store, path)
    assert (report.rows, report.products_created, report.variants_created) == (10_000, 5000, 10_000)
    assert count(store) == (5000, 10_000)
    again = import_catalog(store, path)
    assert again.variants_unchanged == 10_000


def test_only_changed_products_get_a_new_revision(store: Store, tmp_path: Path) -> None:
    """Revisions tell the sync planner what to look at: unchanged products keep theirs."""
    register(store)
    rows = make_rows(3, 2)
    import_catalog(store, write_csv(tmp_path / "a.csv", rows))

    def revisions() -> dict[str, int]:
        with store.engine.connect() as conn:
            rows = conn.execute(select(PRODUCT.c.sku, PRODUCT.c.revision)).all()
        return dict(rows)

    first = revisions()
    import_catalog(store, write_csv(tmp_path / "a.csv", rows))
    assert revisions() == first
    rows[3]["stock"] = "77"  # a variant of P000001
    import_catalog(store, write_csv(tmp_path / "b.csv", rows))
    import_catalog(store, write_csv(tmp_path / "c.csv", rows[:4]), archive_missing=True)  # archives P000002
    after = revisions()
    assert after["P000000"] == first["P000000"]
    assert (after["P000001"], after["P000002"]) == (first["P000001"] + 1, first["P000002"] + 1)


def test_new_products_get_their_own_ids_even_when_another_writer_adds_one(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ids of inserted products are read back as the seller's products above the highest id before
    the insert; a product someone else added for the same seller in between must not be taken for ours."""
    register(store)
    execute = BulkStatement.execute

    def and_another_writer(self: BulkStatement, rows: Any) -> int:
        rows = list(rows)
        done = execute(self, rows)
        if self.sql.startswith("INSERT INTO product ") and rows:
            other = list(rows[0])
            other[1 + PRODUCT_FIELDS.index("sku")] = f"OTHER-{other[1 + PRODUCT_FIELDS.index('sku')]}"
            execute(self, [tuple(other)])
        return done

    monkeypatch.setattr(BulkStatement, "execute", and_another_writer)
    report = import_catalog(store, write_csv(tmp_path / "c.csv", make_rows(3, 2)), batch_size=2)
    assert (report.products_created, report.variants_created) == (3, 6)
    by_sku = {p.sku: p for p in products(store)}
    assert sorted(by_sku) == ["OTHER-P000000", "OTHER-P000001", "OTHER-P000002", "P000000", "P000001", "P000002"]
    assert [v.sku for v in by_sku["P000001"].variants] == ["P000001-V0", "P000001-V1"]
    assert by_sku["OTHER-P000000"].variants == ()
