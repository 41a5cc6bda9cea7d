"""The Postmart sandbox's endpoints: each reads a request and writes an answer in the toml's field names.

Every name here (request fields, query parameters, answer fields) comes from the contract
(:class:`~connectors.postmart.config.PostmartConfig`, read from `config/channels/postmart.toml`), never
from a literal, so the sandbox implements exactly the contract the connector is configured with.
The only literals are what the connector does not read: the CONFIRMED sample's other category fields
(``gc_image``, ``type_id`` ...) and buyer fields on orders, sent to prove the connector leaves them
behind. Refusals raise :class:`PostmartRefusal` with an HTTP-like body code (ASSUMED, as in the toml).
Limits are the toml's ``[limits]``: the sandbox refuses what the mapper should have caught.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.postmart.config import PostmartConfig, read_time, wire_time
from simulators.common.multipart import FilePart
from simulators.postmart.state import PostmartBackOffice, SandboxOrder, SandboxProduct, SandboxSku

__all__ = ["HANDLERS", "PostmartCall", "PostmartRefusal", "order_wire", "product_wire"]

_JPEG, _PNG = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"


class PostmartRefusal(Exception):
    """An error answer: ``code`` in the envelope (and ``http_status`` on the wire, 200 by default)."""

    def __init__(self, code: int, message: str, *, http_status: int = 200) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status


def bad(message: str) -> PostmartRefusal:
    return PostmartRefusal(400, message)


@dataclass
class PostmartCall:
    office: PostmartBackOffice
    contract: PostmartConfig
    merchant: str  # "" for the login call
    query: Mapping[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    parts: list[FilePart] = field(default_factory=list)
    ids: Mapping[str, str] = field(default_factory=dict)
    decimal_prices: bool = True


def _money(call: PostmartCall, amount: int) -> int | str:
    # DSMall keeps prices as decimal(10,2): "175000.00" on the wire (ASSUMED); the connector must cope.
    return f"{amount}.00" if call.decimal_prices else amount


def _time(call: PostmartCall, unix_s: int) -> int | str:
    return wire_time(datetime.fromtimestamp(unix_s, UTC), call.contract.fields.order.time_format)


def not_found(call: PostmartCall, message: str) -> PostmartRefusal:
    return PostmartRefusal(call.contract.envelope.not_found_code, message)


def _whole(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or float(value) != int(value):
        raise bad(f"{name} phải là số nguyên")
    if int(value) < minimum:
        raise bad(f"{name} phải >= {minimum}")
    return int(value)


def _text(body: Mapping[str, Any], name: str, *, limit: int | None = None, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise bad(f"{name} là bắt buộc")
    if limit is not None and len(value) > limit:
        raise bad(f"{name} dài quá {limit} ký tự")
    return value


def product_wire(call: PostmartCall, product: SandboxProduct) -> dict[str, Any]:
    f, s = call.contract.fields.product, call.contract.fields.sku
    return {
        f.spu_id: product.spu_id, f.serial: product.serial, f.name: product.name, f.category: product.gc_id,
        f.description: product.body, f.image: product.image, f.images: list(product.images),
        f.weight: product.weight, f.state: product.state, f.verify: product.verify,
        f.skus: [{s.sku_id: k.sku_id, s.serial: k.serial, s.spec: k.spec, s.price: _money(call, k.price),
                  s.stock: k.stock} for k in product.skus],
    }  # fmt: skip


def order_wire(call: PostmartCall, order: SandboxOrder) -> dict[str, Any]:
    f, lf = call.contract.fields.order, call.contract.fields.order_line
    return {
        f.order_id: order.order_sn, f.state: order.state, f.created: _time(call, order.add_time),
        f.updated: _time(call, order.update_time),
        f.total: _money(call, order.amount),
        # Buyer data a real order carries; the connector must never read or keep it (DESIGN rule 8).
        "buyer_name": "Nguyễn Văn Khách", "buyer_phone": "0900000000", "reciver_address": "Càng Long, Trà Vinh",
        f.lines: [{lf.line_id: line.rec_id, lf.sku_id: line.sku_id, lf.spu_id: line.spu_id, lf.serial: line.serial,
                   lf.quantity: line.quantity, lf.price: _money(call, line.price)} for line in order.lines],
    }  # fmt: skip


def _page(call: PostmartCall, entries: list[dict[str, Any]]) -> dict[str, Any]:
    paging = call.contract.paging
    try:
        page = int(call.query.get(paging.page_param, str(paging.first_page)))
        size = int(call.query.get(paging.size_param, str(paging.page_size)))
    except ValueError:
        raise bad("page / limit phải là số") from None
    if page < paging.first_page or not 1 <= size <= 100:
        raise bad(f"page >= {paging.first_page}, 1 <= limit <= 100")
    start = (page - paging.first_page) * size
    return {paging.items_field: entries[start : start + size], paging.total_field: len(entries)}


# --- endpoints -------------------------------------------------------------------------------------


def login(call: PostmartCall) -> Any:
    auth = call.contract.auth
    token = call.office.login(str(call.body.get(auth.username_field, "")), str(call.body.get(auth.password_field, "")))
    if token is None:
        raise PostmartRefusal(401, "Sai tên đăng nhập hoặc mật khẩu")
    return {auth.token_field: token, auth.expires_in_field: call.office.token_ttl_s}


def categories(call: PostmartCall) -> Any:
    f = call.contract.fields.category
    return [
        {f.id: c.gc_id, f.name: c.name, "gc_image": "", "type_id": 0, "type_name": "", f.parent_id: c.parent_id,
         "commis_rate": 0, "gc_sort": 0, "gc_virtual": 0, "gc_title": None, "gc_keywords": "",
         "gc_description": "", f.visible: c.show, "gc_image_url": ""}
        for c in call.office.categories
    ]  # fmt: skip


def areas(call: PostmartCall) -> Any:
    f = call.contract.fields.area
    parent = call.query.get(f.parent_param, "0")
    return [
        {f.id: a.area_id, f.name: a.name, f.parent_id: a.parent_id, f.depth: a.depth}
        for a in call.office.areas
        if str(a.parent_id) == parent
    ]


def _uploaded(call: PostmartCall) -> tuple[str, bytes]:
    """The image's file name and bytes: a multipart file part, or base64 text beside its name ([wire])."""
    f = call.contract.fields.image
    if call.contract.wire.upload == "multipart":
        part = next((p for p in call.parts if p.name == f.file and p.filename), None)
        if part is None:
            raise bad(f"{f.file} là bắt buộc")
        return part.filename, part.data
    text, filename = call.body.get(f.file), call.body.get(f.filename)
    if not isinstance(text, str) or not isinstance(filename, str) or not filename:
        raise bad(f"{f.file} và {f.filename} là bắt buộc")
    try:
        return filename, base64.b64decode(text, validate=True)
    except ValueError:
        raise bad(f"{f.file} không phải base64") from None


def image_upload(call: PostmartCall) -> Any:
    f = call.contract.fields.image
    filename, data = _uploaded(call)
    if not data.startswith((_JPEG, _PNG)):
        raise bad("chỉ nhận ảnh JPG hoặc PNG")
    if len(data) > call.contract.limits.image_max_bytes:
        raise bad("ảnh quá lớn")
    name = f"goods/{call.merchant}/{len(call.office.images) + 1:05d}_{filename}"
    call.office.images[name] = data
    return {f.name: name}


def _content(call: PostmartCall) -> dict[str, Any]:
    f, limits, body = call.contract.fields.product, call.contract.limits, call.body
    gc_id = body.get(f.category)
    if gc_id not in call.office.category_ids():
        raise bad(f"{f.category} không tồn tại")
    image = _text(body, f.image)
    images = body.get(f.images) or []
    if not isinstance(images, list) or len(images) + 1 > limits.images_max:
        raise bad(f"tối đa {limits.images_max} ảnh")
    for name in (image, *images):
        if name not in call.office.images:
            raise bad(f"ảnh {name} chưa được tải lên")
    weight = body.get(f.weight)
    state = body.get(f.state, call.contract.listing.on_value)
    if state not in (call.contract.listing.on_value, call.contract.listing.off_value):
        raise bad(f"{f.state} không hợp lệ")
    return {
        "state": state,
        "name": _text(body, f.name, limit=limits.name_max_chars), "gc_id": gc_id, "image": image,
        "images": [str(i) for i in images], "body": _text(body, f.description, required=False),
        "weight": None if weight is None else _whole(weight, f.weight, minimum=0),
    }  # fmt: skip


def product_create(call: PostmartCall) -> Any:
    f, s, limits = call.contract.fields.product, call.contract.fields.sku, call.contract.limits
    serial = _text(call.body, f.serial, limit=limits.sku_max_chars)
    content = _content(call)
    raw_skus = call.body.get(f.skus)
    if not isinstance(raw_skus, list) or not raw_skus:
        raise bad(f"{f.skus} là bắt buộc")
    skus = [
        (_text(k, s.serial, limit=limits.sku_max_chars), _text(k, s.spec, limit=limits.spec_max_chars, required=False),
         _whole(k.get(s.price), s.price, minimum=1), _whole(k.get(s.stock), s.stock, minimum=0))
        for k in raw_skus
        if isinstance(k, dict)
    ]  # fmt: skip
    if call.office.by_serial(call.merchant, serial) is not None:
        raise PostmartRefusal(409, f"{f.serial} {serial} đã tồn tại")
    state = content.pop("state")
    product = call.office.create_product(call.merchant, serial=serial, skus=skus, **content)
    product.state = state
    return product_wire(call, product)


def _product(call: PostmartCall, spu_id: object) -> SandboxProduct:
    product = call.office.products.get(int(str(spu_id))) if str(spu_id).isdigit() else None
    if product is None or product.deleted or product.merchant != call.merchant:
        raise not_found(call, f"không tìm thấy sản phẩm {spu_id}")
    return product


def product_update(call: PostmartCall) -> Any:
    """The content, the state, and the whole SKU list (ASSUMED, as the toml says): an entry with the id of
    one of the product's SKUs updates it, an entry without an id is a new SKU, a SKU left out is removed."""
    f, s, limits = call.contract.fields.product, call.contract.fields.sku, call.contract.limits
    product = _product(call, call.ids.get("spu_id") or call.body.get(f.spu_id))
    content = _content(call)
    raw_skus = call.body.get(f.skus)
    if not isinstance(raw_skus, list) or not raw_skus or not all(isinstance(k, dict) for k in raw_skus):
        raise bad(f"{f.skus} là bắt buộc")
    owned = {k.sku_id: k for k in product.skus}
    kept: list[tuple[SandboxSku, str, str]] = []
    added: list[tuple[str, str, int, int]] = []
    for entry in raw_skus:
        serial = _text(entry, s.serial, limit=limits.sku_max_chars)
        spec = _text(entry, s.spec, limit=limits.spec_max_chars, required=False)
        sku_id = entry.get(s.sku_id)
        if sku_id is None:
            added.append((serial, spec, _whole(entry.get(s.price), s.price, minimum=1),
                          _whole(entry.get(s.stock), s.stock, minimum=0)))  # fmt: skip
        elif isinstance(sku_id, int) and sku_id in owned:
            kept.append((owned[sku_id], serial, spec))
        else:
            raise not_found(call, f"SKU {sku_id} không thuộc sản phẩm {product.spu_id}")
    serials = [serial for _, serial, _ in kept] + [serial for serial, *_ in added]
    if len(set(serials)) != len(serials):
        raise PostmartRefusal(409, f"{s.serial} bị trùng")
    product.name, product.gc_id, product.image = content["name"], content["gc_id"], content["image"]
    product.images, product.body, product.weight = content["images"], content["body"], content["weight"]
    if product.state != call.contract.listing.banned_value:  # only Postmart lifts a ban
        product.state = content["state"]
    for sku, serial, spec in kept:
        sku.serial, sku.spec = serial, spec
    product.skus = [sku for sku, _, _ in kept] + [call.office.new_sku(*new) for new in added]
    return product_wire(call, product)


def _per_sku(call: PostmartCall, column: str, minimum: int) -> Any:
    s = call.contract.fields.sku
    entries = call.body.get(s.list)
    if not isinstance(entries, list) or not 1 <= len(entries) <= call.contract.limits.batch_max:
        raise bad(f"{s.list}: 1 đến {call.contract.limits.batch_max} mục")
    failed: list[dict[str, Any]] = []
    for entry in entries:
        sku_id = entry.get(s.sku_id) if isinstance(entry, dict) else None
        found = call.office.sku_by_id(call.merchant, sku_id) if isinstance(sku_id, int) else None
        if found is None:
            failed.append({s.sku_id: sku_id, s.reason: "không tìm thấy SKU"})
            continue
        try:
            value = _whole(entry.get(column), column, minimum=minimum)
        except PostmartRefusal as exc:
            failed.append({s.sku_id: sku_id, s.reason: exc.message})
            continue
        setattr(found[1], "price" if column == s.price else "stock", value)
    return {s.failed: failed}


def product_price(call: PostmartCall) -> Any:
    return _per_sku(call, call.contract.fields.sku.price, 1)


def product_stock(call: PostmartCall) -> Any:
    return _per_sku(call, call.contract.fields.sku.stock, 0)


def _products_named(call: PostmartCall) -> list[SandboxProduct]:
    ids = call.body.get(call.contract.fields.product.ids)
    if not isinstance(ids, list) or not 1 <= len(ids) <= call.contract.limits.batch_max:
        raise bad(f"{call.contract.fields.product.ids}: 1 đến {call.contract.limits.batch_max} mục")
    return [_product(call, spu_id) for spu_id in ids]


def product_state(call: PostmartCall) -> Any:
    state = call.body.get(call.contract.fields.product.state)
    if state not in (call.contract.listing.on_value, call.contract.listing.off_value):
        raise bad(f"{call.contract.fields.product.state} không hợp lệ")
    for product in _products_named(call):
        if product.state != call.contract.listing.banned_value:
            product.state = int(state)
    return {}


def product_delete(call: PostmartCall) -> Any:
    for product in _products_named(call):
        product.deleted = True
    return {}


def product_list(call: PostmartCall) -> Any:
    wanted = call.query.get(call.contract.fields.product.serial_param, "")
    # Like most search boxes, the filter matches prefixes: the connector must keep exact matches only.
    products = [p for p in call.office.live_products(call.merchant) if p.serial.startswith(wanted)]
    return _page(call, [product_wire(call, p) for p in sorted(products, key=lambda p: p.spu_id)])


def orders(call: PostmartCall) -> Any:
    f = call.contract.fields.order
    raw = call.query.get(f.since_param)
    since = read_time(raw, f.time_format) if raw is not None else datetime.fromtimestamp(0, UTC)
    if since is None:
        raise bad(f"{f.since_param} không đúng định dạng ({f.time_format})")
    chosen = sorted(
        (o for o in call.office.orders.values() if o.merchant == call.merchant and o.update_time >= since.timestamp()),
        key=lambda o: (o.update_time, o.order_sn),
    )
    return _page(call, [order_wire(call, o) for o in chosen])


HANDLERS: Mapping[str, Callable[[PostmartCall], Any]] = {
    "login": login, "categories": categories, "areas": areas, "image_upload": image_upload,
    "product_create": product_create, "product_update": product_update, "product_price": product_price,
    "product_stock": product_stock, "product_state": product_state, "product_delete": product_delete,
    "product_list": product_list, "orders": orders,
}  # fmt: skip
