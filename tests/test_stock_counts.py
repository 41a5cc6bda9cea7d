"""A file's stock figure is a count the seller gives, not a copy over on hand (issue 19, part 3).

Re-importing the same file after a sale changes nothing; a different figure is a new count, recorded in
the ledger (who, when, from what file, old → new), and sales after it still count.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from core.catalog.exporter import export_catalog
from core.catalog.importer import import_catalog
from core.cli import run
from core.db import Store, open_store
from core.models import VARIANT
from core.sync.models import LEDGER
from tests.catalog_files import make_rows, write_csv
from tests.sync_world import World, make_world

SKU = "P000002-V1"  # 3 on hand: (2 + 1) % 50


def sell(world: World, sku: str, quantity: int) -> None:
    [(item, model)] = [(i, m) for i in world.items() for m in i.models.values() if m.model_sku == sku]
    world.sandbox.place_order(14701711, [(item.item_id, model.model_id, quantity)], status="SHIPPED")


def stock(store: Store, sku: str) -> tuple[int, int | None]:
    with store.engine.connect() as conn:
        row = conn.execute(select(VARIANT.c.stock_on_hand, VARIANT.c.counted_stock).where(VARIANT.c.sku == sku)).one()
    return row.stock_on_hand, row.counted_stock


def counts(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(VARIANT.c.sku, LEDGER.c.on_hand_delta, LEDGER.c.on_hand_after, LEDGER.c.source, LEDGER.c.actor)
                .join(VARIANT, VARIANT.c.id == LEDGER.c.variant_id)
                .where(LEDGER.c.transition == "stocktake")
                .order_by(LEDGER.c.id)
            )
        ]


def shop_stock(world: World, sku: str) -> int:
    return next(m.seller_stock for i in world.items() for m in i.models.values() if m.model_sku == sku)


def test_reimporting_the_same_file_after_a_sale_keeps_the_sale(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=3, variants=2)
    world.push()
    sell(world, SKU, 2)
    assert world.pull().error is None
    assert stock(store, SKU) == (1, 3)
    assert world.catalog is not None
    report = import_catalog(store, world.catalog)  # the very file imported at first
    assert (report.variants_updated, report.products_updated, report.stock_counts) == (0, 0, 0)
    assert stock(store, SKU) == (1, 3)
    assert counts(store) == []
    assert world.push().outcome == "ok"
    assert shop_stock(world, SKU) == 1  # the shop is offered what is really left, not the file's 3 again


def test_a_new_figure_is_a_count_recorded_in_the_ledger_and_later_sales_still_count(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=3, variants=2)
    world.push()
    sell(world, SKU, 2)
    assert world.pull().error is None
    rows = make_rows(3, 2)
    for r in rows:
        if r["variant_sku"] == SKU:
            r["stock"] = "10"
    counted = write_csv(tmp_path / "kiem-kho.csv", rows)
    report = import_catalog(store, counted, actor="thu-kho")
    assert (report.stock_counts, report.variants_updated) == (1, 0)
    assert stock(store, SKU) == (10, 10)
    assert counts(store) == [(SKU, 9, 10, "catalog import kiem-kho.csv", "thu-kho")]  # 1 → 10
    assert world.push().report.stocks == 1
    assert shop_stock(world, SKU) == 10
    sell(world, SKU, 4)
    assert world.pull().error is None
    assert import_catalog(store, counted).stock_counts == 0  # the same count again: no news
    assert stock(store, SKU) == (6, 10)
    assert len(counts(store)) == 1


def test_set_stock_is_a_count_in_the_ledger_too(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_world(store, tmp_path, monkeypatch, products=3, variants=2)
    monkeypatch.setenv("CHOSYNC_DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    assert run(["catalog", "set-stock", SKU, "42", "--seller", "HTX-DANTIEN"]) == 0
    assert "stock on hand 3 → 42" in capsys.readouterr().out
    [(sku, delta, after, source, actor)] = counts(store)
    assert (sku, delta, after, source) == (SKU, 39, 42, "chosync catalog set-stock")
    assert actor
    assert stock(store, SKU) == (42, 42)


def test_export_then_import_after_sales_and_an_oversell_changes_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=3, variants=2)
    world.push()
    sell(world, SKU, 2)
    item_id, model_id = _item_model(world, "P000001-V0")
    world.sandbox.set_stock(item_id, 10, model_id)  # more on the shop than we hold: it oversells
    sell(world, "P000001-V0", 5)  # 1 on hand
    assert world.pull().error is None
    assert stock(store, SKU)[0] == 1 and stock(store, "P000001-V0")[0] == -4
    exported = tmp_path / "export.csv"
    export_catalog(store, exported)
    assert "P000001-V0" in exported.read_text(encoding="utf-8-sig")
    report = import_catalog(store, exported)
    assert (report.products_updated, report.variants_updated, report.stock_counts) == (0, 0, 0)
    assert stock(store, SKU) == (1, 1) and stock(store, "P000001-V0") == (-4, -4)
    assert counts(store) == []


def _item_model(world: World, sku: str) -> tuple[int, int]:
    [(item, model)] = [(i, m) for i in world.items() for m in i.models.values() if m.model_sku == sku]
    return item.item_id, model.model_id


def test_the_migration_gives_existing_variants_the_count_their_on_hand_implies(
    empty_database_url: str, tmp_path: Path
) -> None:
    """A database from before counts: imported with 3, 2 sold since (on hand 1). After the upgrade the
    variant's last count is 3, so re-importing that file leaves on hand at 1."""
    store = open_store(empty_database_url, migrate=False)
    store.migrate("0007")
    now = datetime.now(UTC)

    def insert(sql: str, **values: Any) -> int:
        with store.engine.begin() as conn:
            return int(conn.execute(text(f"{sql} RETURNING id"), {"now": now, **values}).scalar_one())

    seller = insert(
        "INSERT INTO seller (code, name, kind, created_at) VALUES ('HTX-DANTIEN', 'HTX', 'cooperative', :now)"
    )
    product = insert(
        "INSERT INTO product (seller_id, sku, name, description, category, images, attributes, status, revision, "
        "created_at, updated_at) "
        "VALUES (:s, 'P000002', 'Sản phẩm số 2', '', 'Gạo', '[]', '{}', 'active', 0, :now, :now)",
        s=seller,
    )
    variant = insert(
        "INSERT INTO variant (product_id, seller_id, sku, position, option1_name, option1_value, price_vnd, "
        "stock_on_hand, reserved, status, created_at, updated_at) "
        "VALUES (:p, :s, 'P000002-V1', 0, 'Khối lượng', '2kg', 11002, 1, 0, 'active', :now, :now)",
        p=product, s=seller,
    )  # fmt: skip
    account = insert(
        "INSERT INTO channel_account (seller_id, channel, name, settings, price_markup_percent, round_to_vnd, "
        "stock_buffer, stock_share_percent, enabled, revision, created_at, updated_at) "
        "VALUES (:s, 'shopee', 'shopee', '{}', 0, 0, 0, 100, true, 0, :now, :now)",
        s=seller,
    )
    order = insert(
        "INSERT INTO sales_order (account_id, seller_id, order_id, status, raw_status, placed_at, changed_at, "
        "currency, total_vnd, created_at, updated_at) "
        "VALUES (:a, :s, 'O1', 'shipped', 'SHIPPED', :now, :now, 'VND', 22004, :now, :now)",
        a=account, s=seller,
    )  # fmt: skip
    line = insert(
        "INSERT INTO order_line (order_id, line_id, variant_id, variant_sku, item_id, model_id, quantity, "
        "unit_price_vnd, ledger_state) VALUES (:o, 'L1', :v, 'P000002-V1', '1', '2', 2, 11002, 'sold')",
        o=order, v=variant,
    )  # fmt: skip
    insert(
        "INSERT INTO ledger_entry (variant_id, order_line_id, transition, on_hand_delta, reserved_delta, created_at) "
        "VALUES (:v, :l, 'sell', -2, 0, :now)",
        v=variant, l=line,
    )  # fmt: skip
    store.migrate()
    assert stock(store, "P000002-V1") == (1, 3)
    rows = [r for r in make_rows(3, 2) if r["product_sku"] == "P000002"]
    report = import_catalog(store, write_csv(tmp_path / "same.csv", rows))
    assert report.stock_counts == 0
    assert stock(store, "P000002-V1") == (1, 3)
    store.dispose()
