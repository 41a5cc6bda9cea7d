"""Shopee product reads and cheap writes: listing pages, item and model details, price, stock, status.

These are the calls a sync makes most: page through a shop's items, read them back, push prices and
stock in batches of up to 50, unlist, relist, delete. Batch writes answer per entry with ``success_list``
and ``failure_list`` (a locked promotion price, a stock below the reserved quantity) while malformed input
refuses the whole call with ``error_param``. Also here: the item and model views every product endpoint
answers with, and the category tree, item limits and logistics channels a mapper reads.

Read semantics that had to be chosen: pages are ordered by ``item_id``; ``search_item`` matches
``item_sku`` exactly and never ``model_sku`` (Shopee's search looks at the item only), and by default
searches every status except the deleted ones; ``price_info`` and ``stock_info_v2`` are absent from
``get_item_base_info`` for an item with models (read ``get_model_list``).
"""

from __future__ import annotations

from typing import Any

from simulators.shopee.records import DELETED_STATUSES, ITEM_STATUSES, Item, Model
from simulators.shopee.wire import (
    JsonObject,
    ShopeeCall,
    ShopeeError,
    as_bool,
    as_int,
    as_list,
    as_object,
    batch,
    param_error,
    query_csv_ints,
    query_int,
    require,
    whole_dong,
)

__all__ = [
    "check_price",
    "check_price_ratio",
    "delete_item",
    "editable",
    "get_category",
    "get_channel_list",
    "get_item_base_info",
    "get_item_limit",
    "get_item_list",
    "get_model_list",
    "item_view",
    "model_view",
    "own_item",
    "search_item",
    "stock_amount",
    "unlist_item",
    "update_price",
    "update_stock",
]

_SEARCHABLE = tuple(s for s in ITEM_STATUSES if s not in DELETED_STATUSES)


def own_item(call: ShopeeCall, item_id: int, *, include_deleted: bool = False) -> Item:
    item = call.office.items.get(item_id)
    if (
        item is None
        or item.shop_id != call.shop_id
        or call.office.is_purged(item)
        or (item.is_deleted and not include_deleted)
    ):
        raise ShopeeError("error_item_not_found", f"Item not found, item_id: {item_id}.")
    return item


def editable(item: Item) -> None:
    if item.item_status == "BANNED":
        raise ShopeeError("product.error_busi", "Item is banned by Shopee and cannot be edited.")


def check_price(call: ShopeeCall, price: int) -> int:
    low, high = call.config.limits.price
    if price < low:
        raise ShopeeError("error_price_exceed_min_limitt", f"Price should be at least {low}.")
    if price > high:
        raise ShopeeError("error_price_exceed_max_limitt", f"Price should be at most {high}.")
    return price


def check_price_ratio(call: ShopeeCall, prices: list[int]) -> None:
    ratio = call.config.limits.model_price_ratio
    if ratio is not None and prices and max(prices) > ratio * min(prices):
        raise ShopeeError(
            "product.error_busi",
            f"The highest model price may be at most {ratio:g} times the lowest model price.",
        )


def stock_amount(call: ShopeeCall, value: Any, name: str = "seller_stock") -> int:
    """``seller_stock: [{"location_id"?, "stock"}]``: one location only in the sandbox."""
    entries = as_list(value, name)
    if len(entries) != 1:
        raise param_error(f"{name} should have exactly one entry")
    stock = as_int(require(as_object(entries[0], name), "stock"), "stock")
    low, high = call.config.limits.stock
    if not low <= stock <= high:
        raise param_error(f"stock should be between {low} and {high}")
    return stock


def _price_info(call: ShopeeCall, model: Model) -> list[JsonObject]:
    price = call.money(model.original_price)
    return [{"currency": call.config.currency, "original_price": price, "current_price": price}]


def _stock_info(call: ShopeeCall, models: list[Model]) -> JsonObject:
    seller = sum(m.seller_stock for m in models)
    reserved = sum(m.reserved_stock for m in models)
    return {
        "summary_info": {
            "total_reserved_stock": reserved,
            "total_available_stock": max(0, seller - reserved),
        },
        "seller_stock": [{"location_id": call.config.stock_location_id, "stock": seller}],
    }


def item_view(call: ShopeeCall, item: Item) -> JsonObject:
    view: JsonObject = {
        "item_id": item.item_id,
        "category_id": item.category_id,
        "item_name": item.item_name,
        "description": item.description,
        "description_type": item.description_type,
        "item_sku": item.item_sku,
        "create_time": item.create_time,
        "update_time": item.update_time,
        "attribute_list": item.attribute_list,
        "image": {
            "image_id_list": list(item.image_ids),
            "image_url_list": [call.office.image_url(i) for i in item.image_ids],
        },
        "weight": item.weight,
        "dimension": item.dimension,
        "logistic_info": item.logistic_info,
        "pre_order": item.pre_order,
        "wholesale": item.wholesale,
        "condition": item.condition,
        "brand": item.brand,
        "item_status": item.item_status,
        "has_model": item.has_model,
    }
    if not item.has_model:
        view["price_info"] = _price_info(call, item.models[0])
        view["stock_info_v2"] = _stock_info(call, [item.models[0]])
    return view


def model_view(call: ShopeeCall, model: Model) -> JsonObject:
    view: JsonObject = {
        "model_id": model.model_id,
        "tier_index": list(model.tier_index),
        "model_sku": model.model_sku,
        "model_status": model.model_status,
        "price_info": _price_info(call, model),
        "stock_info_v2": _stock_info(call, [model]),
    }
    if model.weight is not None:  # a model without its own package ships as its item says
        view["weight"] = model.weight
        if model.dimension is not None:
            view["dimension"] = model.dimension
    return view


def _model_of(item: Item, model_id: int) -> Model | None:
    # Items without variations are addressed as model 0; items with variations never are.
    if (model_id == 0) == item.has_model:
        return None
    return item.models.get(model_id)


def update_price(call: ShopeeCall) -> JsonObject:
    item = own_item(call, as_int(require(call.body, "item_id"), "item_id"))
    editable(item)
    entries = batch(require(call.body, "price_list"), "price_list", call.config.limits.batch_size)
    wanted = [
        (
            as_int(as_object(e, "price_list").get("model_id", 0), "model_id"),
            whole_dong(require(e, "original_price"), "original_price"),
        )
        for e in entries
    ]
    success: list[JsonObject] = []
    failure: list[JsonObject] = []
    for model_id, price in wanted:
        model = _model_of(item, model_id)
        try:
            if model is None:
                raise param_error(f"model_id {model_id} is invalid for item {item.item_id}")
            if model.price_locked:
                raise ShopeeError("error_cannt_edit_price_in_promotion", "The price is locked by an ongoing promotion.")
            check_price(call, price)
            others = [m.original_price for m in item.models.values() if m is not model]
            check_price_ratio(call, [*others, price])
        except ShopeeError as exc:
            failure.append({"model_id": model_id, "failed_reason": f"{exc.error}: {exc.message}"})
            continue
        model.original_price = price
        success.append({"model_id": model_id, "original_price": call.money(price)})
    if success:
        call.office.touch(item)
    return {"success_list": success, "failure_list": failure}


def update_stock(call: ShopeeCall) -> JsonObject:
    item = own_item(call, as_int(require(call.body, "item_id"), "item_id"))
    editable(item)
    entries = batch(require(call.body, "stock_list"), "stock_list", call.config.limits.batch_size)
    wanted: list[tuple[int, int]] = []
    for raw_entry in entries:
        entry = as_object(raw_entry, "stock_list")
        stocks = as_list(require(entry, "seller_stock"), "seller_stock")
        if len(stocks) != 1:
            raise param_error("seller_stock should have exactly one entry")
        stock = as_int(require(as_object(stocks[0], "seller_stock"), "stock"), "stock")
        wanted.append((as_int(entry.get("model_id", 0), "model_id"), stock))
    success: list[JsonObject] = []
    failure: list[JsonObject] = []
    low, high = call.config.limits.stock
    for model_id, stock in wanted:
        model = _model_of(item, model_id)
        if model is None:
            reason = f"model_id {model_id} is invalid for item {item.item_id}"
        elif not low <= stock <= high:
            reason = f"stock should be between {low} and {high}"
        elif stock < model.reserved_stock:
            reason = f"error_busi_update_stock_failed: stock is below the reserved stock {model.reserved_stock}"
        else:
            model.seller_stock = stock
            success.append({"model_id": model_id, "location_id": call.config.stock_location_id, "stock": stock})
            continue
        failure.append({"model_id": model_id, "failed_reason": reason})
    if success:
        call.office.touch(item)
    return {"success_list": success, "failure_list": failure}


def unlist_item(call: ShopeeCall) -> JsonObject:
    entries = batch(require(call.body, "item_list"), "item_list", call.config.limits.batch_size)
    wanted = [
        (
            as_int(require(as_object(e, "item_list"), "item_id"), "item_id"),
            as_bool(require(e, "unlist"), "unlist"),
        )
        for e in entries
    ]
    success: list[JsonObject] = []
    failure: list[JsonObject] = []
    for item_id, unlist in wanted:
        item = call.office.items.get(item_id)
        if item is None or item.shop_id != call.shop_id or item.is_deleted:
            failure.append({"item_id": item_id, "failed_reason": "Item not found."})
        elif item.item_status in ("BANNED", "REVIEWING"):
            failure.append({"item_id": item_id, "failed_reason": f"Item is {item.item_status} and cannot be changed."})
        else:
            item.item_status = item.requested_status = "UNLIST" if unlist else "NORMAL"
            call.office.touch(item)
            success.append({"item_id": item_id, "unlist": unlist})
    return {"success_list": success, "failure_list": failure}


def delete_item(call: ShopeeCall) -> JsonObject:
    item = own_item(call, as_int(require(call.body, "item_id"), "item_id"))
    call.office.set_item_status(item.item_id, "SELLER_DELETE")
    return {}


def _page(call: ShopeeCall) -> tuple[int, int]:
    offset = query_int(call, "offset", default=0)
    page_size = query_int(call, "page_size")
    limit = call.config.limits.page_size
    if offset < 0:
        raise param_error("offset should not be negative")
    if not 1 <= page_size <= limit:
        raise param_error(f"page_size should be between 1 and {limit}")
    return offset, page_size


def _statuses(call: ShopeeCall, default: tuple[str, ...] | None) -> tuple[str, ...]:
    statuses = tuple(call.args("item_status"))
    if not statuses:
        if default is None:
            raise param_error("item_status is required")
        return default
    for status in statuses:
        if status not in ITEM_STATUSES:
            raise param_error(f"item_status {status} is invalid")
    return statuses


def get_item_list(call: ShopeeCall) -> JsonObject:
    offset, page_size = _page(call)
    statuses = _statuses(call, None)
    since = query_int(call, "update_time_from", default=0)
    until = query_int(call, "update_time_to", default=2**62)
    items = sorted(
        (
            i
            for i in call.office.shop_items(call.shop_id)
            if i.item_status in statuses and since <= i.update_time <= until
        ),
        key=lambda i: i.item_id,
    )
    total = len(items)
    if offset > 0 and offset >= total:
        raise ShopeeError("error_param", "get items offset over limit, please use the next field")
    page = items[offset : offset + page_size]
    next_offset = offset + len(page)
    return {
        "item": [{"item_id": i.item_id, "item_status": i.item_status, "update_time": i.update_time} for i in page],
        "total_count": total,
        "has_next_page": next_offset < total,
        "next_offset": next_offset,
    }


def get_item_base_info(call: ShopeeCall) -> JsonObject:
    ids = query_csv_ints(call, "item_id_list", call.config.limits.batch_size)
    found = []
    for item_id in ids:
        try:
            found.append(own_item(call, item_id, include_deleted=True))
        except ShopeeError:
            continue  # unknown ids are left out of the answer, not refused
    return {"item_list": [item_view(call, i) for i in found]}


def get_model_list(call: ShopeeCall) -> JsonObject:
    item = own_item(call, query_int(call, "item_id"), include_deleted=True)
    models = [model_view(call, m) for m in item.models.values()] if item.has_model else []
    return {"tier_variation": item.tier_variation, "model": models}


def search_item(call: ShopeeCall) -> JsonObject:
    offset, page_size = _page(call)
    name, sku, attribute = call.arg("item_name"), call.arg("item_sku"), call.arg("attribute_status")
    if not (name or sku or attribute):
        raise param_error("one of item_name, item_sku or attribute_status is required")
    statuses = _statuses(call, _SEARCHABLE)
    hits = sorted(
        (
            i.item_id
            for i in call.office.shop_items(call.shop_id)
            if i.item_status in statuses
            and (not sku or i.item_sku == sku)
            and (not name or name.casefold() in i.item_name.casefold())
            # The sandbox has no mandatory attributes, so no item lacks any.
            and not attribute
        ),
    )
    page = hits[offset : offset + page_size]
    more = offset + len(page) < len(hits)
    return {
        "item_id_list": page,
        "total_count": len(hits),
        "next_offset": str(offset + len(page)) if more else "",
    }


def get_category(call: ShopeeCall) -> JsonObject:
    english = (call.arg("language") or "en").lower() != "vi"
    parents = {c.parent_category_id for c in call.config.categories}
    return {
        "category_list": [
            {
                "category_id": c.category_id,
                "parent_category_id": c.parent_category_id,
                "original_category_name": c.name_vi,
                "display_category_name": c.name_en if english else c.name_vi,
                "has_children": c.category_id in parents,
            }
            for c in call.config.categories
        ]
    }


def get_item_limit(call: ShopeeCall) -> JsonObject:
    raw = call.arg("category_id")
    if raw and (not raw.isdigit() or call.config.category(int(raw)) is None):
        raise ShopeeError("error_invalid_category", f"Invalid category_id {raw}.")
    return call.config.limits.as_wire()


def get_channel_list(call: ShopeeCall) -> JsonObject:
    return {"logistics_channel_list": [c.as_wire() for c in call.config.logistics_channels]}
