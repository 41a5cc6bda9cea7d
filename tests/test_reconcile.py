"""Reconcile: drift made by hand on a marketplace is corrected; our items are adopted, never duplicated."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from core.catalog.importer import import_catalog
from core.db import Store
from core.sync.models import LISTING
from core.sync.reconcile import ReconcileReport, reconcile_job
from tests.catalog_files import make_rows, write_csv
from tests.floors_world import POSTMART_USER, make_floors
from tests.sync_world import World, make_world

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py


def reconcile(world: World) -> ReconcileReport:
    async def run() -> ReconcileReport:
        async with world.http() as http:
            report, error = await reconcile_job(world.store, world.account(), http, trigger="test")
            assert error is None
            assert report is not None
            return report

    return asyncio.run(run())


def item(world: World, sku: str) -> object:
    [found] = [i for i in world.items() if i.item_sku == sku]
    return found


def models(world: World, sku: str) -> dict[str, tuple[int, int]]:
    return {m.model_sku: (m.original_price, m.seller_stock) for m in item(world, sku).models.values()}  # type: ignore[attr-defined]


def test_prices_and_stock_edited_by_hand_are_put_back(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=3, variants=2)
    world.push()
    target = item(world, "P000001")
    by_sku = {m.model_sku: m.model_id for m in target.models.values()}  # type: ignore[attr-defined]
    world.sandbox.set_price(target.item_id, 99_000, by_sku["P000001-V0"])  # type: ignore[attr-defined]
    world.sandbox.set_stock(target.item_id, 500, by_sku["P000001-V1"])  # type: ignore[attr-defined]
    report = reconcile(world)
    assert (report.checked, report.price_drift, report.stock_drift) == (3, 1, 1)
    assert any("99000" in note for note in report.notes)
    result = world.push()
    assert (result.report.prices, result.report.stocks, result.report.created) == (1, 1, 0)
    assert models(world, "P000001") == {"P000001-V0": (10_001, 1), "P000001-V1": (11_001, 2)}
    assert reconcile(world).drift == 0


def test_an_item_deleted_on_the_marketplace_is_created_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=1)
    world.push()
    gone = item(world, "P000000")
    world.sandbox.set_item_status(gone.item_id, "SELLER_DELETE")  # type: ignore[attr-defined]
    assert reconcile(world).missing == 1
    assert world.push().report.created == 1
    assert len([i for i in world.items() if i.item_sku == "P000000"]) == 1


def test_a_banned_item_is_flagged_for_a_person(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=1)
    world.push()
    world.sandbox.ban_item(item(world, "P000001").item_id)  # type: ignore[attr-defined]
    report = reconcile(world)
    assert report.flagged == 1
    with store.engine.connect() as conn:
        banned = conn.execute(select(LISTING.c.status, LISTING.c.last_error).where(LISTING.c.status == "banned")).one()
    assert "banned by the marketplace" in banned.last_error


def test_an_item_already_carrying_our_sku_is_adopted_not_duplicated(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=1)
    made_by_hand = world.sandbox.create_item(14701711, "Gạo làm bằng tay", price=1234, stock=9, item_sku="P000000")
    tiers = [{"name": "Khối lượng", "option_list": [{"option": "1kg"}]}]
    world.sandbox.set_tiers(made_by_hand.item_id, tiers, [([0], "P000000-V0", 1234, 9)])
    report = reconcile(world)
    assert report.adopted == 1
    result = world.push()
    assert result.report.created == 1  # only P000001: P000000 was adopted
    assert len([i for i in world.items() if i.item_sku == "P000000"]) == 1
    assert models(world, "P000000") == {"P000000-V0": (10_000, 0)}


def test_drift_on_an_item_without_variations_is_found(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shopee names a one-variant item by the product SKU only; reconcile still matches its variant."""
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=1)
    rows = make_rows(2, 1)
    for r in rows:
        r["option1_name"] = r["option1_value"] = ""
    import_catalog(store, write_csv(tmp_path / "plain.csv", rows))
    world.push()
    single = item(world, "P000000")
    assert not single.tier_variation  # type: ignore[attr-defined]
    world.sandbox.set_stock(single.item_id, 321)  # type: ignore[attr-defined]
    report = reconcile(world)
    assert (report.stock_drift, report.price_drift) == (1, 0)
    assert world.push().report.stocks == 1
    assert world.sandbox.model(single.item_id).seller_stock == 0  # type: ignore[attr-defined]


def test_a_variant_deleted_by_hand_is_flagged_and_the_next_sync_restores_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=2)
    world.push()
    target = item(world, "P000001")
    by_sku = {m.model_sku: m.model_id for m in target.models.values()}  # type: ignore[attr-defined]
    del target.models[by_sku["P000001-V1"]]  # type: ignore[attr-defined]  # the seller deletes a model by hand
    assert set(models(world, "P000001")) == {"P000001-V0"}
    report = reconcile(world)
    assert (report.variant_missing, report.missing, report.drift) == (1, 0, 1)
    assert report.counts()["variant_missing"] == 1
    [note] = report.notes
    assert "P000001-V1" in note and "archive the variant" in note
    with store.engine.connect() as conn:
        [bound] = conn.execute(select(LISTING.c.models).where(LISTING.c.item_id == str(target.item_id))).scalars()  # type: ignore[attr-defined]
    assert set(bound) == {"P000001-V0"}
    result = world.push()
    # The listing is updated (the variant added back), then its price and stock are sent; nothing is created.
    assert (result.report.created, result.report.updated, result.outcome) == (0, 1, "ok")
    assert models(world, "P000001") == {"P000001-V0": (10_001, 1), "P000001-V1": (11_001, 2)}
    assert reconcile(world).drift == 0
    assert world.push().report.updated == 0  # settled: nothing more to send


def test_a_listing_rejected_in_review_is_flagged_for_a_person(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Postmart reviews products; one it rejects is kept on the listing with what the seller must do."""
    floors = make_floors(store, tmp_path, monkeypatch, products=2, variants=1)
    assert floors.push("postmart").outcome == "ok"
    with store.engine.connect() as conn:
        item_id = conn.execute(
            select(LISTING.c.item_id).where(LISTING.c.account_id == floors.account("postmart").id).limit(1)
        ).scalar_one()
    floors.postmart.reject(int(item_id))

    async def run() -> ReconcileReport | None:
        async with httpx.AsyncClient(transport=floors.transport, timeout=5.0) as http:
            report, error = await reconcile_job(store, floors.account("postmart"), http, trigger="test")
            assert error is None
            return report

    report = asyncio.run(run())
    assert report is not None and report.flagged == 1
    assert any("rejected in review" in note for note in report.notes)
    with store.engine.connect() as conn:
        status, last_error = conn.execute(
            select(LISTING.c.status, LISTING.c.last_error).where(LISTING.c.item_id == item_id)
        ).one()
    assert status == "rejected"
    assert last_error.startswith("rejected in review: fix what the marketplace names")


def test_content_edited_by_hand_is_reported_and_sent_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=2, variants=2)
    world.push()
    assert reconcile(world).content_drift == 0  # what we pushed reads back the same
    edited = item(world, "P000001")
    edited.item_name = "Tên sửa tay"  # type: ignore[attr-defined]
    edited.description = "Mô tả khác hẳn, do người bán gõ trong Seller Centre."  # type: ignore[attr-defined]
    edited.image_ids = edited.image_ids[:1]  # type: ignore[attr-defined]
    report = reconcile(world)
    assert (report.content_drift, report.drift, report.price_drift) == (1, 1, 0)
    notes = "\n".join(report.notes)
    assert "P000001: name on the marketplace is 'Tên sửa tay', we had pushed 'Sản phẩm số 1'" in notes
    assert "P000001: description on the marketplace is" in notes and "P000001: images" in notes
    result = world.push()
    assert (result.report.updated, result.report.prices, result.report.stocks) == (1, 0, 0)
    assert item(world, "P000001").item_name == "Sản phẩm số 1"  # type: ignore[attr-defined]
    assert len(item(world, "P000001").image_ids) == 2  # type: ignore[attr-defined]
    assert reconcile(world).drift == 0


def test_content_is_not_compared_while_the_catalog_has_changed_since_the_last_push(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=1, variants=1)
    world.push()
    rows = make_rows(1, 1)
    rows[0]["name"] = "Tên mới trong danh mục"
    import_catalog(store, write_csv(tmp_path / "renamed.csv", rows))
    assert reconcile(world).content_drift == 0  # not drift: the next push sends the new name anyway
    assert world.push().report.updated == 1
    assert item(world, "P000000").item_name == "Tên mới trong danh mục"  # type: ignore[attr-defined]


def test_postmart_content_edited_by_hand_is_reported(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    floors = make_floors(store, tmp_path, monkeypatch, products=2, variants=1)
    assert floors.push("postmart").outcome == "ok"
    product = floors.postmart.by_serial(POSTMART_USER, "P000001")
    assert product is not None
    product.name = "Đổi tên trên Postmart"

    async def run() -> ReconcileReport | None:
        async with httpx.AsyncClient(transport=floors.transport, timeout=5.0) as http:
            report, error = await reconcile_job(store, floors.account("postmart"), http, trigger="test")
            assert error is None
            return report

    report = asyncio.run(run())
    assert report is not None and report.content_drift == 1
    assert any("name on the marketplace is 'Đổi tên trên Postmart'" in note for note in report.notes)
    assert floors.push("postmart").report.updated == 1
    assert product.name == "Sản phẩm số 1"
    again = asyncio.run(run())
    assert again is not None and again.drift == 0
