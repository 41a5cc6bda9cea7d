"""A product archived, then active again, synced to Postmart: it goes off the shelf, then back on sale.

The sync engine plans an update for a delisted listing whose product is active again; the update must
put the product back on sale on Postmart (``goods_state``, ASSUMED in config/channels/postmart.toml), not
only record the listing as live in chosync.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core.catalog.importer import import_catalog
from core.db import Store
from core.sync.models import LISTING
from tests.catalog_files import make_rows, write_csv
from tests.floors_world import POSTMART_USER, Floors, make_floors

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py

PRODUCT = "P000001"


def _status(floors: Floors, sku: str) -> tuple[int, str]:
    """(goods_state on the sandbox, chosync's listing status) for the product ``sku``."""
    product = floors.postmart.by_serial(POSTMART_USER, sku)
    assert product is not None
    with floors.store.engine.connect() as conn:
        status = conn.execute(select(LISTING.c.status).where(LISTING.c.item_id == str(product.spu_id))).scalar_one()
    return product.state, str(status)


def _import(floors: Floors, tmp_path: Path, name: str, *, archived: bool) -> None:
    rows = make_rows(2, 1)
    if archived:
        rows[1]["status"] = "archived"
    import_catalog(floors.store, write_csv(tmp_path / name, rows))


def test_a_product_archived_then_reactivated_is_back_on_sale_on_postmart(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    floors = make_floors(store, tmp_path, monkeypatch, products=2, variants=1)
    on, off = floors.postmart.contract.listing.on_value, floors.postmart.contract.listing.off_value
    assert floors.push("postmart").report.created == 2
    assert _status(floors, PRODUCT) == (on, "live")

    _import(floors, tmp_path, "archived.csv", archived=True)
    result = floors.push("postmart")
    assert (result.outcome, result.report.delisted) == ("ok", 1)
    assert _status(floors, PRODUCT) == (off, "delisted")

    _import(floors, tmp_path, "active.csv", archived=False)
    result = floors.push("postmart")
    assert (result.outcome, result.report.updated, result.report.created) == ("ok", 1, 0), result.report.failures
    assert _status(floors, PRODUCT) == (on, "live")
    assert _status(floors, "P000000") == (on, "live")  # the other product was never touched
    assert len(floors.postmart.live_products(POSTMART_USER)) == 2  # back on sale, not created again
