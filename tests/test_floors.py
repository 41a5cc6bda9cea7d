"""The province's four floors synced end to end: Shopee, Postmart, Voso and the provincial floor.

Shopee and Postmart run on their in-process sandboxes; Voso and the provincial floor (no seller API) on
fake seller centres that import chosync's upload packs and export orders in the configured layouts.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import Store
from core.models import VARIANT
from core.ports import OrderStatus
from core.scheduler.retention import prune_exports
from core.sync.models import OPERATION, UPLOAD_PACK, OpState
from tests.floors_world import ASSISTED, POSTMART_USER, Floors, make_floors

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py

SKU = "P000002-V1"  # 3 on hand: (2 + 1) % 50


def on_hand_reserved(store: Store, sku: str) -> tuple[int, int]:
    with store.engine.connect() as conn:
        row = conn.execute(select(VARIANT.c.stock_on_hand, VARIANT.c.reserved).where(VARIANT.c.sku == sku)).one()
    return int(row[0]), int(row[1])


def shopee_stock(floors: Floors, sku: str) -> int:
    return next(m.seller_stock for i in floors.world.items() for m in i.models.values() if m.model_sku == sku)


def postmart_stock(floors: Floors, sku: str) -> int:
    product = floors.postmart.by_serial(POSTMART_USER, sku.rsplit("-", 1)[0])
    assert product is not None
    return product.sku(sku).stock


def upload_and_confirm(floors: Floors, channel: str) -> None:
    """What the person does: import the open pack in the seller centre, then confirm it."""
    floors.centres[channel].import_pack(floors.open_pack(channel))
    assert floors.cli("assisted", "confirm", "--seller", floors.seller, "--channel", channel) == 0


def test_an_order_on_voso_moves_stock_on_every_floor_and_reaches_the_next_provincial_pack(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    floors = make_floors(store, tmp_path, monkeypatch)
    for channel in ("shopee", "postmart", *ASSISTED):
        result = floors.push(channel)
        assert (result.outcome, result.error) == ("ok", None), channel
    assert floors.push("shopee").report.created == 0  # nothing twice
    assert len(floors.postmart.live_products(POSTMART_USER)) == 3
    for channel in ASSISTED:
        pack = floors.open_pack(channel)
        names = {p.name for p in pack.iterdir()}
        assert {"checklist.md", "checklist.html", "manifest.json", "images"} <= names
        assert len(list((pack / "images").iterdir())) == 6  # two per product, named by product SKU
        assert "Sản phẩm mới (6)" in (pack / "checklist.md").read_text(encoding="utf-8")
        upload_and_confirm(floors, channel)
        assert floors.centres[channel].products[SKU].stock == 3
        again = floors.push(channel)
        assert again.pack is not None and again.pack.pack_id is None  # nothing left to upload
    assert (shopee_stock(floors, SKU), postmart_stock(floors, SKU)) == (3, 3)

    # A buyer orders two on Voso; the seller centre's export comes back through the inbox.
    voso = floors.centres["voso"]
    voso.place_order("VS-1001", [(SKU, 2)])
    export = voso.export_orders(tmp_path)
    capsys.readouterr()
    assert floors.cli("orders", "import", str(export), "--seller", floors.seller, "--channel", "voso") == 0
    assert "1 new order(s)" in capsys.readouterr().out
    assert on_hand_reserved(store, SKU) == (3, 2)
    assert (floors.folders["voso"] / "processed" / export.name).is_file()

    for channel in ("shopee", "postmart"):
        assert floors.push(channel).report.stocks == 1, channel
    assert (shopee_stock(floors, SKU), postmart_stock(floors, SKU)) == (1, 1)

    provincial = floors.push("provincial")
    assert provincial.pack is not None and provincial.pack.entries == 1
    pack = floors.open_pack("provincial")
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    assert "## Thay đổi tồn kho (1)" in checklist
    assert f"| [ ] | {SKU} | Sản phẩm số 2 | 3 → 1 |" in checklist
    assert "Sản phẩm mới" not in checklist  # confirmed in the first pack: never repeated
    assert [e["kind"] for e in floors.manifest(pack)["entries"]] == ["stock"]
    assert "3 → 1" in (pack / "checklist.html").read_text(encoding="utf-8")
    upload_and_confirm(floors, "provincial")
    assert floors.centres["provincial"].products[SKU].stock == 1

    # The order ships: stock leaves the shelf, reservations end, and no floor needs another change.
    voso.set_status("VS-1001", OrderStatus.SHIPPED)
    assert floors.cli("orders", "import", str(voso.export_orders(tmp_path)), "--seller", floors.seller,
                      "--channel", "voso") == 0  # fmt: skip
    assert on_hand_reserved(store, SKU) == (1, 0)
    assert floors.push("shopee").report.stocks == 0
    assert floors.push("provincial").pack.pack_id is None  # type: ignore[union-attr]


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Store:
    from core.db import open_store

    return open_store(sqlite_url)


@pytest.mark.parametrize("crash_at", ["images", "files"])
def test_a_pack_is_never_half_written_and_the_next_push_writes_it_whole(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_at: str
) -> None:
    """A crash while images are fetched (before the pack is recorded) or while its files are written
    (after): no half pack is ever visible, and the next push writes the pack whole."""
    floors = make_floors(sqlite_store, tmp_path, monkeypatch)
    from core.sync import packs

    def crash(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt("power cut")  # not a ChosyncError: nothing above may swallow it

    with monkeypatch.context() as patched:
        if crash_at == "images":
            patched.setattr(packs._Builder, "_images", crash)
        else:
            real = packs._write_files

            def half_then_crash(stage: Path, *args: object) -> None:
                real(stage, *args)  # type: ignore[arg-type]
                (stage / "checklist.md").unlink()  # as if cut mid-way
                crash()

            patched.setattr(packs, "_write_files", half_then_crash)
        with pytest.raises(KeyboardInterrupt):
            floors.push("voso")
    assert floors.pack_dirs("voso") == []  # nothing visible, whole or half
    with sqlite_store.engine.connect() as conn:
        recorded = list(conn.execute(select(UPLOAD_PACK.c.id, UPLOAD_PACK.c.state)))
    assert recorded == ([] if crash_at == "images" else [(1, "open")])
    result = floors.push("voso")
    assert result.pack is not None and result.pack.pack_id == 1 and result.pack.written
    [pack] = floors.pack_dirs("voso")
    assert {p.name for p in pack.iterdir()} == {"voso-tai-len.xlsx", "images", "checklist.md", "checklist.html",
                                                 "manifest.json"}  # fmt: skip
    assert len(floors.manifest(pack)["entries"]) == 3
    assert floors.centres["voso"].import_pack(pack) == 6


def _catalog_change(floors: Floors, tmp_path: Path, **changes: dict[str, str]) -> None:
    """Re-import the catalog with some variants' columns changed (by variant SKU)."""
    import csv

    from core.catalog.importer import import_catalog
    from tests.catalog_files import make_rows, write_csv

    rows = make_rows(3, 2)
    for row in rows:
        row.update(changes.get(row["variant_sku"].replace("-", "_"), {}))
    path = write_csv(tmp_path / "catalog-2.csv", rows)
    assert csv  # the rows are written as a seller's spreadsheet would be
    import_catalog(floors.store, path)


def _kinds(floors: Floors, pack: Path) -> list[tuple[str, str | None, int | None]]:
    return [(e["kind"], e["variant_sku"], e["new"]) for e in floors.manifest(pack)["entries"]]


def test_a_later_pack_never_repeats_what_was_confirmed_and_always_repeats_what_was_not(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    floors = make_floors(sqlite_store, tmp_path, monkeypatch)
    centre = floors.centres["voso"]
    assert floors.push("voso").pack.pack_id == 1  # type: ignore[union-attr]
    upload_and_confirm(floors, "voso")

    _catalog_change(floors, tmp_path, P000000_V0={"price_vnd": "12.500"})
    assert floors.push("voso").pack.pack_id == 2  # type: ignore[union-attr]
    assert _kinds(floors, floors.open_pack("voso")) == [("price", "P000000-V0", 12500)]
    assert floors.push("voso").pack.pack_id == 2  # type: ignore[union-attr]  # nothing new: the same pack
    assert len(floors.pack_dirs("voso")) == 2

    # Pack 2 is not confirmed; another change comes: pack 3 repeats pack 2's and adds the new one.
    _catalog_change(floors, tmp_path, P000000_V0={"price_vnd": "12.500"}, P000001_V1={"stock": "9"})
    third = floors.push("voso").pack
    assert third is not None and (third.pack_id, third.replaced) == (3, 2)
    pack3 = floors.open_pack("voso")
    assert sorted(_kinds(floors, pack3)) == [("price", "P000000-V0", 12500), ("stock", "P000001-V1", 9)]
    assert "thay cho gói số 2" in (pack3 / "checklist.md").read_text(encoding="utf-8")
    with sqlite_store.engine.connect() as conn:
        assert dict(conn.execute(select(UPLOAD_PACK.c.id, UPLOAD_PACK.c.state)).all()) == {
            1: "confirmed", 2: "superseded", 3: "open"
        }  # fmt: skip

    # The seller centre shows the price but sold one unit meanwhile: the export confirms only the price.
    centre.import_pack(pack3)
    centre.products["P000001-V1"].stock -= 1
    export = centre.export_products(tmp_path)
    assert floors.cli("assisted", "confirm", "--seller", floors.seller, "--channel", "voso", "--from-export",
                      str(export)) == 0  # fmt: skip
    fourth = floors.push("voso").pack
    assert fourth is not None and fourth.pack_id == 4
    assert _kinds(floors, floors.open_pack("voso")) == [("stock", "P000001-V1", 9)]

    upload_and_confirm(floors, "voso")
    assert floors.push("voso").pack.pack_id is None  # type: ignore[union-attr]
    with sqlite_store.engine.connect() as conn:
        states = {row[0] for row in conn.execute(select(OPERATION.c.state).where(OPERATION.c.pack_id.is_not(None)))}
    assert states == {OpState.DONE.value}
    # Confirming again changes nothing.
    assert floors.cli("assisted", "confirm", "--seller", floors.seller, "--channel", "voso", "--pack", "4") == 0


def test_a_malformed_order_export_is_rejected_whole_with_every_bad_row_named(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.catalog_files import write_csv

    floors = make_floors(sqlite_store, tmp_path, monkeypatch)
    header = ["Số đơn", "Tình trạng", "Ngày đặt", "Mã hàng", "SL", "Đơn giá"]
    rows = [
        ["TV-1", "Mới", "01/06/2024 09:30", SKU, "1", "12.001"],  # good
        ["TV-2", "Lạ", "01/06/2024 09:31", SKU, "1", "12.001"],  # unknown status
        ["TV-3", "Mới", "31/02/2024 09:32", SKU, "hai", "12.001"],  # bad date and quantity
        ["", "Mới", "01/06/2024 09:33", SKU, "1", "12,5"],  # no order id, ambiguous price
    ]
    export = write_csv(tmp_path / "don-hang-tinh.csv", [dict(zip(header, r, strict=True)) for r in rows],
                       columns=header)  # fmt: skip
    capsys.readouterr()
    assert floors.cli("orders", "import", str(export), "--seller", floors.seller, "--channel", "provincial") == 1
    err = capsys.readouterr().err
    for expected in ("row 3, column 'Tình trạng'", "row 4, column 'Ngày đặt'", "row 4, column 'SL'",
                     "row 5, column 'Số đơn'", "row 5, column 'Đơn giá'", "nothing was applied"):  # fmt: skip
        assert expected in err, expected
    assert on_hand_reserved(sqlite_store, SKU) == (3, 0)  # not even the good row
    rejected = floors.folders["provincial"] / "rejected"
    assert (rejected / export.name).is_file()
    errors = (rejected / f"{export.name}.errors.txt").read_text(encoding="utf-8")
    assert "5 problems" in errors and "row 2" not in errors
    assert not list((floors.folders["provincial"] / "inbox").iterdir())

    # A file missing a column is refused by its header, also through the inbox (the scheduler's pull).
    inbox = floors.folders["provincial"] / "inbox"
    write_csv(inbox / "thieu-cot.csv", [{"Số đơn": "TV-9"}], columns=["Số đơn", "Tình trạng"])
    report = floors.pull("provincial")
    assert report.outcome == "failed" and report.orders_new == 0
    assert "rejected whole" in (report.error or "")
    assert "column 'Ngày đặt': this column is missing" in (rejected / "thieu-cot.csv.errors.txt").read_text("utf-8")


def test_a_phone_order_is_keyed_in_and_moved_on_by_orders_add(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    floors = make_floors(sqlite_store, tmp_path, monkeypatch)
    add = ("orders", "add", "--seller", floors.seller, "--channel", "voso", "--order-id", "DT-001", "--sku", SKU,
           "--qty", "2")  # fmt: skip
    assert floors.cli(*add) == 0
    assert on_hand_reserved(sqlite_store, SKU) == (3, 2)
    assert floors.cli(*add) == 0  # the same again: nothing moves twice
    assert on_hand_reserved(sqlite_store, SKU) == (3, 2)
    assert floors.cli(*add, "--status", "shipped") == 0
    assert on_hand_reserved(sqlite_store, SKU) == (1, 0)
    capsys.readouterr()
    assert floors.cli("orders", "list", "--json") == 0
    assert '"total_vnd": 22004' in capsys.readouterr().out  # the catalog price, 11 002 đ × 2
    assert floors.cli("orders", "add", "--seller", floors.seller, "--channel", "voso", "--order-id", "DT-002",
                      "--sku", "NOT-A-SKU", "--qty", "1") == 1  # fmt: skip
    assert floors.cli(*add[:-2], "--qty", "1", "--status", "lost") == 2


def test_reconcile_leaves_an_assisted_floor_alone(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no API to read back, reconcile must not take confirmed listings for gone (and re-create them)."""
    import asyncio

    import httpx

    from core.sync.reconcile import reconcile_job

    floors = make_floors(sqlite_store, tmp_path, monkeypatch)
    floors.push("voso")
    upload_and_confirm(floors, "voso")

    async def go() -> tuple[object, str | None]:
        async with httpx.AsyncClient(transport=floors.transport) as http:
            return await reconcile_job(sqlite_store, floors.account("voso"), http, trigger="test")

    report, error = asyncio.run(go())
    assert error is None and "assisted confirm --from-export" in report.notes[0]  # type: ignore[attr-defined]
    assert floors.push("voso").pack.pack_id is None  # type: ignore[union-attr]


def test_status_says_how_chosync_reaches_each_floor(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    floors = make_floors(store, tmp_path, monkeypatch)
    for channel in ("postmart", *ASSISTED):
        floors.push(channel)
    capsys.readouterr()
    assert floors.cli("status", "--json") == 0
    access = {row["channel"]: row["authorisation"] for row in json.loads(capsys.readouterr().out)}
    # Only the OAuth shop has an authorisation that can lapse; the others are never "not connected".
    assert re.fullmatch(r"ok, \d+ d left", access["shopee"])  # the world's tokens run for a year
    assert access["postmart"] == "own login"
    assert access["voso"] == access["provincial"] == "upload packs"


def test_retention_deletes_each_floors_old_order_exports_and_leaves_api_accounts_alone(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    floors = make_floors(store, tmp_path, monkeypatch)
    long_ago = time.time() - 100 * 86400
    for channel in ASSISTED:
        for name in ("old.xlsx", "new.xlsx"):
            path = floors.folders[channel] / "processed" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("buyer: Trần Thị B, 0912 000 111")
        os.utime(floors.folders[channel] / "processed" / "old.xlsx", (long_ago, long_ago))
    assert asyncio.run(prune_exports(store, keep=90 * 86400)) == 2
    for channel in ASSISTED:
        assert [p.name for p in (floors.folders[channel] / "processed").iterdir()] == ["new.xlsx"]
    assert asyncio.run(prune_exports(store, keep=90 * 86400)) == 0
