"""A product already on Postmart whose variants change in the catalog, pushed end to end by the sync engine.

A cooperative adds a 10 kg bag, stops selling the 2 kg one and renames an option: the next push changes
the live product's SKUs (no delisting, no second product), the binding learns the new SKU ids, and a later
price change of the new variant reaches Postmart. A lost answer to that update is resolved by the next
push without a SKU added twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.catalog.importer import import_catalog
from core.db import Store
from core.sync.models import LISTING
from simulators.common.faults import Fault
from simulators.postmart.state import SandboxProduct
from tests.catalog_files import make_rows, row, write_csv
from tests.floors_world import POSTMART_USER, Floors, make_floors

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py

PRODUCT = "P000001"
NEW = f"{PRODUCT}-V9"


def _rows(*, new_price: int = 30_000, lost_answer: bool = False) -> list[dict[str, Any]]:
    """The catalog with PRODUCT's 2 kg variant gone, its 1 kg option renamed and a 10 kg one added."""
    rows = [r for r in make_rows(3, 2) if r["variant_sku"] != f"{PRODUCT}-V1"]
    for r in rows:
        if r["variant_sku"] == f"{PRODUCT}-V0":
            r["option1_value"] = "1 kg"
    ten_kg = row(product_sku=PRODUCT, name="Sản phẩm số 1", variant_sku=NEW, option1_value="10kg",
                 price_vnd=str(new_price), stock="17", barcode="", traceability_code="TV-QR-1")  # fmt: skip
    return [*rows, ten_kg]


def _import(floors: Floors, tmp_path: Path, rows: list[dict[str, Any]], name: str) -> None:
    import_catalog(floors.store, write_csv(tmp_path / name, rows), archive_missing=True)


def _product(floors: Floors) -> SandboxProduct:
    product = floors.postmart.by_serial(POSTMART_USER, PRODUCT)
    assert product is not None
    return product


def _binding(floors: Floors) -> dict[str, str]:
    with floors.store.engine.connect() as conn:
        query = select(LISTING.c.models).where(LISTING.c.item_id == str(_product(floors).spu_id))
        return dict(conn.execute(query).scalar_one())


@pytest.fixture
def floors(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Floors:
    floors = make_floors(store, tmp_path, monkeypatch, products=3, variants=2)
    assert floors.push("postmart").report.created == 3
    return floors


def test_variants_added_removed_and_renamed_on_a_live_product(floors: Floors, tmp_path: Path) -> None:
    before = _product(floors)
    kept_id = before.sku(f"{PRODUCT}-V0").sku_id
    _import(floors, tmp_path, _rows(), "changed.csv")
    result = floors.push("postmart")
    assert result.outcome == "ok", result.report.failures
    assert (result.report.created, result.report.updated, result.report.delisted) == (0, 1, 0)
    product = _product(floors)
    assert product.spu_id == before.spu_id and product.state == floors.postmart.contract.listing.on_value
    assert {s.serial: (s.spec, s.price, s.stock) for s in product.skus} == {
        f"{PRODUCT}-V0": ("Khối lượng: 1 kg", 10_001, 1),
        NEW: ("Khối lượng: 10kg", 30_000, 17),
    }
    assert product.sku(f"{PRODUCT}-V0").sku_id == kept_id  # the SKU that stays keeps its id (and sales)
    assert _binding(floors) == {s.serial: str(s.sku_id) for s in product.skus}
    assert len(floors.postmart.live_products(POSTMART_USER)) == 3

    _import(floors, tmp_path, _rows(new_price=32_000), "price.csv")
    again = floors.push("postmart")
    assert (again.report.prices, again.report.updated) == (1, 0)
    assert _product(floors).sku(NEW).price == 32_000


def test_a_lost_answer_to_the_update_then_the_next_push_leave_one_sku_per_variant(
    floors: Floors, tmp_path: Path
) -> None:
    floors.postmart.faults.enqueue(floors.postmart.path_of("product_update"), Fault.lost_response())
    _import(floors, tmp_path, _rows(), "changed.csv")
    first = floors.push("postmart")
    assert first.report.unknown == 1
    second = floors.push("postmart")
    assert second.outcome == "ok", second.report.failures
    product = _product(floors)
    assert sorted(s.serial for s in product.skus) == [f"{PRODUCT}-V0", NEW]
    assert _binding(floors) == {s.serial: str(s.sku_id) for s in product.skus}
