"""Lazada prices, stock and taking products off the shelf, in the simulator.

``POST /product/price_quantity/update`` sets prices and stock of up to 50 SKUs at once, across products
(``payload`` ``{"Request": {"Product": {"Skus": {"Sku": [{ItemId, SkuId, SellerSku, Price, SalePrice,
Quantity}]}}}}``). It is all or nothing: one unknown SKU (``sku_not_found_code``) or one quantity below
what orders withhold and occupy (``quantity_below_occupied_code``, naming the SKU and the minimum)
refuses the whole call; a batch over ``timeout_batch`` times out (``ServiceTimeout``) and applies nothing.

``POST /product/deactivate`` takes ``apiRequestBody``, XML naming the item and, optionally, some of its
SKUs (by SkuId: a SellerSku is 4193); the item (or those SKUs) goes "InActive", and deactivating what is
inactive already is done again. ``POST /product/remove`` deletes SKUs named ``SkuId_<itemId>_<skuId>``
(a JSON array of at most 50); an item left without a SKU is deleted; an unknown one refuses the call.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from simulators.lazada.payload import read_price, read_quantity
from simulators.lazada.products import owned_product
from simulators.lazada.records import ACTIVE, DELETED, INACTIVE, Product, Sku
from simulators.lazada.wire import (
    SELLER_SKU_NOT_SUPPORTED,
    SERVICE_TIMEOUT,
    SPECIAL_PRICE,
    TOO_MANY,
    JsonObject,
    LazadaCall,
    LazadaError,
    as_object,
    listed,
)

__all__ = ["deactivate", "remove", "update_price_quantity"]

_REMOVE_ID = re.compile(r"^SkuId_(\d+)_(\d+)$")


def _not_found(call: LazadaCall, what: str, seller_sku: str = "") -> LazadaError:
    entry = {"field": "SkuId", "message": f"{what} not found", **({"seller_sku": seller_sku} if seller_sku else {})}
    return LazadaError(call.config.sku_not_found_code, f"{what} not found", detail=[entry])


def _find(call: LazadaCall, entry: JsonObject) -> tuple[Product, Sku]:
    """The live SKU an entry names: by SkuId (within ItemId when given), else by SellerSku."""
    sku_id, seller_sku, item_id = (str(entry.get(k) or "").strip() for k in ("SkuId", "SellerSku", "ItemId"))
    candidates = [p for p in call.office.seller_products(call.seller_id) if not item_id or str(p.item_id) == item_id]
    for product in candidates:
        for sku in product.live_skus():
            if (sku_id and str(sku.sku_id) == sku_id) or (not sku_id and seller_sku and sku.seller_sku == seller_sku):
                return product, sku
    raise _not_found(call, f"SkuId {sku_id}" if sku_id else f"SellerSku {seller_sku or '(none)'}", seller_sku)


def update_price_quantity(call: LazadaCall) -> JsonObject:
    """POST /product/price_quantity/update: every SKU changed, or none."""
    config = call.config
    entries = listed(call.payload().get("Skus"), "Sku")
    if not entries:
        raise call.bad("Skus.Sku must list at least one SKU", field="Skus")
    if len(entries) > config.price_quantity_batch:
        raise LazadaError(TOO_MANY, f"{len(entries)} SKUs: at most {config.price_quantity_batch} per call")
    if config.timeout_batch is not None and len(entries) > config.timeout_batch:
        raise LazadaError(SERVICE_TIMEOUT, "The request has failed due to timeout: send fewer SKUs", kind="ISP")
    changes: list[tuple[Product, Sku, dict[str, Any]]] = []
    for n, raw in enumerate(entries):
        entry = as_object(call, raw, f"Skus.Sku[{n}]")
        product, sku = _find(call, entry)
        change: dict[str, Any] = {}
        if entry.get("Price") is not None:
            change["price"] = read_price(entry["Price"], "Price", sku.seller_sku)
        if entry.get("SalePrice") not in (None, ""):
            change["special_price"] = read_price(entry["SalePrice"], "SalePrice", sku.seller_sku)
            if change["special_price"] >= change.get("price", sku.price):
                raise LazadaError(SPECIAL_PRICE, f"SalePrice of {sku.seller_sku} must be below its price")
        if entry.get("Quantity") is not None:
            quantity = read_quantity(call, entry["Quantity"], sku.seller_sku)
            held = sku.withheld + sku.occupied
            if quantity < held:
                raise LazadaError(
                    config.quantity_below_occupied_code,
                    f"Quantity of {sku.seller_sku} cannot be below {held}: {sku.withheld} withheld and "
                    f"{sku.occupied} occupied by orders",
                    detail=[{"field": "Quantity", "message": f"at least {held}", "seller_sku": sku.seller_sku}],
                )
            change["quantity"] = quantity
        if not change:
            raise call.bad(f"Skus.Sku[{n}] changes neither Price nor Quantity", field="Skus", seller_sku=sku.seller_sku)
        changes.append((product, sku, change))
    for product, sku, change in changes:
        for name, value in change.items():
            setattr(sku, name, value)
        call.office.touch(product)
    return {}


def _xml(call: LazadaCall, raw: str) -> ElementTree.Element:
    try:
        # A request body of the simulator's own clients; expat refuses entity expansion bombs.
        root = ElementTree.fromstring(raw)  # noqa: S314
    except ElementTree.ParseError:
        raise call.bad("apiRequestBody is not valid XML", field="apiRequestBody") from None
    product = root.find("Product") if root.tag == "Request" else None
    if product is None:
        raise call.bad("apiRequestBody must be <Request><Product>...</Product></Request>", field="apiRequestBody")
    return product


def deactivate(call: LazadaCall) -> JsonObject:
    """POST /product/deactivate: the item, or the SKUs named, off sale ("InActive")."""
    given = _xml(call, call.require("apiRequestBody"))
    item_id = (given.findtext("ItemId") or "").strip()
    if not item_id:
        raise call.bad("ItemId is mandatory", field="ItemId")
    product = owned_product(call, item_id)
    skus = given.find("Skus")
    if skus is not None and skus.find("SellerSku") is not None:
        raise LazadaError(SELLER_SKU_NOT_SUPPORTED, "SellerSku is not supported: name SKUs by SkuId")
    ids = [(el.text or "").strip() for el in skus.findall("SkuId")] if skus is not None else []
    chosen: list[Sku] = []
    for sku_id in ids:
        sku = next((s for s in product.live_skus() if str(s.sku_id) == sku_id), None)
        if sku is None:
            raise _not_found(call, f"SkuId {sku_id}")
        chosen.append(sku)
    for sku in chosen or product.live_skus():
        sku.status = "inactive"
    if not chosen or not any(s.status == "active" for s in product.live_skus()):
        product.status = INACTIVE
        product.qc_due = None
    call.office.touch(product)
    return {}


def remove(call: LazadaCall) -> JsonObject:
    """POST /product/remove: the SKUs named deleted, or none of them."""
    picked: dict[int, tuple[Product, list[Sku]]] = {}
    for entry in call.string_list("sku_id_list", call.config.remove_batch):
        match = _REMOVE_ID.match(entry)
        if match is None:
            raise call.bad(f"{entry!r} is not SkuId_<itemId>_<skuId>", field="sku_id_list")
        item_id, sku_id = int(match.group(1)), int(match.group(2))
        product = call.office.products.get(item_id)
        sku = product.skus.get(sku_id) if product is not None and product.seller_id == call.seller_id else None
        if product is None or sku is None or sku.is_deleted or product.status == DELETED:
            raise _not_found(call, entry)
        picked.setdefault(item_id, (product, []))[1].append(sku)
    for product, skus in picked.values():
        call.office.delete_skus(product, skus)
        if product.status == ACTIVE and not any(s.status == "active" for s in product.live_skus()):
            product.status = INACTIVE
    return {}
