"""What an upload pack asks of a person, section by section: content updates (each field old → new),
prices, delistings (checklist, sheet, confirmed from the floor's product export), and confirming an
older pack that a newer one has superseded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.sync.models import LISTING, OPERATION, UPLOAD_PACK, OpState
from core.sync.pack_confirm import list_packs
from tests.floors_world import Floors, make_floors
from tests.test_floors import _catalog_change, _kinds, upload_and_confirm


@pytest.fixture
def floors(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Floors:
    from core.db import open_store

    floors = make_floors(open_store(sqlite_url), tmp_path, monkeypatch)
    assert floors.push("voso").pack.pack_id == 1  # type: ignore[union-attr]
    upload_and_confirm(floors, "voso")
    return floors


def _checklist(pack: Path) -> str:
    return (pack / "checklist.md").read_text(encoding="utf-8")


def _sheet(pack: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    rows = list(load_workbook(pack / "voso-tai-len.xlsx", read_only=True).active.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _listing(floors: Floors, product_sku: str) -> Any:
    """The voso account's binding of a product."""
    from core.models import PRODUCT

    query = select(LISTING).join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id)
    with floors.store.engine.connect() as conn:
        return conn.execute(
            query.where(PRODUCT.c.sku == product_sku, LISTING.c.account_id == floors.account("voso").id)
        ).one()


def test_an_update_says_which_fields_changed_and_a_price_change_says_old_to_new(floors: Floors, tmp_path: Path) -> None:
    renamed = {"name": "Gạo thơm Dân Tiến", "brand": "HTX Dân Tiến", "description": "Gạo thơm, hạt dài."}
    _catalog_change(floors, tmp_path, P000000_V0={**renamed, "price_vnd": "12.500"}, P000000_V1=renamed)
    assert floors.push("voso").pack.pack_id == 2  # type: ignore[union-attr]
    pack = floors.open_pack("voso")
    checklist = _checklist(pack)
    assert "## Cập nhật thông tin sản phẩm (1)" in checklist
    [row] = [line for line in checklist.splitlines() if line.startswith("| [ ] | P000000 |")]
    assert "Tên: Sản phẩm số 0 → Gạo thơm Dân Tiến" in row
    assert "Thương hiệu: Dân Tiến → HTX Dân Tiến" in row
    assert "Mô tả: đã sửa (" in row
    assert "Danh mục" not in row and "Ảnh:" not in row  # unchanged fields are not listed
    assert "P000000_1.jpg, P000000_2.jpg |" in row  # the images to give again, by name
    assert "## Thay đổi giá (1)" in checklist
    assert "| [ ] | P000000-V0 | Gạo thơm Dân Tiến | 10.000 đ → 12.500 đ |" in checklist
    assert "Tên: Sản phẩm số 0 → Gạo thơm Dân Tiến" in (pack / "checklist.html").read_text(encoding="utf-8")
    actions = {row["Mã SKU"]: row["Thao tác"] for row in _sheet(pack)}
    assert actions == {"P000000-V0": "Cập nhật, Đổi giá", "P000000-V1": "Cập nhật"}

    # Confirmed, then changed again: the next update compares with what was confirmed, not the catalog's start.
    upload_and_confirm(floors, "voso")
    again = {**renamed, "name": "Gạo thơm Dân Tiến 2024"}
    _catalog_change(floors, tmp_path, P000000_V0={**again, "price_vnd": "12.500"}, P000000_V1=again)
    assert floors.push("voso").pack.pack_id == 3  # type: ignore[union-attr]
    row = next(line for line in _checklist(floors.open_pack("voso")).splitlines() if "| P000000 |" in line)
    assert "Tên: Gạo thơm Dân Tiến → Gạo thơm Dân Tiến 2024 |" in row


def test_an_update_whose_confirmed_content_no_pack_records_says_so(floors: Floors, tmp_path: Path) -> None:
    import shutil

    for pack in floors.pack_dirs("voso"):
        shutil.rmtree(pack)  # the packs folder cleared by hand
    _catalog_change(floors, tmp_path, P000000_V0={"name": "Gạo mới"}, P000000_V1={"name": "Gạo mới"})
    floors.push("voso")
    assert "không còn gói cũ để so sánh" in _checklist(floors.open_pack("voso"))


def test_a_delisting_is_listed_put_in_the_sheet_and_confirmed_only_once_the_export_shows_it_gone(
    floors: Floors, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    centre = floors.centres["voso"]
    archived = {"status": "archived"}
    _catalog_change(floors, tmp_path, P000001_V0=archived, P000001_V1=archived)
    assert floors.push("voso").pack.pack_id == 2  # type: ignore[union-attr]
    pack = floors.open_pack("voso")
    assert _kinds(floors, pack) == [("delist", None, None)]
    checklist = _checklist(pack)
    assert "## Ngừng bán (1)" in checklist and "| [ ] | P000001 | Sản phẩm số 1 |" in checklist
    assert "Sản phẩm mới" not in checklist and "Thay đổi giá" not in checklist
    sheet = _sheet(pack)
    assert {(row["Mã SKU"], row["Thao tác"]) for row in sheet} == {("P000001-V0", "Ngừng bán"),
                                                                  ("P000001-V1", "Ngừng bán")}  # fmt: skip
    assert all(row["Giá bán (VNĐ)"] is None and row["Tồn kho"] is None for row in sheet)

    # The export taken before the upload still shows the product on sale: nothing is confirmed.
    command = ("assisted", "confirm", "--seller", floors.seller, "--channel", "voso", "--from-export")
    capsys.readouterr()
    assert floors.cli(*command, str(centre.export_products(tmp_path, "truoc"))) == 0
    assert "not shown by the export" in capsys.readouterr().out
    assert _listing(floors, "P000001").status == "live"

    assert centre.import_pack(pack) == 2
    assert not centre.products["P000001-V0"].visible
    assert floors.cli(*command, str(centre.export_products(tmp_path, "sau"))) == 0
    assert _listing(floors, "P000001").status == "delisted"
    assert floors.push("voso").pack.pack_id is None  # type: ignore[union-attr]  # nothing left to ask


def test_an_older_superseded_pack_can_be_confirmed_and_the_newer_one_keeps_only_the_rest(
    floors: Floors, tmp_path: Path
) -> None:
    store = floors.store
    _catalog_change(floors, tmp_path, P000000_V0={"price_vnd": "12.500"})
    assert floors.push("voso").pack.pack_id == 2  # type: ignore[union-attr]
    pack2 = floors.open_pack("voso")
    _catalog_change(floors, tmp_path, P000000_V0={"price_vnd": "12.500"}, P000001_V1={"stock": "9"})
    assert floors.push("voso").pack.pack_id == 3  # type: ignore[union-attr]

    # The person had already uploaded pack 2: they confirm that one.
    floors.centres["voso"].import_pack(pack2)
    assert floors.cli("assisted", "confirm", "--seller", floors.seller, "--channel", "voso", "--pack", "2") == 0
    assert _listing(floors, "P000000").prices["P000000-V0"] == 12_500
    assert _listing(floors, "P000001").stocks["P000001-V1"] == 2  # pack 3's change is still waiting
    states = {v.id: v.state for v in list_packs(store, floors.account("voso").id)}
    assert states == {1: "confirmed", 2: "confirmed", 3: "open"}

    fourth = floors.push("voso").pack
    assert fourth is not None and (fourth.pack_id, fourth.replaced) == (4, 3)
    pack4 = floors.open_pack("voso")
    assert _kinds(floors, pack4) == [("stock", "P000001-V1", 9)]
    assert "Thay đổi giá" not in _checklist(pack4)
    with store.engine.connect() as conn:
        assert conn.execute(select(UPLOAD_PACK.c.state).where(UPLOAD_PACK.c.id == 3)).scalar() == "superseded"
        done = conn.execute(select(OPERATION.c.kind).where(OPERATION.c.state == OpState.DONE.value,
                                                           OPERATION.c.pack_id == 3)).scalars().all()  # fmt: skip
    assert done == ["price"]  # confirmed through pack 2, though pack 3 held it last
