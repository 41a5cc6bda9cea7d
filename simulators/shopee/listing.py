"""Shopee listing writes: creating and editing items (their variations: :mod:`simulators.shopee.variations`).

A listing is where Shopee refuses the most, and for reasons a person must fix: a title too long or
containing a prohibited word, a category that is not a leaf, too few images, a price outside the limits
or with a fraction of a đồng, a logistics channel that needs dimensions. Every such refusal is an error in
an HTTP 200 envelope (``product.error_busi``, ``error_title_exceeds_max_length``, ``error_param`` …).
``update_item`` re-validates the whole merged item, as Shopee does, and refuses price, stock and model
fields, which have their own endpoints.
"""

from __future__ import annotations

from typing import Any

from simulators.shopee.catalog import (
    check_price,
    editable,
    item_view,
    own_item,
    stock_amount,
)
from simulators.shopee.records import Item
from simulators.shopee.wire import (
    JsonObject,
    ShopeeCall,
    ShopeeError,
    as_int,
    as_list,
    as_object,
    as_str,
    param_error,
    require,
    whole_dong,
)

__all__ = [
    "add_item",
    "update_item",
]

# Fields of an item that update_item may change; everything else has its own endpoint.
_CONTENT = (
    "item_name",
    "description",
    "description_type",
    "category_id",
    "weight",
    "image",
    "logistic_info",
    "dimension",
    "item_sku",
    "attribute_list",
    "brand",
    "condition",
    "pre_order",
    "wholesale",
)
_NOT_BY_UPDATE_ITEM = (
    "original_price",
    "price_info",
    "seller_stock",
    "normal_stock",
    "stock_info",
    "model",
    "tier_variation",
)


def known_image(call: ShopeeCall, raw: Any) -> str:
    image_id = as_str(raw, "image_id")
    if call.config.require_uploaded_images and image_id not in call.office.images:
        raise param_error(f"image_id {image_id} does not exist, upload it with media_space/upload_image first")
    return image_id


def _check_name(call: ShopeeCall, raw: Any) -> str:
    name = as_str(raw, "item_name").strip()
    low, high = call.config.limits.name_length
    if len(name) > high:
        raise ShopeeError("error_title_exceeds_max_length", f"Item name exceeds the max length of {high} characters.")
    if len(name) < low:
        raise param_error(f"item_name length should be between {low} and {high}")
    for word in call.config.banned_words:
        if word.casefold() in name.casefold():
            raise ShopeeError(
                "product.error_busi",
                f'Item name contains a prohibited word: "{word}". Remove it and submit again.',
            )
    return name


def _check_logistics(call: ShopeeCall, raw: Any, weight: float, dimension: JsonObject | None) -> list[JsonObject]:
    entries = as_list(raw, "logistic_info")
    enabled_any = False
    for raw_entry in entries:
        entry = as_object(raw_entry, "logistic_info")
        channel_id = as_int(require(entry, "logistic_id"), "logistic_id")
        channel = call.config.channel(channel_id)
        if channel is None:
            raise param_error(f"logistic_id {channel_id} is not a logistics channel of this shop")
        if entry.get("enabled") is not True:
            continue
        if not channel.enabled:
            raise param_error(f"logistics channel {channel_id} is disabled for this shop")
        if channel.fee_type == "SIZE_INPUT" and dimension is None:
            raise param_error(f"dimension is required by logistics channel {channel_id}")
        if weight > channel.max_weight_kg:
            raise param_error(f"weight exceeds the limit of logistics channel {channel_id}")
        enabled_any = True
    if not enabled_any:
        raise param_error("at least one logistics channel should be enabled")
    return [dict(e) for e in entries]


def _check_content(call: ShopeeCall, content: JsonObject) -> dict[str, Any]:
    """The whole listing, validated; returns :class:`Item` attribute values."""
    limits = call.config.limits
    name = _check_name(call, require(content, "item_name"))
    description_type = content.get("description_type") or "normal"
    if description_type not in ("normal", "extended"):
        raise param_error("description_type should be normal or extended")
    raw_description = require(content, "description") if description_type == "normal" else content.get("description")
    description = as_str(raw_description or "", "description")
    low, high = limits.description_length
    if description_type == "normal" and not low <= len(description) <= high:
        raise param_error(f"description length should be between {low} and {high}")
    category_id = as_int(require(content, "category_id"), "category_id")
    if not call.config.is_leaf(category_id):
        raise ShopeeError("error_invalid_category", f"Invalid category_id {category_id}: use a leaf category.")
    weight = require(content, "weight")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        raise param_error("weight should be greater than 0")
    image_ids = [
        known_image(call, i)
        for i in as_list(as_object(require(content, "image"), "image").get("image_id_list", []), "image_id_list")
    ]
    low, high = limits.image_count
    if len(image_ids) < low:
        raise ShopeeError("error_image_num_min", f"At least {low} image is required.")
    if len(image_ids) > high:
        raise param_error(f"image_id_list should have at most {high} images")
    dimension = content.get("dimension")
    if dimension is not None:
        dimension = as_object(dimension, "dimension")
        for side in ("package_length", "package_width", "package_height"):
            if as_int(require(dimension, side), side) <= 0:
                raise param_error(f"{side} should be greater than 0")
    item_sku = as_str(content.get("item_sku") or "", "item_sku")
    if len(item_sku) > limits.sku_length:
        raise param_error(f"item_sku should be at most {limits.sku_length} characters")
    condition = content.get("condition") or "NEW"
    if condition not in ("NEW", "USED"):
        raise param_error("condition should be NEW or USED")
    return {
        "item_name": name,
        "description": description,
        "description_type": description_type,
        "category_id": category_id,
        "weight": float(weight),
        "image_ids": image_ids,
        "logistic_info": _check_logistics(call, require(content, "logistic_info"), float(weight), dimension),
        "dimension": dimension,
        "item_sku": item_sku,
        "attribute_list": as_list(content.get("attribute_list") or [], "attribute_list"),
        "brand": as_object(content["brand"], "brand") if content.get("brand") is not None else None,
        "condition": condition,
        "pre_order": as_object(content.get("pre_order") or {"is_pre_order": False, "days_to_ship": 2}, "pre_order"),
        "wholesale": as_list(content.get("wholesale") or [], "wholesale"),
    }


def _status(raw: Any) -> str:
    status = raw or "NORMAL"
    if status not in ("NORMAL", "UNLIST"):
        raise param_error("item_status should be NORMAL or UNLIST")
    return str(status)


def add_item(call: ShopeeCall) -> JsonObject:
    shop = call.shop
    assert shop is not None  # shop APIs always carry a verified shop
    if shop.holiday_mode:
        raise ShopeeError("error_holiday_on_add_item", "The shop is in holiday mode; items cannot be added.")
    content = _check_content(call, call.body)
    price = check_price(call, whole_dong(require(call.body, "original_price"), "original_price"))
    raw_stock = call.body.get("seller_stock")
    stock = stock_amount(call, raw_stock) if raw_stock is not None else 0
    status = _status(call.body.get("item_status"))
    live = [i for i in call.office.shop_items(shop.shop_id) if not i.is_deleted]
    if len(live) >= call.config.limits.item_count:
        raise ShopeeError("product.error_busi", "The shop has reached its item count limit.")
    name = content.pop("item_name")
    item = call.office.create_item(shop.shop_id, name, price=price, stock=stock, item_status=status, **content)
    return {
        **item_view(call, item),
        "seller_stock": [{"location_id": call.config.stock_location_id, "stock": stock}],
    }


def _wire_content(item: Item) -> JsonObject:
    return {
        "item_name": item.item_name,
        "description": item.description,
        "description_type": item.description_type,
        "category_id": item.category_id,
        "weight": item.weight,
        "image": {"image_id_list": list(item.image_ids)},
        "logistic_info": item.logistic_info,
        "dimension": item.dimension,
        "item_sku": item.item_sku,
        "attribute_list": item.attribute_list,
        "brand": item.brand,
        "condition": item.condition,
        "pre_order": item.pre_order,
        "wholesale": item.wholesale,
    }


def update_item(call: ShopeeCall) -> JsonObject:
    item = own_item(call, as_int(require(call.body, "item_id"), "item_id"))
    editable(item)
    for field in _NOT_BY_UPDATE_ITEM:
        if field in call.body:
            raise param_error(
                f"{field} cannot be changed by update_item; use update_price, update_stock or the model calls"
            )
    changes = {k: v for k, v in call.body.items() if k in _CONTENT}
    content = _check_content(call, {**_wire_content(item), **changes})
    status = _status(call.body["item_status"]) if "item_status" in call.body else None
    for attribute, value in content.items():
        setattr(item, attribute, value)
    if status is not None:
        item.requested_status = status
        if item.item_status != "REVIEWING":
            item.item_status = status
    call.office.touch(item)
    return {"item_id": item.item_id, **changes, **({"item_status": item.item_status} if status else {})}
