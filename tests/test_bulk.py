"""Bulk statements store exactly what ``Connection.execute`` stores, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Connection, Insert, Update, bindparam, insert, text, update

from core.catalog.bulk import BulkStatement
from core.db import Store
from core.models import PRODUCT, VARIANT
from core.sellers import add_seller

# A Hanoi time, stored as UTC by the UTCDateTime type whichever path writes it.
NOW = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=7)))
PRODUCT_KEYS = ("seller_id", "sku", "name", "category", "images", "attributes", "ocop_year", "status")
VARIANT_KEYS = ("product_id", "seller_id", "sku", "price_vnd", "list_price_vnd", "length_cm", "stock_on_hand", "status")


def product_rows(seller_id: int, prefix: str) -> list[tuple[Any, ...]]:
    return [
        (
            seller_id,
            f"{prefix}-1",
            "Gạo ST25",
            "Gạo",
            ["https://cdn.example/a.jpg"],
            {"Hạn": "12 tháng"},
            2023,
            "active",
        ),
        (seller_id, f"{prefix}-2", "Trà 'sen'", "Trà", [], {}, None, "archived"),
    ]


def stored(conn: Connection, table_name: str, prefix: str) -> list[tuple[Any, ...]]:
    """Rows as the database driver returns them, without SQLAlchemy's result processing, ids left out."""
    query = text(f"SELECT * FROM {table_name} WHERE sku LIKE :pattern ORDER BY sku")
    rows = conn.execute(query, {"pattern": f"{prefix}-%"}).fetchall()
    return [tuple(row)[1:] for row in rows]


def both_ways(conn: Connection, statement: Insert | Update, keys: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    conn.execute(statement, [dict(zip(keys, row, strict=True)) for row in rows])


@pytest.fixture
def seller_id(store: Store) -> int:
    add_seller(store, "HTX-A", name="Hợp tác xã A")
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT id FROM seller WHERE code = 'HTX-A'").scalar_one())


def test_inserts_store_what_execute_stores(store: Store, seller_id: int) -> None:
    statement = insert(PRODUCT).values(created_at=NOW, updated_at=NOW)
    with store.engine.begin() as conn:
        both_ways(conn, statement, PRODUCT_KEYS, product_rows(seller_id, "ORM"))
        assert BulkStatement(conn, statement, PRODUCT_KEYS).execute(product_rows(seller_id, "BULK")) == 2
        orm, bulk = stored(conn, "product", "ORM"), stored(conn, "product", "BULK")
    assert [r[:1] + r[2:] for r in orm] == [r[:1] + r[2:] for r in bulk]  # all but the SKU
    assert len(orm) == 2


def test_column_defaults_are_filled_in_as_execute_fills_them(store: Store, seller_id: int) -> None:
    with store.engine.begin() as conn:
        both_ways(
            conn, insert(PRODUCT).values(created_at=NOW, updated_at=NOW), PRODUCT_KEYS, product_rows(seller_id, "P")
        )
        product_id = conn.exec_driver_sql("SELECT id FROM product WHERE sku = 'P-1'").scalar_one()
        statement = insert(VARIANT).values(created_at=NOW, updated_at=NOW)
        both_ways(conn, statement, VARIANT_KEYS, [(product_id, seller_id, "ORM-1", 175000, None, 8.5, 40, "active")])
        BulkStatement(conn, statement, VARIANT_KEYS).execute(
            [(product_id, seller_id, "BULK-1", 175000, None, 8.5, 40, "active")]
        )
        orm, bulk = stored(conn, "variant", "ORM"), stored(conn, "variant", "BULK")
    assert [r[:2] + r[3:] for r in orm] == [r[:2] + r[3:] for r in bulk]


def test_updates_by_id_store_what_execute_stores(store: Store, seller_id: int) -> None:
    later = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
    statement = (
        update(PRODUCT)
        .where(PRODUCT.c.id == bindparam("_id"))
        .values(name=bindparam("name"), images=bindparam("images"), updated_at=later)
    )
    with store.engine.begin() as conn:
        insert_statement = insert(PRODUCT).values(created_at=NOW, updated_at=NOW)
        both_ways(
            conn, insert_statement, PRODUCT_KEYS, product_rows(seller_id, "ORM") + product_rows(seller_id, "BULK")
        )
        ids = dict(conn.exec_driver_sql("SELECT sku, id FROM product").fetchall())
        both_ways(conn, statement, ("name", "images", "_id"), [("Gạo mới", ["https://x.example/b.jpg"], ids["ORM-1"])])
        BulkStatement(conn, statement, ("name", "images", "_id")).execute(
            [("Gạo mới", ["https://x.example/b.jpg"], ids["BULK-1"])]
        )
        orm, bulk = stored(conn, "product", "ORM"), stored(conn, "product", "BULK")
    assert [r[:1] + r[2:] for r in orm] == [r[:1] + r[2:] for r in bulk]
    assert "Gạo mới" in orm[0]


def test_statements_with_computed_values_are_refused(store: Store) -> None:
    with store.engine.connect() as conn, pytest.raises(ValueError, match="RETURNING"):
        BulkStatement(conn, insert(PRODUCT).returning(PRODUCT.c.id), PRODUCT_KEYS)
