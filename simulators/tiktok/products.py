"""TikTok Shop products in the sandbox: create, full edit and read one, with the listing rules of Vietnam.

A product is created whole (title, description, a leaf category, 1-9 uploaded images, 1-100 SKUs with
their price and stock per warehouse, the package weight) and goes to audit: ``PENDING``, then
``ACTIVATE`` or ``FAILED`` (:mod:`simulators.tiktok.state`). A create carrying an ``idempotency_key`` the
shop used before answers the first create's answer and makes nothing, so a client whose answer was lost
may simply send it again. A full edit (PUT) replaces everything: a SKU keeps its id when the body names
it, a live SKU the body leaves out is deleted, a SKU without an id is new; the product goes back to audit.
Each rule refuses with its own code and a message naming the field (see :mod:`simulators.tiktok.wire`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from simulators.tiktok.records import DELETED, Product, Sku
from simulators.tiktok.wire import (
    BAD_ATTRIBUTE,
    BAD_CATEGORY,
    BAD_DESCRIPTION,
    BAD_IMAGE,
    BAD_PACKAGE,
    BAD_PRICE,
    BAD_QUANTITY,
    BAD_SELLER_SKU,
    BAD_TITLE,
    NOT_FOUND,
    JsonObject,
    TikTokCall,
    TikTokError,
    as_list,
    as_object,
    as_str,
    require,
)

__all__ = ["create_product", "edit_product", "get_product", "read_price", "read_quantity", "shop_product", "sku_view"]

_WEIGHT = re.compile(r"^\d+(\.\d{1,3})?$")


@dataclass
class _SkuDraft:
    sku_id: str | None
    seller_sku: str
    price: int
    inventory: dict[str, int]
    sales_attributes: list[dict[str, Any]]
    external_sku_id: str = ""


@dataclass
class _Draft:
    title: str
    description: str
    category_id: str
    main_images: list[str]
    skus: list[_SkuDraft]
    package_weight: JsonObject
    package_dimensions: JsonObject | None
    product_attributes: list[JsonObject] = field(default_factory=list)
    brand_id: str = ""
    draft: bool = False


def read_price(call: TikTokCall, value: Any, where: str) -> int:
    """``{amount: "50000", currency: "VND"}``: whole đồng within the VN range, as an integer string."""
    price = as_object(call, value, f"{where}.price")
    amount, currency = price.get("amount"), price.get("currency")
    low, high = call.config.price_range
    if not isinstance(amount, str) or not amount.isdigit() or not low <= int(amount) <= high:
        raise TikTokError(BAD_PRICE, f"{where}.price.amount must be an integer string between {low} and {high}")
    if currency != call.config.currency:
        raise TikTokError(BAD_PRICE, f"{where}.price.currency must be {call.config.currency}")
    return int(amount)


def read_quantity(call: TikTokCall, value: Any) -> int | None:
    """A stock quantity, or None when the sandbox refuses it (out of range, or 0 when not accepted)."""
    low, high = call.config.quantity_range
    if call.config.accept_zero_quantity:
        low = 0
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _inventory(call: TikTokCall, value: Any, where: str, shop_id: str) -> dict[str, int]:
    warehouses = {w.warehouse_id for w in call.office.shops[shop_id].warehouses}
    entries = as_list(call, value, f"{where}.inventory")
    if not entries:
        raise call.bad(f"{where}.inventory must name at least one warehouse")
    stock: dict[str, int] = {}
    for raw in entries:
        entry = as_object(call, raw, f"{where}.inventory[]")
        warehouse = entry.get("warehouse_id")
        if warehouse not in warehouses:
            raise call.bad(f"{where}.inventory.warehouse_id {warehouse!r} is not a warehouse of this shop")
        quantity = read_quantity(call, entry.get("quantity"))
        if quantity is None:
            raise TikTokError(BAD_QUANTITY, f"{where}.inventory.quantity out of range {call.config.quantity_range}")
        stock[str(warehouse)] = quantity
    return stock


def _sales_attributes(call: TikTokCall, value: Any, where: str, single: bool) -> list[dict[str, Any]]:
    if value is None or value == []:
        if not single:
            raise call.bad(f"{where}.sales_attributes are required when a product has several SKUs")
        return []
    attributes = as_list(call, value, f"{where}.sales_attributes")
    if len(attributes) > 3:
        raise call.bad(f"{where}.sales_attributes: at most 3")
    out = []
    for raw in attributes:
        attribute = as_object(call, raw, f"{where}.sales_attributes[]")
        name, value_name = attribute.get("name"), attribute.get("value_name")
        if not isinstance(name, str) or not name or not isinstance(value_name, str) or not value_name:
            raise call.bad(f"{where}.sales_attributes need a name and a value_name")
        out.append({"name": name, "value_name": value_name})
    return out


def _skus(call: TikTokCall, body: JsonObject, shop_id: str) -> list[_SkuDraft]:
    raw = as_list(call, require(call, body, "skus"), "skus")
    if not 1 <= len(raw) <= call.config.sku_count:
        raise call.bad(f"skus must have 1 to {call.config.sku_count} entries")
    skus: list[_SkuDraft] = []
    for n, given in enumerate(raw):
        where = f"skus[{n}]"
        entry = as_object(call, given, where)
        seller_sku = entry.get("seller_sku")
        if (
            not isinstance(seller_sku, str)
            or not 1 <= len(seller_sku) <= call.config.seller_sku_length
            or any(c.isspace() for c in seller_sku)
        ):
            raise TikTokError(
                BAD_SELLER_SKU,
                f"{where}.seller_sku must be 1-{call.config.seller_sku_length} characters without spaces",
            )
        sku_id = entry.get("id")
        skus.append(
            _SkuDraft(
                sku_id=None if sku_id is None else as_str(call, sku_id, f"{where}.id"),
                seller_sku=seller_sku,
                price=read_price(call, entry.get("price"), where),
                inventory=_inventory(call, entry.get("inventory"), where, shop_id),
                sales_attributes=_sales_attributes(call, entry.get("sales_attributes"), where, len(raw) == 1),
                external_sku_id=str(entry.get("external_sku_id") or ""),
            )
        )
    if len({s.seller_sku for s in skus}) != len(skus):
        raise TikTokError(BAD_SELLER_SKU, "seller_sku must be unique within a product")
    combos = [tuple((a["name"], a["value_name"]) for a in s.sales_attributes) for s in skus]
    if len(skus) > 1 and len(set(combos)) != len(combos):
        raise call.bad("two SKUs have the same sales_attributes")
    return skus


def _package(call: TikTokCall, body: JsonObject) -> tuple[JsonObject, JsonObject | None]:
    weight = body.get("package_weight")
    if (
        not isinstance(weight, dict)
        or weight.get("unit") != "KILOGRAM"
        or not isinstance(weight.get("value"), str)
        or not _WEIGHT.match(weight["value"])
        or float(weight["value"]) <= 0
    ):
        raise TikTokError(
            BAD_PACKAGE, 'package_weight must be {"value": "0.5", "unit": "KILOGRAM"} (at most 3 decimals)'
        )
    dimensions = body.get("package_dimensions")
    if dimensions is not None:
        sides = [dimensions.get(k) if isinstance(dimensions, dict) else None for k in ("length", "width", "height")]
        if (
            not isinstance(dimensions, dict)
            or dimensions.get("unit") != "CENTIMETER"
            or not all(isinstance(s, str) and s.isdigit() and int(s) > 0 for s in sides)
        ):
            raise TikTokError(BAD_PACKAGE, "package_dimensions need positive integer strings and unit CENTIMETER")
    return {"value": weight["value"], "unit": "KILOGRAM"}, dimensions


def _attributes(call: TikTokCall, body: JsonObject, category_id: str) -> list[JsonObject]:
    given = as_list(call, body.get("product_attributes") or [], "product_attributes")
    valued = {str(a.get("id")) for a in given if isinstance(a, dict) and a.get("values")}
    for attribute in call.config.attributes_of(category_id):
        if attribute.required and attribute.attribute_id not in valued:
            raise TikTokError(BAD_ATTRIBUTE, f"required product attribute missing: {attribute.name}")
    return [dict(a) for a in given if isinstance(a, dict)]


def _read(call: TikTokCall, body: JsonObject, shop_id: str) -> _Draft:
    config = call.config
    title = body.get("title")
    low, high = config.title_length
    if not isinstance(title, str) or not low <= len(title) <= high:
        raise TikTokError(BAD_TITLE, f"title length must be {low}-{high} characters")
    description = as_str(call, require(call, body, "description"), "description")
    if len(description) > config.description_length:
        raise TikTokError(BAD_DESCRIPTION, f"description must be at most {config.description_length} characters")
    category_id = str(body.get("category_id") or "")
    if not config.is_leaf(category_id):
        raise TikTokError(BAD_CATEGORY, f"category {category_id!r} is not a leaf category or does not exist")
    images = as_list(call, require(call, body, "main_images"), "main_images")
    if not config.image_count[0] <= len(images) <= config.image_count[1]:
        raise TikTokError(BAD_IMAGE, f"main_images must have {config.image_count[0]}-{config.image_count[1]} images")
    uris = [str(image.get("uri")) if isinstance(image, dict) else "" for image in images]
    unknown = [uri for uri in uris if uri not in call.office.images]
    if unknown:
        raise TikTokError(BAD_IMAGE, f"image uri unknown: {unknown[0]}")
    weight, dimensions = _package(call, body)
    save_mode = body.get("save_mode", "LISTING")
    if save_mode not in ("LISTING", "AS_DRAFT"):
        raise call.bad("save_mode must be LISTING or AS_DRAFT")
    return _Draft(
        title,
        description,
        category_id,
        uris,
        _skus(call, body, shop_id),
        weight,
        dimensions,
        _attributes(call, body, category_id),
        str(body.get("brand_id") or ""),
        save_mode == "AS_DRAFT",
    )


def _make_sku(sku_id: str, draft: _SkuDraft, committed: dict[str, int] | None = None) -> Sku:
    return Sku(
        sku_id,
        draft.seller_sku,
        draft.price,
        dict(draft.inventory),
        dict(committed or {}),
        draft.sales_attributes,
        draft.external_sku_id,
    )


def _answer(product: Product) -> JsonObject:
    return {
        "product_id": product.product_id,
        "skus": [
            {"id": s.sku_id, "seller_sku": s.seller_sku, "sales_attributes": s.sales_attributes}
            for s in product.skus.values()
        ],
        "warnings": [],
    }


def _apply(call: TikTokCall, product: Product, draft: _Draft) -> None:
    product.title, product.description, product.category_id = draft.title, draft.description, draft.category_id
    product.main_images, product.package_weight = draft.main_images, draft.package_weight
    product.package_dimensions, product.product_attributes = draft.package_dimensions, draft.product_attributes
    product.brand_id = draft.brand_id
    if draft.draft:
        product.status, product.audit_due = "DRAFT", None
        call.office.touch(product)
    else:
        call.office.submit_for_audit(product)


def create_product(call: TikTokCall) -> JsonObject:
    """POST /product/202309/products."""
    key = call.body.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 128):
        raise call.bad("idempotency_key must be a string of at most 128 characters")
    if key and (call.shop_id, key) in call.office.created:
        return call.office.created[(call.shop_id, key)]
    draft = _read(call, call.body, call.shop_id)
    office = call.office
    skus = [_make_sku(office.next_sku_id(), s) for s in draft.skus]
    product = Product(
        office.next_product_id(),
        call.shop_id,
        draft.title,
        draft.description,
        draft.category_id,
        draft.main_images,
        {s.sku_id: s for s in skus},
        draft.package_weight,
        draft.package_dimensions,
        draft.product_attributes,
        draft.brand_id,
        status="DRAFT" if draft.draft else "PENDING",
    )
    office.add_product(product, audit=not draft.draft)
    answer = _answer(product)
    if key:
        office.created[(call.shop_id, key)] = answer
    return answer


def shop_product(call: TikTokCall) -> Product:
    product = call.office.products.get(call.ids["product_id"])
    if product is None or product.shop_id != call.shop_id or product.status == DELETED:
        raise TikTokError(NOT_FOUND, f"product not found: {call.ids['product_id']}")
    call.office.settle_audits()
    return product


def edit_product(call: TikTokCall) -> JsonObject:
    """PUT /product/202309/products/{product_id}: a full edit; SKUs left out are deleted."""
    product = shop_product(call)
    draft = _read(call, call.body, call.shop_id)
    for sku in draft.skus:
        if sku.sku_id is not None and sku.sku_id not in product.skus:
            raise call.bad(f"sku id {sku.sku_id} is not a SKU of product {product.product_id}")
    kept = {s.sku_id: s for s in draft.skus if s.sku_id is not None}
    if len(kept) != len([s for s in draft.skus if s.sku_id is not None]):
        raise call.bad("a sku id appears twice")
    skus: dict[str, Sku] = {}
    for sku in draft.skus:
        sku_id = sku.sku_id or call.office.next_sku_id()
        old = product.skus.get(sku_id)
        made = _make_sku(sku_id, sku, old.committed if old else None)
        if old is not None:
            made.price_locked, made.locked_quantity = old.price_locked, old.locked_quantity
        skus[sku_id] = made
    product.skus = skus
    _apply(call, product, draft)
    return _answer(product)


def sku_view(sku: Sku) -> JsonObject:
    return {
        "id": sku.sku_id,
        "seller_sku": sku.seller_sku,
        "price": {"amount": str(sku.price), "currency": "VND"},
        "inventory": [{"warehouse_id": w, "quantity": n} for w, n in sku.available.items()],
        "sales_attributes": sku.sales_attributes,
        **({"external_sku_id": sku.external_sku_id} if sku.external_sku_id else {}),
    }


def get_product(call: TikTokCall) -> JsonObject:
    """GET /product/202309/products/{product_id}."""
    product = shop_product(call)
    config, office = call.config, call.office
    return {
        "id": product.product_id,
        "title": product.title,
        "description": product.description,
        "status": product.status,
        "category_chains": [
            {
                "id": c.category_id,
                "parent_id": c.parent_id,
                "local_name": c.local_name,
                "is_leaf": config.is_leaf(c.category_id),
            }
            for c in config.category_chain(product.category_id)
        ],
        "main_images": [
            {"uri": uri, "urls": [office.images[uri].url] if uri in office.images else []}
            for uri in product.main_images
        ],
        "skus": [sku_view(s) for s in product.skus.values()],
        "package_weight": product.package_weight,
        "package_dimensions": product.package_dimensions,
        "product_attributes": product.product_attributes,
        "audit_failed_reasons": product.audit_failed_reasons,
        "create_time": product.create_time,
        "update_time": product.update_time,
    }
