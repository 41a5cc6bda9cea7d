"""Assisted channels (Voso, the provincial floor): mapper limits, the files they exchange, the inbox.

The fake seller centre (:class:`SellerCentre`) and the connector read the same toml; the layout test
changes a header in a copy of it and sees both follow.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.floors.config import load_assisted_config
from connectors.floors.connector import AssistedConnector, map_listing
from connectors.floors.files import ExportRejected, read_order_export
from connectors.floors.voso import VosoConnector
from connectors.postmart.config import load_postmart_config
from connectors.postmart.connector import PostmartConnector
from core.errors import InputRejected, PermanentError
from core.ports import (
    AccountRules,
    Assisted,
    ListingRef,
    MappedListing,
    OrderStatus,
    UploadLine,
    get_connector_class,
    implements_assisted,
)
from core.settings import PROJECT_ROOT
from simulators.floors.centre import SellerCentre
from tests.catalog_files import write_xlsx
from tests.connectors.postmart_fixtures import rice

pytestmark = pytest.mark.anyio
SNAPSHOT = datetime(2024, 6, 1, 12, tzinfo=UTC)


def voso(tmp_path: Path, config_path: Path | None = None) -> VosoConnector:
    return VosoConnector(load_assisted_config("voso", config_path), folder=tmp_path / "voso")


def lines_for(connector: AssistedConnector, action: str = "new") -> list[UploadLine]:
    mapped = connector.map_product(rice())
    assert isinstance(mapped, MappedListing)
    return [
        UploadLine(action=action, product_sku="GAO-ST25", variant_sku=sku, name=mapped.content.name,
                   listing=mapped.content, price=mapped.prices[sku], stock=mapped.stocks[sku],
                   image_files=("GAO-ST25_1.jpg", "GAO-ST25_2.jpg"))
        for sku in mapped.prices
    ]  # fmt: skip


async def test_only_assisted_connectors_are_assisted(tmp_path: Path) -> None:
    assert get_connector_class("voso") is VosoConnector
    assert get_connector_class("provincial").channel == "provincial"
    assert isinstance(voso(tmp_path), Assisted)
    postmart = PostmartConnector(load_postmart_config(username="u"), http=None, tokens=None, secret="s")  # type: ignore[arg-type]
    assert not isinstance(postmart, Assisted)
    # The same answer from the class alone, before any connector is built.
    kinds = {channel: implements_assisted(get_connector_class(channel)) for channel in ("shopee", "postmart", "voso")}
    assert kinds == {"shopee": False, "postmart": False, "voso": True}


@pytest.mark.parametrize(
    ("channel", "images", "settings", "fields"),
    [
        pytest.param("voso", 9, {}, set(), id="voso-takes-9-images"),
        pytest.param("provincial", 6, {}, {"images"}, id="provincial-takes-5"),
        pytest.param("voso", 2, {"limits": {"name_max_chars": 10}}, {"name"}, id="name-limit-from-toml"),
        pytest.param("voso", 2, {"category_required": True}, {"category"}, id="category-required-by-toml"),
        pytest.param(
            "voso", 2, {"category_map": {"Gạo": "Gạo, ngũ cốc"}, "category_required": True}, set(), id="category-mapped"
        ),
    ],
)
def test_mapper_limits_come_from_the_toml(
    channel: str, images: int, settings: dict[str, object], fields: set[str]
) -> None:
    config = load_assisted_config(channel, **settings)
    mapped = map_listing(rice(images=images), AccountRules(), config)
    assert (set() if isinstance(mapped, MappedListing) else {p.field for p in mapped}) == fields


async def test_api_calls_refuse_with_the_way_forward(tmp_path: Path) -> None:
    connector = voso(tmp_path)
    with pytest.raises(PermanentError, match="voso has no seller API") as refused:
        await connector.create_listing(rice())
    assert "upload pack" in (refused.value.hint or "")
    with pytest.raises(PermanentError, match="read listings back"):
        _ = [state async for state in connector.listing_states()]
    with pytest.raises(PermanentError):
        await connector.delist([ListingRef(item_id="GAO-ST25")])


def test_the_upload_sheet_has_the_floors_columns_one_row_per_variant(tmp_path: Path) -> None:
    connector = voso(tmp_path)
    lines = lines_for(connector)
    lines[1] = UploadLine("price+stock", "GAO-ST25", lines[1].variant_sku, lines[1].name, lines[1].listing, 1, 2)
    name = connector.write_upload_sheet(tmp_path, lines)
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / name).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [c.header for c in connector.config.upload.columns]
    assert rows[1][:5] == ("Thêm mới", "GAO-ST25", "GAO-ST25-1KG", "Gạo ST25 Dân Tiến", "Gạo")
    assert rows[2][0] == "Đổi giá, Đổi tồn kho" and rows[2][11:13] == (1, 2)
    assert rows[1][14:16] == ("GAO-ST25_1.jpg", "GAO-ST25_2.jpg")


def _copy_toml(tmp_path: Path, channel: str, old: str, new: str) -> Path:
    source = PROJECT_ROOT / "config" / "channels"
    shutil.copy(source / "description.vi.txt", tmp_path / "description.vi.txt")
    text = (source / f"{channel}.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"{channel}.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_connector_and_seller_centre_follow_the_same_layout(tmp_path: Path) -> None:
    path = _copy_toml(tmp_path, "voso", 'header = "Mã SKU"', 'header = "SKU người bán"')
    connector = voso(tmp_path, path)
    pack = tmp_path / "pack"
    (pack / "images").mkdir(parents=True)
    for image in ("GAO-ST25_1.jpg", "GAO-ST25_2.jpg"):
        (pack / "images" / image).write_bytes(b"\xff\xd8\xff")
    connector.write_upload_sheet(pack, lines_for(connector))
    centre = SellerCentre("voso", load_assisted_config("voso", path))
    assert centre.import_pack(pack) == 2
    assert centre.products["GAO-ST25-2KG"].price == 100_000
    (pack / "images" / "GAO-ST25_2.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="not a whole pack"):
        centre.import_pack(pack)


def _export(tmp_path: Path, rows: list[list[object]], name: str = "don.xlsx") -> Path:
    header = ["Mã đơn hàng", "Trạng thái", "Ngày đặt hàng", "Ngày cập nhật", "Mã SKU", "Số lượng", "Đơn giá"]
    return write_xlsx(tmp_path / name, [header, *rows])


def test_an_xlsx_export_with_date_cells_and_number_cells_is_read(tmp_path: Path) -> None:
    placed = datetime(2024, 6, 1, 9, 30)  # noqa: DTZ001 (an XLSX date cell: Vietnam time without a zone)
    path = _export(tmp_path, [
        ["VS-1", "Chờ lấy hàng", placed, placed, "GAO-ST25-1KG", 2, 50000],
        ["VS-1", "chờ lấy hàng", placed, placed, "GAO-ST25-1KG", 1, 50000.0],  # same SKU twice: two lines
        ["VS-2", "Đã hủy", "01/06/2024 10:00", "", "GAO-ST25-2KG", "1", "100.000 đ"],
    ])  # fmt: skip
    config = load_assisted_config("voso")
    first, second = read_order_export(path, config.orders, snapshot=SNAPSHOT)
    assert (first.order_id, first.status, first.created_at) == ("VS-1", OrderStatus.READY,
                                                                datetime(2024, 6, 1, 2, 30, tzinfo=UTC))  # fmt: skip
    assert [(li.line_id, li.quantity) for li in first.lines] == [("GAO-ST25-1KG", 2), ("GAO-ST25-1KG#2", 1)]
    assert first.total_vnd == 150_000
    assert (second.status, second.lines[0].unit_price_vnd) == (OrderStatus.CANCELLED, 100_000)
    assert second.updated_at == SNAPSHOT  # an empty update time: the file's own time stands for it


def test_an_order_with_two_statuses_in_one_file_is_refused(tmp_path: Path) -> None:
    path = _export(tmp_path, [
        ["VS-1", "Chờ lấy hàng", "01/06/2024 09:00", "", "A", 1, 1000],
        ["VS-1", "Đã giao", "01/06/2024 09:00", "", "B", 1, 1000],
    ])  # fmt: skip
    with pytest.raises(ExportRejected) as rejected:
        read_order_export(path, load_assisted_config("voso").orders, snapshot=SNAPSHOT)
    assert [(p.row, p.column) for p in rejected.value.problems] == [(3, "Trạng thái")]


async def test_the_inbox_imports_good_files_rejects_bad_ones_and_ignores_the_rest(tmp_path: Path) -> None:
    connector = voso(tmp_path)
    inbox = connector.subfolder("inbox")
    _export(inbox, [["VS-1", "Đã giao", "01/06/2024 09:00", "", "A", 1, 1000]], name="a.xlsx")
    _export(inbox, [["VS-2", "???", "01/06/2024 09:00", "", "A", 0, 1000]], name="b.xlsx")
    (inbox / ".c.xlsx.copying").write_bytes(b"half")
    (inbox / "notes.txt").write_text("not an export")
    batches = []

    async def pull() -> None:
        async for batch in connector.pull_orders(None):
            batches.append(batch)  # the list keeps what came before the refusal

    with pytest.raises(InputRejected, match="1 order export"):
        await pull()
    assert [o.order_id for b in batches for o in b.orders] == ["VS-1"]
    assert sorted(p.name for p in inbox.iterdir()) == [".c.xlsx.copying", "notes.txt"]
    assert (connector.folder / "processed" / "a.xlsx").is_file()
    errors = (connector.folder / "rejected" / "b.xlsx.errors.txt").read_text(encoding="utf-8")
    assert "row 2, column 'Trạng thái'" in errors and "row 2, column 'Số lượng'" in errors


async def test_a_file_is_moved_only_after_its_batch_was_stored(tmp_path: Path) -> None:
    """The consumer stops at the batch (a crash before storing it): the file stays in the inbox."""
    connector = voso(tmp_path)
    _export(connector.subfolder("inbox"), [["VS-1", "Đã giao", "01/06/2024 09:00", "", "A", 1, 1000]])
    stream = connector.pull_orders(None)
    await stream.__anext__()
    await stream.aclose()
    assert [p.name for p in (connector.folder / "inbox").iterdir()] == ["don.xlsx"]


def test_the_product_export_reads_prices_stock_and_hidden_listings(tmp_path: Path) -> None:
    connector = voso(tmp_path)
    header = ["Mã SKU", "Tên sản phẩm", "Giá bán", "Tồn kho", "Trạng thái"]
    path = write_xlsx(tmp_path / "sp.xlsx", [header, ["A", "Gạo", 50000, 3, "Đang bán"],
                                             ["B", "Gạo", "100.000", "0", "Ngừng bán"]])  # fmt: skip
    shown = connector.read_product_export(path)
    assert (shown["A"].price, shown["A"].stock, shown["A"].hidden) == (50_000, 3, False)
    assert shown["B"].hidden
    bad = write_xlsx(tmp_path / "bad.xlsx", [header, ["A", "Gạo", "50,5", 3, ""]])
    with pytest.raises(ExportRejected, match="row 2, column 'Giá bán'"):
        connector.read_product_export(bad)


def test_old_imported_and_rejected_exports_are_deleted_new_ones_and_packs_stay(tmp_path: Path) -> None:
    connector = voso(tmp_path)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    old, recent = (now - timedelta(days=120)).timestamp(), (now - timedelta(days=5)).timestamp()
    files = {
        "processed/old.xlsx": old, "processed/recent.xlsx": recent, "rejected/bad.xlsx": old,
        "rejected/bad.xlsx.errors.txt": old, "inbox/waiting.xlsx": old, "packs/pack-0001/checklist.md": old,
    }  # fmt: skip
    for name, mtime in files.items():
        path = connector.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Nguyễn Văn A, 0901 234 567, ấp Phú Hòa")
        os.utime(path, (mtime, mtime))
    assert connector.prune_exports(now - timedelta(days=90)) == 2  # two exports (the error note goes too)
    left = sorted(str(p.relative_to(connector.folder)) for p in connector.folder.rglob("*") if p.is_file())
    assert left == ["inbox/waiting.xlsx", "packs/pack-0001/checklist.md", "processed/recent.xlsx"]
    assert voso(tmp_path / "never-used").prune_exports(now) == 0  # no folders yet: nothing to do, no error


async def test_a_floor_reads_images_with_the_kits_fetcher_capped_checked_and_from_public_hosts(tmp_path: Path) -> None:
    """A phone's photo larger than the floor takes is read (to be scaled down); a loopback host is refused
    unless the account allows it; a file that is no image is refused by its bytes."""
    import io

    import httpx
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (3000, 2000), (200, 120, 40)).save(out, format="JPEG", quality=95)
    photo = out.getvalue()
    config = load_assisted_config("provincial", limits={"image_max_bytes": 60_000})
    assert len(photo) > config.limits.image_max_bytes
    served = httpx.MockTransport(lambda request: httpx.Response(200, content=photo))
    async with httpx.AsyncClient(transport=served) as http:
        floor = VosoConnector(config, folder=tmp_path / "floor", http=http)
        fitted = await floor.read_image("https://anh.htx.test/gao.jpg")
        assert len(fitted) <= config.limits.image_max_bytes
        with pytest.raises(PermanentError, match="not a public address"):
            await floor.read_image("http://127.0.0.1:8000/gao.jpg")
        allowing = config.model_copy(
            update={"images": config.images.model_copy(update={"allowed_hosts": ("127.0.0.1",)})}
        )
        assert (
            await VosoConnector(allowing, folder=tmp_path / "floor", http=http).read_image(
                "http://127.0.0.1:8000/gao.jpg"
            )
            == fitted
        )
    (tmp_path / "not-a-photo.jpg").write_bytes(b"GIF89a" + bytes(60))
    with pytest.raises(PermanentError, match="JPG and PNG images only"):
        await floor.read_image(str(tmp_path / "not-a-photo.jpg"))
