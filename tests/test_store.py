"""The store on every backend: migrations match the models, times and money survive the round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel

from core.db import MIGRATIONS_DIR, Store, open_store
from core.errors import ConfigError
from core.models import Product, Seller, SellerKind, Variant


def test_migrations_create_exactly_the_modelled_schema(empty_database_url: str) -> None:
    store = open_store(empty_database_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    assert {"seller", "product", "variant"} <= set(inspect(store.engine).get_table_names())
    store.dispose()


def test_opening_twice_is_harmless(empty_database_url: str) -> None:
    open_store(empty_database_url).dispose()
    again = open_store(empty_database_url)
    with again.engine.connect() as conn:
        revision = conn.exec_driver_sql("select version_num from alembic_version").scalar_one()
    assert revision == ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    again.dispose()


def test_times_come_back_in_utc_and_prices_exact(store: Store) -> None:
    hanoi = timezone(timedelta(hours=7))
    created = datetime(2026, 11, 28, 9, 30, tzinfo=hanoi)
    with store.session() as session:
        seller = Seller(code="HTX-A", name="Hợp tác xã A", kind=SellerKind.COOPERATIVE, created_at=created)
        session.add(seller)
        session.flush()
        assert seller.id is not None
        product = Product(seller_id=seller.id, sku="P1", name="Gạo", category="Gạo")
        session.add(product)
        session.flush()
        assert product.id is not None
        session.add(Variant(product_id=product.id, seller_id=seller.id, sku="V1", price_vnd=9_999_999_999))
    with store.session() as session:
        stored = session.exec(select(Seller)).scalars().one()  # type: ignore[call-overload]
        variant = session.exec(select(Variant)).scalars().one()  # type: ignore[call-overload]
    assert stored.created_at == created
    assert stored.created_at.tzinfo is not None and stored.created_at.utcoffset() == timedelta(0)
    assert stored.created_at.astimezone(UTC).hour == 2
    assert variant.price_vnd == 9_999_999_999


def test_naive_datetimes_are_refused(store: Store) -> None:
    seller = Seller(code="X", name="X", created_at=datetime(2026, 1, 1))  # noqa: DTZ001
    with store.session() as session:
        session.add(seller)
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()
        session.rollback()


def test_a_url_that_is_not_a_database_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a database URL"):
        open_store("not a url at all")


def test_unreachable_postgres_is_a_config_error_without_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        open_store("postgresql+psycopg://chosync:hunter2secret@127.0.0.1:1/chosync")
    assert "hunter2secret" not in str(caught.value)
    assert "CHOSYNC_DATABASE_URL" in (caught.value.hint or "")


def _at_0010_with_sellers(url: str, *codes: str) -> Store:
    store = open_store(url, migrate=False)
    store.migrate("0010")
    with store.engine.begin() as conn:
        for code in codes:
            conn.execute(
                text("INSERT INTO seller (code, name, kind, created_at) VALUES (:code, :code, 'household', :now)"),
                {"code": code, "now": datetime.now(UTC)},
            )
        conn.execute(
            text("INSERT INTO job_request (kind, seller, \"full\", requested_by, requested_at) "
                 "VALUES ('push', :code, false, 'test', :now)"),
            {"code": codes[0], "now": datetime.now(UTC)},
        )  # fmt: skip
    return store


def test_the_migration_upper_cases_stored_seller_codes(empty_database_url: str) -> None:
    store = _at_0010_with_sellers(empty_database_url, "htx-c", "Hkd-Ba", "HTX-D")
    store.migrate()
    with store.engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT code FROM seller")).scalars()) == ["HKD-BA", "HTX-C", "HTX-D"]
        assert conn.execute(text("SELECT seller FROM job_request")).scalar_one() == "HTX-C"
    store.dispose()


def test_codes_that_differ_only_in_case_stop_the_migration_and_lose_nothing(empty_database_url: str) -> None:
    store = _at_0010_with_sellers(empty_database_url, "htx-c", "HTX-C", "Htx-c", "HKD-BA")
    with pytest.raises(ConfigError, match="differ only in case: HTX-C and Htx-c and htx-c") as raised:
        store.migrate()
    assert raised.value.hint is not None and "UPDATE seller SET code" in raised.value.hint
    with store.engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT code FROM seller")).scalars()) == ["HKD-BA", "HTX-C", "Htx-c", "htx-c"]
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0010"
    store.dispose()
