"""Shopee listing writes: creating and editing items, and their tier variations and models.

A listing is where Shopee refuses the most, and for reasons a person must fix: a title too long or
containing a prohibited word, a category that is not a leaf, too few images, a price outside the limits
or with a fraction of a đồng, a logistics channel that needs dimensions. Every such refusal is an error in
an HTTP 200 envelope (``product.error_busi``, ``error_title_exceeds_max_length``, ``error_param`` …).
``update_item`` re-validates the whole merged item, as Shopee does, and refuses price, stock and model
fields, which have their own endpoints. Variations follow Shopee's shape: at most two tiers, option
images on the first tier only (all or none), at most 50 models; a live item's options are changed by
``update_tier_variation`` (its ``model_list`` placing the models kept, as Shopee's variant-management
guide shows), its models by ``add_model`` and ``delete_model`` (never the last one).
"""

from __future__ import annotations

from typing import Any

from simulators.shopee.catalog import (
    check_price,
    check_price_ratio,
    editable,
    item_view,
    model_view,
    own_item,
    stock_amount,
)
from simulators.shopee.media import image_info
from simulators.shopee.records import Item, Model
from simulators.shopee.wire import (
    JsonObject,
    ShopeeCall,
    ShopeeError,
    as_int,
    as_list,
    as_object,
    as_str,
    batch,
    param_error,
    require,
    whole_dong,
)

__all__ = [
    "add_item",
    "add_model",
    "delete_model",
    "init_tier_variation",
    "update_item",
    "update_model",
    "update_tier_variation",
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

ModelSpec = tuple[list[int], str, int, int]  # tier_index, model_sku, price, stock


def _known_image(call: ShopeeCall, raw: Any) -> str:
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
        _known_image(call, i)
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


def _check_tiers(call: ShopeeCall, raw: Any) -> list[JsonObject]:
    limits = call.config.limits
    tiers = as_list(raw, "tier_variation")
    if not 1 <= len(tiers) <= limits.tier_count:
        raise param_error(f"tier_variation should have 1 to {limits.tier_count} tiers")
    checked: list[JsonObject] = []
    for number, raw_tier in enumerate(tiers):
        tier = as_object(raw_tier, "tier_variation")
        name = as_str(require(tier, "name"), "tier_variation.name").strip()
        if not 1 <= len(name) <= limits.tier_name_length:
            raise param_error(f"tier_variation name should be 1 to {limits.tier_name_length} characters")
        options: list[JsonObject] = []
        for raw_option in as_list(require(tier, "option_list"), "option_list"):
            option = as_object(raw_option, "option_list")
            text = as_str(require(option, "option"), "option").strip()
            if not 1 <= len(text) <= limits.tier_option_length:
                raise param_error(f"option should be 1 to {limits.tier_option_length} characters")
            if any(o["option"] == text for o in options):
                raise param_error(f"option {text} appears twice in tier {name}")
            image = option.get("image")
            if image and number > 0:
                raise param_error("only the first tier may have option images")
            image_id = _known_image(call, as_object(image, "image").get("image_id")) if image else None
            options.append({"option": text} | ({"image": image_info(call, image_id)} if image_id else {}))
        if not options:
            raise param_error(f"tier {name} needs at least one option")
        with_images = sum("image" in o for o in options)
        if 0 < with_images < len(options):
            raise param_error("option images must be set on every option of the first tier, or on none")
        checked.append({"name": name, "option_list": options})
    return checked


def _place(model: JsonObject, tiers: list[JsonObject], taken: set[tuple[int, ...]]) -> list[int]:
    """A model's tier_index, checked against the tiers and the places other models took (then taken)."""
    index = [as_int(i, "tier_index") for i in as_list(require(model, "tier_index"), "tier_index")]
    if len(index) != len(tiers) or any(not 0 <= i < len(t["option_list"]) for i, t in zip(index, tiers, strict=True)):
        raise param_error(f"tier_index {index} does not match tier_variation")
    if tuple(index) in taken:
        raise param_error(f"tier_index {index} is used by another model")
    taken.add(tuple(index))
    return index


def _package(entry: JsonObject) -> tuple[float | None, JsonObject | None]:
    """A model's own weight (kg) and dimension (whole cm), if it gives them: a model that sets a dimension
    must set its weight too (Shopee's rule, DOC)."""
    weight, dimension = entry.get("weight"), entry.get("dimension")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0):
        raise param_error("model weight should be greater than 0")
    if dimension is not None:
        if weight is None:
            raise param_error("a model that sets dimension must set weight")
        dimension = as_object(dimension, "dimension")
        for side in ("package_length", "package_width", "package_height"):
            if as_int(require(dimension, side), side) <= 0:
                raise param_error(f"{side} should be greater than 0")
    return (None if weight is None else float(weight)), dimension


def _set_packages(models: list[Model], raw: list[Any]) -> None:
    for model, entry in zip(models, raw, strict=True):
        model.weight, model.dimension = _package(as_object(entry, "model"))


def _check_models(
    call: ShopeeCall, tiers: list[JsonObject], raw: list[Any], taken: set[tuple[int, ...]]
) -> list[ModelSpec]:
    limits = call.config.limits
    if len(taken) + len(raw) > limits.model_count:
        raise ShopeeError("product.error_busi", f"An item can have at most {limits.model_count} models.")
    specs: list[ModelSpec] = []
    for raw_model in raw:
        model = as_object(raw_model, "model")
        index = _place(model, tiers, taken)
        price = check_price(call, whole_dong(require(model, "original_price"), "original_price"))
        sku = as_str(model.get("model_sku") or "", "model_sku")
        if len(sku) > limits.sku_length:
            raise param_error(f"model_sku should be at most {limits.sku_length} characters")
        stock = stock_amount(call, model["seller_stock"]) if model.get("seller_stock") is not None else 0
        _package(model)  # refused before anything is made
        specs.append((index, sku, price, stock))
    return specs


def init_tier_variation(call: ShopeeCall) -> JsonObject:
    item = own_item(call, as_int(require(call.body, "item_id"), "item_id"))
    editable(item)
    if item.has_model:
        raise ShopeeError(
            "product.error_busi", "The item already has variations; use update_tier_variation and add_model."
        )
    if call.office.clock() - item.create_time < call.config.tier_variation_delay:
        raise ShopeeError("product.error_busi", "The item is still being created; try again in a few seconds.")
    tiers = _check_tiers(call, require(call.body, "tier_variation"))
    raw = batch(require(call.body, "model"), "model", call.config.limits.model_count)
    specs = _check_models(call, tiers, raw, set())
    check_price_ratio(call, [spec[2] for spec in specs])
    created = call.office.set_tiers(item.item_id, tiers, specs)
    _set_packages(created, raw)
    return {"item_id": item.item_id, "tier_variation": tiers, "model": [model_view(call, m) for m in created]}


def _with_models(call: ShopeeCall) -> Item:
    item = own_item(call, as_int(require(call.body, "item_id"), "item_id"))
    editable(item)
    if not item.has_model:
        raise ShopeeError("product.error_busi", "The item has no variations; call init_tier_variation first.")
    return item


def _placed(call: ShopeeCall, item: Item, tiers: list[JsonObject], raw: Any) -> dict[int, list[int]]:
    """update_tier_variation's ``model_list``: model id → its tier_index in the new tiers."""
    placed: dict[int, list[int]] = {}
    taken: set[tuple[int, ...]] = set()
    for raw_entry in batch(raw, "model_list", call.config.limits.model_count):
        entry = as_object(raw_entry, "model_list")
        model_id = as_int(require(entry, "model_id"), "model_id")
        if model_id not in item.models or model_id in placed:
            raise param_error(f"model_id {model_id} does not belong to item {item.item_id} or appears twice")
        placed[model_id] = _place(entry, tiers, taken)
    return placed


def update_tier_variation(call: ShopeeCall) -> JsonObject:
    """Rename, append, remove or reorder options (Shopee's variant-management guide).

    ``model_list`` says where each model the item keeps sits in the new tiers; a model it leaves out is
    deleted, as the guide's examples delete a removed option's models. Without ``model_list`` options
    may only be renamed or appended and the models keep their tier_index (UNCERTAIN: the guide only
    says to send ``model_list`` to keep the models).
    """
    item = _with_models(call)
    tiers = _check_tiers(call, require(call.body, "tier_variation"))
    if len(tiers) != len(item.tier_variation):
        raise param_error("the number of tiers cannot change here; use init_tier_variation")
    if "model_list" in call.body:
        placed = _placed(call, item, tiers, call.body["model_list"])  # 1..50 entries: a model always stays
        item.models = {model_id: item.models[model_id] for model_id in placed}
        for model_id, index in placed.items():
            item.models[model_id].tier_index = index
    elif any(
        len(new["option_list"]) < len(old["option_list"]) for new, old in zip(tiers, item.tier_variation, strict=True)
    ):
        raise param_error("without model_list, options may only be renamed or appended")
    item.tier_variation = tiers
    call.office.touch(item)
    return {"item_id": item.item_id, "tier_variation": tiers}


def add_model(call: ShopeeCall) -> JsonObject:
    item = _with_models(call)
    raw = batch(require(call.body, "model_list"), "model_list", call.config.limits.model_count)
    taken = {tuple(m.tier_index) for m in item.models.values()}
    specs = _check_models(call, item.tier_variation, raw, taken)
    check_price_ratio(call, [m.original_price for m in item.models.values()] + [spec[2] for spec in specs])
    created = call.office.add_models(item.item_id, specs)
    _set_packages(created, raw)
    return {"model": [model_view(call, m) for m in created]}


def update_model(call: ShopeeCall) -> JsonObject:
    item = _with_models(call)
    changes = []
    for raw_entry in batch(require(call.body, "model"), "model", call.config.limits.batch_size):
        entry = as_object(raw_entry, "model")
        model_id = as_int(require(entry, "model_id"), "model_id")
        if model_id not in item.models:
            raise param_error(f"model_id {model_id} does not belong to item {item.item_id}")
        sku = as_str(entry["model_sku"], "model_sku") if "model_sku" in entry else None
        if sku is not None and len(sku) > call.config.limits.sku_length:
            raise param_error(f"model_sku should be at most {call.config.limits.sku_length} characters")
        changes.append((model_id, sku, _package(entry) if "weight" in entry or "dimension" in entry else None))
    for model_id, sku, package in changes:
        model = item.models[model_id]
        if sku is not None:
            model.model_sku = sku
        if package is not None:
            model.weight, model.dimension = package
    call.office.touch(item)
    return {}


def delete_model(call: ShopeeCall) -> JsonObject:
    item = _with_models(call)
    model_id = as_int(require(call.body, "model_id"), "model_id")
    if model_id not in item.models:
        raise param_error(f"model_id {model_id} does not belong to item {item.item_id}")
    if len(item.models) == 1:
        raise ShopeeError("product.error_busi", "The last model of an item cannot be deleted.")
    del item.models[model_id]
    call.office.touch(item)
    return {}
