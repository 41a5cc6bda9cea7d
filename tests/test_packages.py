"""Each variant ships in its own package, and every marketplace gets what it can take (issue 13, part 2).

Rice in 2 kg and 5 kg bags: Shopee takes a weight and dimensions per model; a marketplace that takes one
package per product gets the largest, with a warning; a floor's upload sheet carries each row's weight.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.assisted_config import load_assisted_config
from core.catalog.importer import import_catalog
from core.catalog.readers import open_table
from core.db import Store
from tests.catalog_files import make_rows, write_csv
from tests.floors_world import make_floors

WEIGHTS = {"P000001-V0": "1050", "P000001-V1": "2100"}


def rebag(store: Store, tmp_path: Path) -> None:
    """The 1 kg and 2 kg bags of P000001 weigh what they weigh (make_rows gives every bag 5200 g)."""
    rows = [r for r in make_rows(2, 2) if r["product_sku"] == "P000001"]
    for r in rows:
        r.update(weight_g=WEIGHTS[r["variant_sku"]], length_cm="", width_cm="", height_cm="")
    import_catalog(store, write_csv(tmp_path / "bags.csv", rows))


def test_a_floor_sheet_carries_each_variants_own_weight(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    floors = make_floors(store, tmp_path, monkeypatch, products=2, variants=2)
    rebag(store, tmp_path)
    assert floors.push("voso").outcome == "ok"
    upload = load_assisted_config("voso").upload
    header = next(c.header for c in upload.columns if c.value == "weight_g").strip().lower()
    sku_header = next(c.header for c in upload.columns if c.value == "variant_sku").strip().lower()
    with open_table(floors.open_pack("voso") / upload.file_name) as table:
        weights = {str(r.values[sku_header]): str(r.values[header]) for r in table.rows()}
    assert {sku: weights[sku] for sku in WEIGHTS} == WEIGHTS
    assert weights["P000000-V0"] == weights["P000000-V1"] == "5200"  # one package for both: as before
