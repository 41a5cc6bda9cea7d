"""Lazada's shelf in the simulator: reading products back, and the category tree, attributes and brands.

``GET /products/get`` is how a client finds what a seller holds: by ``filter`` (all, live, inactive,
deleted, pending, rejected, sold-out; deleted items only with ``deleted``), by creation or update time
(ISO 8601 with its offset), by ``sku_seller_list`` (a JSON array of SellerSkus, matched exactly: the
look-up before every create), walked with ``limit`` (at most 50) and ``offset``, in creation order.
``total_products`` counts the items that match. Each SKU shows its total ``quantity``, what buyers can
order (``Available``) and what orders hold (``withhold_quantity`` unpaid, ``occupy_quantity`` paid), so a
client can tell how low a stock update may go. ``GET /product/item/get`` reads one item by ``item_id``.
"""

from __future__ import annotations

from collections.abc import Callable

from simulators.lazada.products import owned_product
from simulators.lazada.records import ACTIVE, DELETED, INACTIVE, PENDING_QC, REJECTED, Product, Sku
from simulators.lazada.wire import CATEGORY_INVALID, JsonObject, LazadaCall, LazadaError

__all__ = ["get_attributes", "get_brands", "get_category_tree", "get_item", "get_products", "product_view", "sku_view"]

_FILTERS: dict[str, Callable[[Product], bool]] = {
    "all": lambda p: not p.is_deleted,
    "live": lambda p: p.status == ACTIVE,
    "inactive": lambda p: p.status == INACTIVE,
    "deleted": lambda p: p.is_deleted,
    "pending": lambda p: p.status == PENDING_QC,
    "rejected": lambda p: p.status == REJECTED,
    "sold-out": lambda p: not p.is_deleted and sum(s.available for s in p.live_skus()) == 0,
}


def _number(text: str) -> int | str:
    """Lazada writes its ids as JSON numbers."""
    return int(text) if text.isdigit() else text


def sku_view(sku: Sku) -> JsonObject:
    return {
        **sku.extra,  # what the seller sent beyond the fields below (special dates, package_content...)
        "SkuId": sku.sku_id,
        "SellerSku": sku.seller_sku,
        "ShopSku": sku.shop_sku,
        "Status": sku.status,
        "quantity": sku.quantity,
        "Available": sku.available,
        "withhold_quantity": sku.withheld,
        "occupy_quantity": sku.occupied,
        "price": sku.price,
        "special_price": sku.special_price,
        "package_weight": sku.package_weight,
        "package_length": sku.package_length,
        "package_width": sku.package_width,
        "package_height": sku.package_height,
        "saleProp": dict(sku.sale_prop),
    }


def product_view(product: Product) -> JsonObject:
    skus = list(product.skus.values()) if product.status == DELETED else product.live_skus()
    view: JsonObject = {
        "item_id": product.item_id,
        "primary_category": _number(product.primary_category),
        "attributes": dict(product.attributes),
        "status": product.status,
        "images": list(product.images),
        "skus": [sku_view(s) for s in skus],
        "created_time": str(product.created_ms),
        "updated_time": str(product.updated_ms),
    }
    if product.reject_reason:
        view["reject_reason"] = product.reject_reason
    return view


def _in_window(call: LazadaCall, ms: int, after: str, before: str) -> bool:
    low, high = call.time_param(after), call.time_param(before)
    seconds = ms / 1000
    above = low is None or seconds >= low
    below = high is None or seconds < high or (call.config.inclusive_before and seconds == high)
    return above and below


def get_products(call: LazadaCall) -> JsonObject:
    """GET /products/get: ``data{total_products, products[]}``."""
    config = call.config
    name = call.params.get("filter", "all")
    keep = _FILTERS.get(name)
    if keep is None:
        raise call.bad(f"filter must be one of {', '.join(_FILTERS)}", field="filter")
    limit = call.integer("limit", config.products_get_default_limit, low=1, high=config.products_get_limit)
    offset = call.integer("offset", 0)
    wanted: set[str] | None = None
    if "sku_seller_list" in call.params:
        wanted = set(call.string_list("sku_seller_list", config.sku_seller_list_max))
    found = [
        p
        for p in sorted(call.office.products.values(), key=lambda p: p.item_id)
        if p.seller_id == call.seller_id
        and keep(p)
        and _in_window(call, p.updated_ms, "update_after", "update_before")
        and _in_window(call, p.created_ms, "create_after", "create_before")
        and (
            wanted is None or any(s.seller_sku in wanted for s in (p.skus.values() if p.is_deleted else p.live_skus()))
        )
    ]
    return {"total_products": len(found), "products": [product_view(p) for p in found[offset : offset + limit]]}


def get_item(call: LazadaCall) -> JsonObject:
    """GET /product/item/get: one item (a deleted one too) by ``item_id``."""
    return product_view(owned_product(call, call.require("item_id"), include_deleted=True))


def get_category_tree(call: LazadaCall) -> list[JsonObject]:
    """GET /category/tree/get: ``[{category_id, name, leaf, var, children}]`` (``language_code`` en_US or vi_VN)."""
    config = call.config
    english = call.params.get("language_code", "en_US") == "en_US"

    def node(category_id: str) -> JsonObject:
        category = config.category(category_id)
        assert category is not None
        children = [c.category_id for c in config.categories if c.parent_id == category_id]
        entry: JsonObject = {
            "category_id": _number(category_id),
            "name": category.name_en if english and category.name_en else category.name,
            "leaf": not children,
            "var": not children,
        }
        if children:
            entry["children"] = [node(c) for c in children]
        return entry

    return [node(c.category_id) for c in config.categories if c.parent_id == ""]


def get_attributes(call: LazadaCall) -> list[JsonObject]:
    """GET /category/attributes/get: the attributes of a leaf ``primary_category_id`` (4227 otherwise)."""
    category = call.require("primary_category_id")
    if not call.config.is_leaf(category):
        raise LazadaError(CATEGORY_INVALID, f"category {category} is not a leaf category")
    return [
        {
            "id": n + 1,
            "name": a.name,
            "label": a.label,
            "is_mandatory": int(a.mandatory),
            "is_sale_prop": int(a.sale_prop),
            "input_type": a.input_type,
            "attribute_type": "sku" if a.sale_prop else "normal",
            "options": [{"id": k + 1, "name": o, "en_name": o} for k, o in enumerate(a.options)],
        }
        for n, a in enumerate(call.config.attributes_of(category))
    ]


def get_brands(call: LazadaCall) -> JsonObject:
    """GET /category/brands/query: ``data{total_record, module[{brand_id, name, name_en, global_identifier}]}``."""
    start = call.integer("startRow", 0)
    size = call.integer("pageSize", 20, low=1, high=200)
    brands = call.config.brands
    return {
        "total_record": len(brands),
        "module": [
            {
                "brand_id": _number(b.brand_id),
                "name": b.name,
                "name_en": b.name_en or b.name,
                "global_identifier": b.name,
            }
            for b in brands[start : start + size]
        ],
    }
