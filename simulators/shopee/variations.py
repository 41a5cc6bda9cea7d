"""Shopee variation writes: an item's tier variations and its models.

Variations follow Shopee's shape: at most two tiers, option images on the first tier only (all or none),
at most 50 models; a live item's options are changed by ``update_tier_variation`` (its ``model_list``
placing the models kept, as Shopee's variant-management guide shows), its models by ``add_model``,
``update_model`` (SKU, and since 2024-05-29 the model's own weight and dimension) and ``delete_model``
(never the last one).
"""

from __future__ import annotations

from typing import Any

from simulators.shopee.catalog import (
    check_price,
    check_price_ratio,
    editable,
    model_view,
    own_item,
    stock_amount,
)
from simulators.shopee.listing import known_image
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
    "add_model",
    "delete_model",
    "init_tier_variation",
    "update_model",
    "update_tier_variation",
]

ModelSpec = tuple[list[int], str, int, int]  # tier_index, model_sku, price, stock


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
            image_id = known_image(call, as_object(image, "image").get("image_id")) if image else None
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
