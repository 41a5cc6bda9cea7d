"""The Postmart connector against its sandbox: every call of the contract, and the contract as config.

Both sides are built from `config/channels/postmart.toml` (or a copy a test edits): the last tests prove
that a path or a field name changed in the toml is followed by the connector and the sandbox together.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.errors import PermanentError
from core.ports import ListingRef, ListingStatus, OrderStatus, PriceUpdate, StockUpdate
from core.settings import PROJECT_ROOT
from tests.connectors.postmart_fixtures import USERNAME, PostmartWorld, postmart_world, rice

pytestmark = pytest.mark.anyio


async def _created(w: PostmartWorld, sku: str = "GAO-ST25") -> ListingRef:
    return await w.connector.create_listing(rice(sku))


async def test_create_uploads_images_and_binds_every_sku() -> None:
    async with postmart_world() as w:
        ref = await _created(w)
        product = w.sandbox.by_serial(USERNAME, "GAO-ST25")
        assert product is not None
        assert ref == ListingRef(item_id=str(product.spu_id), models={s.serial: str(s.sku_id) for s in product.skus})
        assert [(s.serial, s.price, s.stock, s.spec) for s in product.skus] == [
            ("GAO-ST25-1KG", 50_000, 10, "Khối lượng: 1kg"),
            ("GAO-ST25-2KG", 100_000, 11, "Khối lượng: 2kg"),
        ]
        assert product.image in w.sandbox.images and len(product.images) == 1
        assert "Sản phẩm OCOP 4 sao ★★★★" in product.body and product.gc_id == 7821
        assert w.sandbox.calls("login") == 1 and w.sandbox.calls("image_upload") == 2


async def test_create_is_idempotent_by_sku_lookup() -> None:
    async with postmart_world() as w:
        first = await _created(w)
        uploads = w.sandbox.calls("image_upload")
        assert await _created(w) == first.model_copy(update={"found": True})  # looked up, not created again
        assert w.sandbox.calls("product_create") == 1 and w.sandbox.calls("image_upload") == uploads


async def test_lookup_keeps_exact_sku_matches_only() -> None:
    """The sandbox's filter matches prefixes, as search boxes do: GAO-ST2 must not find GAO-ST25."""
    async with postmart_world() as w:
        await _created(w, "GAO-ST25")
        assert await w.connector.find_by_sku("GAO-ST2") is None
        assert await w.connector.find_by_sku("GAO-ST25") is not None


async def test_update_prices_stock_and_delist() -> None:
    async with postmart_world() as w:
        ref = await _created(w)
        await w.connector.update_listing(ref, rice(name="Gạo ST25 Dân Tiến túi mới"))
        prices = await w.connector.update_prices([
            PriceUpdate(ref=ref, variant_sku="GAO-ST25-1KG", price_vnd=52_000),
            PriceUpdate(ref=ref, variant_sku="GAO-ST25-1KG", price_vnd=55_000),  # the later one wins
            PriceUpdate(ref=ref, variant_sku="NOT-THERE", price_vnd=1_000),
        ])  # fmt: skip
        stock = await w.connector.update_stock([StockUpdate(ref=ref, variant_sku="GAO-ST25-2KG", stock=3)])
        assert [i.ok for i in prices.items] == [False, True] and stock.ok
        product = w.sandbox.by_serial(USERNAME, "GAO-ST25")
        assert product is not None and product.name == "Gạo ST25 Dân Tiến túi mới"
        assert (product.sku("GAO-ST25-1KG").price, product.sku("GAO-ST25-2KG").stock) == (55_000, 3)
        sent = json.loads(w.sandbox.recorded("product_price")[0].body)
        assert sent == {"goods": [{"goods_id": 500001, "goods_price": 55000}]}
        assert (await w.connector.delist([ref])).ok and product.state == 0
        [state] = [s async for s in w.connector.listing_states()]
        assert state.status is ListingStatus.DELISTED
        assert (await w.connector.delist([ref], delete=True)).ok
        assert (await w.connector.delist([ref], delete=True)).ok  # deleting twice is done, not failed
        assert await w.connector.find_by_sku("GAO-ST25") is None


async def test_a_refused_sku_is_reported_for_that_sku_only() -> None:
    async with postmart_world() as w:
        ref = await _created(w)
        w.sandbox.products[int(ref.item_id)].skus.pop()  # the 2 kg SKU vanished on Postmart's side
        result = await w.connector.update_stock([StockUpdate(ref=ref, variant_sku=s, stock=1) for s in ref.models])
        assert [(i.variant_sku, i.ok) for i in result.items] == [("GAO-ST25-1KG", True), ("GAO-ST25-2KG", False)]
        assert "không tìm thấy SKU" in str(result.failed[0].error)


async def test_listing_states_read_every_page_and_map_statuses() -> None:
    async with postmart_world(settings={"paging": {"page_size": 2}}) as w:
        refs = [await _created(w, f"GAO-{n}") for n in range(5)]
        w.sandbox.ban(int(refs[0].item_id))
        w.sandbox.reject(int(refs[1].item_id))
        w.sandbox.products[int(refs[2].item_id)].verify = 10
        w.sandbox.set_price(int(refs[3].item_id), "GAO-3-1KG", 61_000)  # a price edited by hand
        before = w.sandbox.calls("product_list")
        states = {s.sku: s async for s in w.connector.listing_states()}
        assert [states[f"GAO-{n}"].status for n in range(5)] == [
            ListingStatus.BANNED, ListingStatus.REJECTED, ListingStatus.IN_REVIEW, ListingStatus.LIVE,
            ListingStatus.LIVE,
        ]  # fmt: skip
        assert states["GAO-3"].variants[0].price_vnd == 61_000  # "61000.00" on the wire: whole đồng
        assert w.sandbox.calls("product_list") - before == 3  # 5 products, 2 a page


async def test_orders_since_the_cursor_leave_buyers_behind() -> None:
    async with postmart_world() as w:
        await _created(w)
        order = w.sandbox.place_order(USERNAME, [("GAO-ST25-2KG", 2)], state=10)
        [batch] = [b async for b in w.connector.pull_orders(None)]
        [pulled] = batch.orders
        assert (pulled.order_id, pulled.status, pulled.total_vnd) == (order.order_sn, OrderStatus.PENDING, 200_000)
        assert [(li.variant_sku, li.quantity, li.unit_price_vnd) for li in pulled.lines] == [("GAO-ST25-2KG", 2,
                                                                                               100_000)]  # fmt: skip
        assert "Nguyễn" not in pulled.model_dump_json()  # the buyer's name never crosses the boundary
        w.clock.advance(3600)
        w.sandbox.set_order_state(order.order_sn, 30)
        [again] = [b async for b in w.connector.pull_orders(batch.cursor)]
        assert [o.status for o in again.orders] == [OrderStatus.SHIPPED]
        query = w.sandbox.recorded("orders")[-1].query
        assert f"update_time_from={json.loads(batch.cursor)['update_time_from']}" in query


async def test_categories_and_areas() -> None:
    async with postmart_world() as w:
        categories = await w.connector.categories()
        assert [(c.id, c.name, c.parent_id) for c in categories[:3]] == [
            (782, "Thực Phẩm - Đặc sản", 0), (783, "Nhà Cửa và Đời Sống", 0), (784, "Điện tử - Công nghệ", 0),
        ]  # fmt: skip
        assert [a.name for a in await w.connector.areas()] == ["Trà Vinh", "Hà Nội"]
        [district] = await w.connector.areas(84)
        assert (district.name, district.depth) == ("Càng Long", 2)


async def test_the_confirmed_categories_call_is_exactly_as_published() -> None:
    """GET apis/v1/merchant/categories/all → {code: 200, message, result: [...], requestMethod}."""
    async with postmart_world() as w:
        await w.connector.categories()
        [call] = w.sandbox.recorded("categories")
        assert (call.method, call.path) == ("GET", "/apis/v1/merchant/categories/all")
        response = await w.http.get(f"{w.connector.config.base_url}/apis/v1/merchant/categories/all",
                                    headers={"Authorization": f"Bearer {w.tokens.tokens.access_token}"})  # type: ignore[union-attr]  # fmt: skip
        body = response.json()
        assert set(body) == {"code", "message", "result", "requestMethod"} and body["code"] == 200
        assert {"gc_id", "gc_name", "gc_parent_id", "commis_rate", "gc_show", "type_id"} <= set(body["result"][0])


def _copied_toml(tmp_path: Path, edit: dict[str, tuple[str, str]]) -> Path:
    """The shipped toml copied beside its template, with lines replaced (old → new)."""
    source = PROJECT_ROOT / "config" / "channels"
    shutil.copy(source / "description.vi.txt", tmp_path / "description.vi.txt")
    text = (source / "postmart.toml").read_text(encoding="utf-8")
    for old, new in edit.values():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "postmart.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_connector_and_sandbox_follow_the_same_config(tmp_path: Path) -> None:
    """Change a path, a method and field names in a copy of the toml: both sides follow it."""
    path = _copied_toml(tmp_path, {
        "create": ('product_create = { method = "POST", path = "apis/v1/merchant/products" }',
                   'product_create = { method = "PUT", path = "apis/v2/merchant/goods/add" }'),
        "serial": ('serial = "goods_serial"             # our product SKU', 'serial = "sku_code"'),
        "stock": ('stock = "goods_storage"', 'stock = "quantity"'),
    })  # fmt: skip
    async with postmart_world(config_path=path) as w:
        ref = await _created(w)
        [call] = w.sandbox.recorded("product_create")
        assert (call.method, call.path) == ("PUT", "/apis/v2/merchant/goods/add")
        body = json.loads(call.body)
        assert body["sku_code"] == "GAO-ST25" and body["goods_list"][0]["quantity"] == 10
        assert await w.connector.find_by_sku("GAO-ST25") == ref
        await w.connector.update_stock([StockUpdate(ref=ref, variant_sku="GAO-ST25-1KG", stock=4)])
        assert w.sandbox.products[int(ref.item_id)].sku("GAO-ST25-1KG").stock == 4


async def test_a_connector_on_another_contract_than_the_sandbox_fails_loudly(tmp_path: Path) -> None:
    """The proof that the contract test tests something: here only the connector reads the changed toml."""
    shipped = 'product_create = { method = "POST", path = "apis/v1/merchant/products" }'
    path = _copied_toml(
        tmp_path, {"create": (shipped, 'product_create = { method = "POST", path = "apis/v9/products" }')}
    )
    async with postmart_world(config_path=path, sandbox_on_shipped_toml=True) as w:
        with pytest.raises(PermanentError, match="did not find"):
            await _created(w)
        assert [c.path for c in w.sandbox.log.entries][-1] == "/apis/v9/products"


WIRE_EDIT = {
    "paging": ("first_page = 1 ", "first_page = 0 "),
    "times": ('time_format = "unix_s"', 'time_format = "iso8601"'),
    "not_found": ("not_found_code = 404 ", "not_found_code = 4004 "),
    "table": ('"404" = { resolution = "permanent"', '"4004" = { resolution = "permanent"'),
}


async def test_paging_times_and_not_found_follow_the_config_on_both_sides(tmp_path: Path) -> None:
    """Pages from 0, ISO 8601 times and "not found" as code 4004, in a copy of the toml: both sides follow."""
    path = _copied_toml(tmp_path, WIRE_EDIT)
    async with postmart_world(config_path=path, settings={"paging": {"page_size": 2}}) as w:
        refs = [await _created(w, f"GAO-{n}") for n in range(3)]
        assert len([s async for s in w.connector.listing_states()]) == 3
        assert [c.query.split("page=")[1][0] for c in w.sandbox.recorded("product_list")[-2:]] == ["0", "1"]
        order = w.sandbox.place_order(USERNAME, [("GAO-1-1KG", 1)])
        [batch] = [b async for b in w.connector.pull_orders(None)]
        [pulled] = batch.orders
        assert (pulled.order_id, int(pulled.created_at.timestamp())) == (order.order_sn, order.add_time)
        assert "update_time_from=2024-05-02T07%3A00%3A00%2B07%3A00" in w.sandbox.recorded("orders")[-1].query
        await w.connector.delist([refs[0]], delete=True)
        with pytest.raises(PermanentError) as raised:
            await w.connector.update_listing(refs[0], rice("GAO-0"))
        assert raised.value.code == "postmart_4004"  # the sandbox's "not found" is the config's code
        assert (await w.connector.delist([refs[0]], delete=True)).ok  # and so the connector's: gone, done


async def test_a_connector_paging_and_dating_otherwise_than_the_sandbox_is_refused(tmp_path: Path) -> None:
    """The negative control: only the connector reads the changed toml, and the sandbox refuses it."""
    path = _copied_toml(tmp_path, WIRE_EDIT)
    async with postmart_world(config_path=path, sandbox_on_shipped_toml=True) as w:
        with pytest.raises(PermanentError, match="page >= 1"):
            [s async for s in w.connector.listing_states()]
        with pytest.raises(PermanentError, match="update_time_from"):
            [b async for b in w.connector.pull_orders(None)]


FORM_EDIT = {
    "body": ('body = "json"', 'body = "form"'),
    "upload": ('upload = "multipart"', 'upload = "base64"'),
}


async def test_form_bodies_and_base64_images_follow_the_config_on_both_sides(tmp_path: Path) -> None:
    """PHP-style form bodies and base64 image uploads, in a copy of the toml: both sides follow."""
    async with postmart_world(config_path=_copied_toml(tmp_path, FORM_EDIT)) as w:
        ref = await _created(w)
        [create] = w.sandbox.recorded("product_create")
        assert b"goods_list%5B1%5D%5Bgoods_serial%5D=GAO-ST25-2KG" in create.body  # goods_list[1][goods_serial]
        upload = w.sandbox.recorded("image_upload")[0].body
        assert b"file=%2F9j%2F" in upload and b"filename=gao-st25-0.jpg" in upload  # base64 of FF D8 FF
        ref = await w.connector.update_listing(ref, rice(variants=3))
        await w.connector.update_prices([PriceUpdate(ref=ref, variant_sku="GAO-ST25-3KG", price_vnd=151_000)])
        product = w.sandbox.by_serial(USERNAME, "GAO-ST25")
        assert product is not None and product.image in w.sandbox.images
        assert [(s.serial, s.price) for s in product.skus][-1] == ("GAO-ST25-3KG", 151_000)
        assert (await w.connector.delist([ref])).ok and product.state == 0


async def test_a_connector_sending_forms_to_a_json_sandbox_is_refused(tmp_path: Path) -> None:
    """The negative control: only the connector reads the changed toml, and the sandbox refuses its body."""
    async with postmart_world(config_path=_copied_toml(tmp_path, FORM_EDIT), sandbox_on_shipped_toml=True) as w:
        with pytest.raises(PermanentError, match="JSON"):
            await w.connector.categories()  # its login (a POST) is the first body sent
