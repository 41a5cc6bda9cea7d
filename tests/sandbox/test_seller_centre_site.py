"""The assisted floors' web seller centre over real HTTP: a pack uploaded, buyers' orders, the exports read back."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from connectors.floors.config import load_assisted_config
from connectors.floors.files import read_order_export, read_product_export
from core.db import Store
from core.ports import OrderStatus
from simulators.common.serving import serve_in_thread
from simulators.floors.site import SellerCentreSite, upload_pack
from tests.floors_world import make_floors

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py

SELLER = "HTX-DANTIEN"


@pytest.fixture
def voso_pack(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real pack chosync wrote for Voso: 3 products × 2 variants."""
    floors = make_floors(store, tmp_path, monkeypatch)
    floors.push("voso")
    return floors.open_pack("voso")


def test_a_pack_uploaded_over_http_is_on_sale_and_a_buyer_order_comes_back_in_the_export(
    voso_pack: Path, tmp_path: Path
) -> None:
    site = SellerCentreSite("voso")
    config = load_assisted_config("voso")
    with serve_in_thread(site) as url, httpx.Client(base_url=url) as client:
        assert upload_pack(client, SELLER, voso_pack, config.upload.file_name) == 6
        shop = client.get(f"/shops/{SELLER}").json()
        skus = {p["sku"]: p for p in shop["products"]}
        assert len(skus) == 6 and all(p["visible"] for p in skus.values())
        sku, product = max(skus.items(), key=lambda kv: kv[1]["stock"])
        assert product["stock"] >= 2

        over = {"lines": [{"sku": sku, "quantity": product["stock"] + 1}]}
        too_many = client.post(f"/shops/{SELLER}/orders", json=over)
        assert too_many.status_code == 409 and "in stock" in too_many.json()["error"]
        placed = client.post(f"/shops/{SELLER}/orders", json={"lines": [{"sku": sku, "quantity": 2}]})
        assert placed.status_code == 201
        order_id = placed.json()["order_id"]
        moved = client.post(f"/shops/{SELLER}/orders/{order_id}/status", json={"status": "shipped"})
        assert moved.status_code == 200

        export = client.get(f"/shops/{SELLER}/exports/orders")
        products = client.get(f"/shops/{SELLER}/exports/products")
        page = client.get("/")
    name = export.headers["content-disposition"].split('filename="')[1].rstrip('"')
    (tmp_path / name).write_bytes(export.content)
    [order] = read_order_export(tmp_path / name, config.orders, snapshot=datetime.now(UTC))
    assert (order.order_id, order.status) == (order_id, OrderStatus.SHIPPED)
    assert [(line.variant_sku, line.quantity) for line in order.lines] == [(sku, 2)]

    (tmp_path / "products.xlsx").write_bytes(products.content)
    exported = read_product_export(tmp_path / "products.xlsx", config.products)
    assert exported[sku].stock == product["stock"] - 2  # the floor took the stock off its own count
    assert page.status_code == 200 and SELLER in page.text and sku in page.text


def test_a_half_pack_is_refused_whole_and_nothing_is_applied(voso_pack: Path) -> None:
    site = SellerCentreSite("voso")
    sheet = load_assisted_config("voso").upload.file_name
    with serve_in_thread(site) as url, httpx.Client(base_url=url) as client:
        no_photos = client.post(f"/shops/{SELLER}/import", files=[("sheet", (sheet, (voso_pack / sheet).read_bytes()))])
        no_sheet = client.post(f"/shops/{SELLER}/import", files=[("images", ("a.jpg", b"\xff\xd8\xff"))])
        shop = client.get(f"/shops/{SELLER}").json()
    assert no_photos.status_code == 400 and "not a whole pack" in no_photos.json()["error"]
    assert no_sheet.status_code == 400 and "one import sheet" in no_sheet.json()["error"]
    assert shop["products"] == []


def test_an_upload_cannot_write_outside_its_pack(voso_pack: Path) -> None:
    site = SellerCentreSite("voso")
    sheet = load_assisted_config("voso").upload.file_name
    files = [("sheet", (sheet, (voso_pack / sheet).read_bytes()))]
    files += [("images", (f"../../{p.name}", p.read_bytes())) for p in sorted((voso_pack / "images").iterdir())]
    with serve_in_thread(site) as url, httpx.Client(base_url=url) as client:
        answer = client.post(f"/shops/{SELLER}/import", files=files)
    assert answer.status_code == 200  # the folder part of each name is dropped, the photos land in the pack
    escaped = [Path(tempfile.gettempdir()) / p.name for p in (voso_pack / "images").iterdir()]
    assert not any(path.exists() for path in escaped)


def test_bad_requests_get_clear_errors() -> None:
    site = SellerCentreSite("provincial")
    site.shop(SELLER)
    with serve_in_thread(site) as url, httpx.Client(base_url=url) as client:
        unknown_shop = client.post("/shops/NOBODY/orders", json={"lines": [{"sku": "X", "quantity": 1}]})
        not_json = client.post(f"/shops/{SELLER}/orders", content=b"{")
        unknown_sku = client.post(f"/shops/{SELLER}/orders", json={"lines": [{"sku": "X", "quantity": 1}]})
        bad_export = client.get(f"/shops/{SELLER}/exports/everything")
        bad_status = client.post(f"/shops/{SELLER}/orders/none/status", content=json.dumps({"status": "lost"}))
    assert unknown_shop.status_code == 404
    assert not_json.status_code == 400
    assert unknown_sku.status_code == 409 and "not for sale" in unknown_sku.json()["error"]
    assert bad_export.status_code == 404
    assert bad_status.status_code in (400, 404)
