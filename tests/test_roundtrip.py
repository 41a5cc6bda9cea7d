"""Export and import are inverses: whatever the catalog holds comes back unchanged, in every format."""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import delete

from core.catalog.exporter import export_catalog, product_rows, write_rows
from core.catalog.importer import import_catalog
from core.catalog.queries import iter_products
from core.catalog.records import OptionValue, ProductRecord, VariantRecord
from core.db import Store, open_store
from core.models import PRODUCT, VARIANT, ProductStatus
from core.settings import PROJECT_ROOT
from tests.catalog_files import register

DEMO = PROJECT_ROOT / "config" / "demo"


def _records(store: Store) -> list[ProductRecord]:
    with store.engine.connect() as conn:
        return list(iter_products(conn))


def _demo_store(url: str) -> Store:
    store = open_store(url)
    register(store, *{line.split(",")[0] for line in (DEMO / "sellers.csv").read_text().splitlines()[1:]})
    import_catalog(store, DEMO / "catalog.csv")
    return store


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "json"])
def test_export_import_export_is_identical(database_url: str, tmp_path: Path, suffix: str) -> None:
    first = _demo_store(database_url)
    exported = tmp_path / f"first.{suffix}"
    export_catalog(first, exported)
    second = open_store(f"sqlite:///{tmp_path / 'second.db'}")
    register(second, *{p.seller_code for p in _records(first)})
    # The export names the demo's photos by full path, outside its own folder: allowed as an image folder.
    import_catalog(second, exported, image_folders=[DEMO / "images"])
    again = tmp_path / f"second.{suffix}"
    export_catalog(second, again)
    assert _records(second) == _records(first)
    if suffix == "xlsx":
        rows = [list(load_workbook(p).worksheets[0].iter_rows(values_only=True)) for p in (exported, again)]
        assert rows[0] == rows[1]
    else:
        assert again.read_bytes() == exported.read_bytes()
    first.dispose()
    second.dispose()


_text = (
    st.text(
        alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs", "P"), exclude_characters="|\u2028\u2029\x85"),
        min_size=1,
        max_size=30,
    )
    .map(lambda t: unicodedata.normalize("NFC", t).strip())
    .filter(bool)
)
_sku = st.from_regex(r"[A-Z0-9][A-Z0-9._-]{0,15}", fullmatch=True)


def _packages(draw: st.DrawFn, count: int, figures: st.SearchStrategy[Any]) -> list[Any]:
    first = draw(st.none() | figures)
    later = figures if first is not None else st.none() | figures
    return [first, *(draw(later) for _ in range(count - 1))]


@st.composite
def _products(draw: st.DrawFn) -> list[ProductRecord]:
    count = draw(st.integers(1, 4))
    skus = draw(st.lists(_sku, min_size=count * 4, max_size=count * 4, unique=True))
    products = []
    for p in range(count):
        n_variants = draw(st.integers(1, 3))
        option_name = draw(_text) if n_variants > 1 or draw(st.booleans()) else None
        values = draw(st.lists(_text, min_size=n_variants, max_size=n_variants, unique_by=str.casefold))
        # Each variant its own package; a later one lacks a figure only if the first does (an empty cell on
        # a later row takes the first row's, so a file cannot say "none" below a "500").
        weights = _packages(draw, n_variants, st.integers(1, 10**6))
        heights = _packages(draw, n_variants, st.sampled_from([0.5, 8.5, 12.25, 30.0, 999.0]))
        variants = tuple(
            VariantRecord(
                sku=skus[p * 4 + 1 + k],
                options=(OptionValue(name=option_name, value=values[k]),) if option_name else (),
                price_vnd=draw(st.integers(1, 10**10)),
                stock=draw(st.integers(0, 10**6)),
                barcode=draw(st.none() | st.from_regex(r"[0-9]{8,13}", fullmatch=True)),
                weight_g=weights[k],
                height_cm=heights[k],
            )
            for k in range(n_variants)
        )
        products.append(
            ProductRecord(
                seller_code="HTX-A",
                sku=skus[p * 4],
                name=draw(_text),
                description=draw(st.just("") | _text),
                category=draw(_text),
                brand=draw(st.none() | _text),
                images=tuple(
                    draw(
                        st.lists(
                            st.from_regex(r"https://cdn\.example/[a-z0-9]{1,8}\.jpg", fullmatch=True),
                            max_size=3,
                            unique=True,
                        )
                    )
                ),
                attributes=draw(st.dictionaries(_text.filter(lambda t: ":" not in t), _text, max_size=3)),
                status=draw(st.sampled_from(ProductStatus)),
                ocop_stars=draw(st.none() | st.integers(3, 5)),
                traceability_url=draw(st.none() | st.just("https://truyxuat.example/tv/1")),
                variants=variants,
            )
        )
    return sorted(products, key=lambda r: r.sku)


@pytest.fixture(scope="module")
def scratch_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('roundtrip') / 'c.db'}")
    register(store, "HTX-A")
    yield store
    store.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(catalog=_products(), suffix=st.sampled_from(["csv", "xlsx", "json"]))
def test_any_catalog_survives_a_file_round_trip(
    scratch_store: Store, catalog: list[ProductRecord], suffix: str
) -> None:
    with scratch_store.engine.begin() as conn:
        conn.execute(delete(VARIANT))
        conn.execute(delete(PRODUCT))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"catalog.{suffix}"
        write_rows(path, (row for product in catalog for row in product_rows(product)))
        import_catalog(scratch_store, path)
    assert _records(scratch_store) == catalog
