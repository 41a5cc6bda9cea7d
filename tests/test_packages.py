"""Each variant ships in its own package, and every marketplace gets what it can take (issue 13, part 2).

Rice in 2 kg and 5 kg bags: Shopee takes a weight and dimensions per model; a marketplace that takes one
package per product gets the largest, with a warning; a floor's upload sheet carries each row's weight.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.floors.config import load_assisted_config
from connectors.shopee.mapper import map_item
from core.catalog.importer import import_catalog
from core.catalog.readers import open_table
from core.db import Store
from core.ports import AccountRules, MappedListing
from tests.catalog_files import make_rows, row, write_csv
from tests.connectors.conftest import make_config
from tests.connectors.sandbox_fixtures import tea
from tests.floors_world import make_floors
from tests.sync_world import World, make_world

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py

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


def models(world: World, sku: str) -> dict[str, tuple[float | None, dict[str, int] | None]]:
    [item] = [i for i in world.items() if i.item_sku == sku]
    return {m.model_sku: (m.weight, m.dimension) for m in item.models.values()}


def test_shopee_models_carry_their_own_weight_and_a_change_updates_only_that_listing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=2)
    rows = [r for r in make_rows(2, 2) if r["product_sku"] == "P000001"]
    sizes = {"P000001-V0": ("1050", "22", "15", "5"), "P000001-V1": ("2100", "27.5", "19", "6.5")}
    for r in rows:
        r["weight_g"], r["length_cm"], r["width_cm"], r["height_cm"] = sizes[r["variant_sku"]]
    import_catalog(store, write_csv(tmp_path / "bags.csv", rows))
    assert world.push().outcome == "ok"
    [bags] = [i for i in world.items() if i.item_sku == "P000001"]
    # add_item takes one package: the heaviest bag's, whole centimetres rounded up.
    assert (bags.weight, bags.dimension) == (2.1, {"package_length": 28, "package_width": 19, "package_height": 7})
    assert models(world, "P000001") == {
        "P000001-V0": (1.05, {"package_length": 22, "package_width": 15, "package_height": 5}),
        "P000001-V1": (2.1, {"package_length": 28, "package_width": 19, "package_height": 7}),
    }
    # One package for both variants of P000000: its models ship as the item says.
    assert models(world, "P000000") == {"P000000-V0": (None, None), "P000000-V1": (None, None)}

    heavier = [row(variant_sku="P000001-V0", weight_g="1200")]
    import_catalog(store, write_csv(tmp_path / "v0.csv", heavier, columns=["seller_code", "variant_sku", "weight_g"]))
    before = world.sandbox.calls("/api/v2/product/update_item")
    result = world.push()
    assert (result.report.updated, result.report.prices, result.report.stocks) == (1, 0, 0)
    assert world.sandbox.calls("/api/v2/product/update_item") == before + 1  # only that listing
    assert models(world, "P000001")["P000001-V0"][0] == 1.2

    same = [row(variant_sku=sku, weight_g="2100") for sku in sizes]  # the bags now weigh the same...
    import_catalog(store, write_csv(tmp_path / "same.csv", same, columns=["seller_code", "variant_sku", "weight_g"]))
    assert world.push().report.updated == 1
    # ...and the models that had their own package are given the item's: one cannot be unset on Shopee.
    assert {sku: weight for sku, (weight, _) in models(world, "P000001").items()} == {
        "P000001-V0": 2.1,
        "P000001-V1": 2.1,
    }


def test_a_single_package_item_hashes_as_before_per_variant_packages() -> None:
    """Listings whose variants share one package must not all be sent again after the upgrade."""
    mapped = map_item(tea(), AccountRules(), make_config())
    assert isinstance(mapped, MappedListing)
    dumped = json.dumps(mapped.content.model_dump(mode="json"))
    assert "weight_kg" not in json.dumps([m.model_dump(mode="json") for m in mapped.content.models])
    assert '"weight_kg": 0.6' in dumped  # the item's own weight is there, as ever


def test_plan_warns_when_a_marketplace_takes_one_package_for_variants_that_differ(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    floors = make_floors(store, tmp_path, monkeypatch, products=2, variants=2)
    rebag(store, tmp_path)
    capsys.readouterr()
    assert floors.cli("plan", "--channel", "postmart", "--json") == 0
    [plan] = json.loads(capsys.readouterr().out)
    [warning] = plan["warnings"]
    assert (warning["sku"], warning["field"]) == ("P000001", "weight_g")
    assert "the largest (2100 g) is declared for every variant" in warning["message"]
    assert [op["product_sku"] for op in plan["operations"]] == ["P000000", "P000001"]  # a warning stops nothing
    assert floors.cli("plan", "--channel", "shopee", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["warnings"] == []  # Shopee takes a package per model
