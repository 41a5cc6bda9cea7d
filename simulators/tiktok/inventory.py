"""TikTok Shop's cheap endpoints in the sandbox: prices, stock per warehouse, and reading stock back.

``prices/update`` and ``inventory/update`` address the SKUs of one product (its id in the path), at most
``price_batch`` / ``inventory_batch`` a call, and only while the product's status allows it (12052003
otherwise: a product under audit is waited for, not failed). They differ in how they fail, as TikTok's
do: a price call is all or nothing (one bad SKU, one locked price, and nothing changes), a stock call
applies every SKU it can and lists the others in ``data.errors``. ``inventory/search`` reads available
and committed units per warehouse, by product or by SKU.
"""

from __future__ import annotations

from typing import Any

from simulators.tiktok.products import read_price, read_quantity, shop_product
from simulators.tiktok.records import Product, Sku
from simulators.tiktok.wire import (
    BAD_QUANTITY,
    BATCH_TOO_LARGE,
    NOT_FOUND,
    PRICE_LOCKED,
    QUANTITY_LOCKED,
    STATUS_REFUSES,
    JsonObject,
    TikTokCall,
    TikTokError,
    as_list,
    as_object,
    id_list,
)

__all__ = ["search_inventory", "update_inventory", "update_prices"]


def _batch(call: TikTokCall, limit: int) -> list[JsonObject]:
    skus = as_list(call, call.body.get("skus"), "skus")
    if not skus:
        raise call.bad("skus must not be empty")
    if len(skus) > limit:
        raise TikTokError(BATCH_TOO_LARGE, f"skus exceed limit: at most {limit}")
    return [as_object(call, sku, "skus[]") for sku in skus]


def _updatable(product: Product, statuses: tuple[str, ...]) -> None:
    if product.status not in statuses:
        raise TikTokError(STATUS_REFUSES, f"product status does not allow price/inventory update: {product.status}")


def update_prices(call: TikTokCall) -> JsonObject:
    """POST /product/202309/products/{product_id}/prices/update: every SKU, or none."""
    product = shop_product(call)
    entries = _batch(call, call.config.price_batch)
    _updatable(product, call.config.price_update_statuses)
    changes: list[tuple[Sku, int]] = []
    for n, entry in enumerate(entries):
        sku = product.skus.get(str(entry.get("id")))
        if sku is None:
            raise TikTokError(NOT_FOUND, f"sku not found in product {product.product_id}: {entry.get('id')}")
        price = read_price(call, entry.get("price"), f"skus[{n}]")
        if sku.price_locked and price != sku.price:
            raise TikTokError(PRICE_LOCKED, f"price locked by promotion: sku {sku.sku_id}")
        changes.append((sku, price))
    for sku, price in changes:
        sku.price = price
    call.office.touch(product)
    return {}


def _sku_error(code: int, message: str, sku_id: str) -> JsonObject:
    return {"code": code, "message": message, "detail": {"sku_id": sku_id, "extra_errors": []}}


def _stock_change(call: TikTokCall, product: Product, entry: JsonObject) -> tuple[Sku, dict[str, int]] | JsonObject:
    """The new quantity per warehouse of one SKU, or the error that SKU answers."""
    sku_id = str(entry.get("id"))
    sku = product.skus.get(sku_id)
    if sku is None:
        return _sku_error(NOT_FOUND, f"sku not found in product {product.product_id}", sku_id)
    warehouses = {w.warehouse_id for w in call.office.shops[product.shop_id].warehouses}
    quantities: dict[str, int] = {}
    inventory: Any = entry.get("inventory")
    if not isinstance(inventory, list) or not inventory:
        return _sku_error(call.config.param_error_code, "inventory must name at least one warehouse", sku_id)
    for place in inventory:
        warehouse = place.get("warehouse_id") if isinstance(place, dict) else None
        if warehouse not in warehouses:
            return _sku_error(call.config.param_error_code, f"warehouse_id {warehouse!r} is unknown", sku_id)
        quantity = read_quantity(call, place.get("quantity"))
        low, high = call.config.quantity_range
        if quantity is None:
            return _sku_error(
                BAD_QUANTITY, f"quantity out of range {0 if call.config.accept_zero_quantity else low}-{high}", sku_id
            )
        if sku.locked_quantity and quantity <= sku.locked_quantity:
            return _sku_error(QUANTITY_LOCKED, f"quantity must exceed locked quantity {sku.locked_quantity}", sku_id)
        quantities[str(warehouse)] = quantity
    return sku, quantities


def update_inventory(call: TikTokCall) -> JsonObject:
    """POST /product/202309/products/{product_id}/inventory/update: what can be applied is."""
    product = shop_product(call)
    entries = _batch(call, call.config.inventory_batch)
    _updatable(product, call.config.inventory_update_statuses)
    errors: list[JsonObject] = []
    for entry in entries:
        change = _stock_change(call, product, entry)
        if isinstance(change, dict):
            errors.append(change)
            continue
        sku, quantities = change
        sku.available.update(quantities)
    if len(errors) < len(entries):
        call.office.touch(product)
    return {"errors": errors}


def _sku_stock(sku: Sku) -> JsonObject:
    warehouses = sorted(set(sku.available) | set(sku.committed))
    return {
        "id": sku.sku_id,
        "seller_sku": sku.seller_sku,
        "total_available_quantity": sku.total_available,
        "total_committed_quantity": sku.total_committed,
        "warehouse_inventory": [
            {
                "warehouse_id": w,
                "available_quantity": sku.available.get(w, 0),
                "committed_quantity": sku.committed.get(w, 0),
            }
            for w in warehouses
        ],
    }


def search_inventory(call: TikTokCall) -> JsonObject:
    """POST /product/202309/inventory/search: by ``product_ids`` (≤100) or ``sku_ids`` (≤600)."""
    body, config = call.body, call.config
    if (body.get("product_ids") is None) == (body.get("sku_ids") is None):
        raise call.bad("give product_ids or sku_ids (one of them)")
    live = {p.product_id: p for p in call.office.shop_products(call.shop_id)}
    if body.get("product_ids") is not None:
        ids = id_list(call, body["product_ids"], "product_ids", config.inventory_search_products)
        found = [(live[i], list(live[i].skus.values())) for i in ids if i in live]
    else:
        wanted = set(id_list(call, body["sku_ids"], "sku_ids", config.inventory_search_skus))
        found = [(p, [s for s in p.skus.values() if s.sku_id in wanted]) for p in live.values()]
    return {
        "inventory": [
            {"product_id": product.product_id, "skus": [_sku_stock(s) for s in skus]} for product, skus in found if skus
        ]
    }
