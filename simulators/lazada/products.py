"""Lazada product create and update in the simulator, with the listing rules of Vietnam.

A create (``POST /product/create``, param ``payload``) carries the whole product: a leaf category, 1-8
uploaded images, the attributes (name, brand_id and the category's mandatory ones) and 1-50 SKUs, each
with its own SellerSku, price, quantity, package weight and dimensions and sale properties. A SellerSku
already live in the seller's shop is refused whole with 4126 naming it (the way a client learns that a
create whose answer was lost did happen). The product then waits for QC (:mod:`simulators.lazada.state`).

An update (``POST /product/update``) names the item (``ItemId``) and carries only what changes: every SKU
it lists needs its ``SkuId`` (4216 otherwise), except a SKU with a new SellerSku, which is added; SKUs it
leaves out are left alone; a SKU's ``Status`` (active / inactive / deleted) is honoured. A change of name,
description or images sends the product back to QC (config ``requalify_on_content_change``).
"""

from __future__ import annotations

from simulators.lazada.payload import (
    PACKAGE_FIELDS,
    SkuDraft,
    check_attributes,
    check_package,
    missing,
    read_attributes,
    read_category,
    read_images,
    read_skus,
)
from simulators.lazada.records import ACTIVE, DELETED, INACTIVE, Product, Sku
from simulators.lazada.wire import (
    DUPLICATE_SELLER_SKU,
    DUPLICATE_VARIATION,
    SKU_ID_MANDATORY,
    TOO_MANY,
    JsonObject,
    LazadaCall,
    LazadaError,
)

__all__ = ["create_product", "owned_product", "update_product"]

_CONTENT = ("name", "description", "short_description")


def _duplicate(seller_sku: str, message: str = "SellerSku is duplicate") -> LazadaError:
    return LazadaError(DUPLICATE_SELLER_SKU, message,
                       detail=[{"field": "SellerSku", "message": message, "seller_sku": seller_sku}])  # fmt: skip


def _new_sku(call: LazadaCall, item_id: int, draft: SkuDraft) -> Sku:
    """A SKU made from a draft that must carry everything (E030 naming what it lacks)."""
    if draft.seller_sku is None:
        raise missing("SellerSku")
    if draft.price is None:
        raise missing("price", draft.seller_sku)
    for name in PACKAGE_FIELDS:
        if name not in draft.package:
            raise missing(name, draft.seller_sku)
    limits = (call.config.package_weight_max_kg, call.config.package_sides_max_cm)
    check_package(draft.seller_sku, draft.package, limits)
    office = call.office
    sku_id = office.next_sku_id()
    return Sku(
        sku_id,
        draft.seller_sku,
        office.shop_sku(item_id, sku_id),
        draft.price,
        draft.quantity or 0,
        package_weight=draft.package["package_weight"],
        package_length=draft.package["package_length"],
        package_width=draft.package["package_width"],
        package_height=draft.package["package_height"],
        sale_prop=draft.sale_prop or {},
        special_price=draft.special_price or 0,
        status=draft.status if draft.status in ("active", "inactive") else "active",
        extra=draft.extra,
    )


def _check_new_seller_skus(call: LazadaCall, seller_skus: list[str]) -> None:
    """4126 for a SellerSku given twice, or already live in the seller's shop."""
    seen: set[str] = set()
    for seller_sku in seller_skus:
        if seller_sku in seen or call.office.seller_sku_taken(call.seller_id, seller_sku):
            raise _duplicate(seller_sku)
        seen.add(seller_sku)


def _check_variations(sale_props: list[dict[str, str]]) -> None:
    """4112: two SKUs of a product with the same sale properties."""
    combos = [tuple(sorted(props.items())) for props in sale_props]
    if len(combos) > 1 and len(set(combos)) != len(combos):
        raise LazadaError(DUPLICATE_VARIATION, "Two SKUs of the product have the same sale properties (saleProp)")


def _sku_list(product: Product) -> list[JsonObject]:
    return [{"seller_sku": s.seller_sku, "shop_sku": s.shop_sku, "sku_id": s.sku_id} for s in product.live_skus()]


def create_product(call: LazadaCall) -> JsonObject:
    """POST /product/create: ``data{item_id, sku_list[{seller_sku, shop_sku, sku_id}], item_status}``."""
    given = call.payload()
    category = read_category(call, given, required=True)
    assert category is not None
    images = read_images(call, given, required=True) or []
    attributes = read_attributes(call, given) or {}
    check_attributes(call, category, attributes)
    drafts = read_skus(call, given)
    if not drafts:
        raise missing("Skus")
    _check_new_seller_skus(call, [d.seller_sku or "" for d in drafts if d.seller_sku is not None])
    office = call.office
    item_id = office.next_item_id()
    skus = [_new_sku(call, item_id, draft) for draft in drafts]
    _check_variations([s.sale_prop for s in skus])
    product = Product(item_id, call.seller_id, category, attributes, images, {s.sku_id: s for s in skus})
    office.add_product(product)
    return {"item_id": item_id, "sku_list": _sku_list(product), "item_status": product.status}


def owned_product(call: LazadaCall, raw: object, *, include_deleted: bool = False) -> Product:
    """The seller's product with the id ``raw``; the not-found code (config) otherwise."""
    text = str(raw if raw is not None else "").strip()
    product = call.office.products.get(int(text)) if text.isdigit() else None
    if product is None or product.seller_id != call.seller_id or (product.is_deleted and not include_deleted):
        raise LazadaError(call.config.sku_not_found_code, f"Item {text or '(none)'} not found")
    call.office.settle_qc()
    return product


def _updated_sku(call: LazadaCall, product: Product, draft: SkuDraft) -> tuple[Sku, dict[str, object]]:
    """An existing SKU and the changes the draft asks of it, checked but not applied."""
    assert draft.sku_id is not None
    sku = product.skus.get(draft.sku_id)
    if sku is None or sku.is_deleted:
        raise LazadaError(call.config.sku_not_found_code, f"SkuId {draft.sku_id} not found in item {product.item_id}",
                          detail=[{"field": "SkuId", "message": "not found", "seller_sku": draft.label}])  # fmt: skip
    if draft.seller_sku is not None and draft.seller_sku != sku.seller_sku:
        raise call.bad(f"SellerSku of SkuId {sku.sku_id} is {sku.seller_sku}: it cannot change",
                       field="SellerSku", seller_sku=draft.seller_sku)  # fmt: skip
    changes: dict[str, object] = {name: value for name, value in (
        ("price", draft.price), ("special_price", draft.special_price), ("quantity", draft.quantity),
        ("sale_prop", draft.sale_prop), ("status", draft.status)) if value is not None}  # fmt: skip
    held = sku.withheld + sku.occupied
    if draft.quantity is not None and draft.quantity < held:
        raise LazadaError(call.config.quantity_below_occupied_code,
                          f"Quantity of {sku.seller_sku} cannot be below {held} (withheld and occupied)")  # fmt: skip
    if draft.package:
        package = {name: getattr(sku, name) for name in PACKAGE_FIELDS} | draft.package
        check_package(sku.seller_sku, package, (call.config.package_weight_max_kg, call.config.package_sides_max_cm))
        changes |= draft.package
    return sku, changes


def update_product(call: LazadaCall) -> JsonObject:
    """POST /product/update: ``data{item_id, sku_list}`` (every live SKU, new ones included)."""
    given = call.payload()
    if given.get("ItemId") is None:
        raise call.bad("ItemId is mandatory", field="ItemId")
    product = owned_product(call, given["ItemId"])
    category = read_category(call, given, required=False)
    images = read_images(call, given, required=False)
    attributes = read_attributes(call, given)
    merged = product.attributes | (attributes or {})
    check_attributes(call, category or product.primary_category, merged)
    drafts = read_skus(call, given)
    updates: list[tuple[Sku, dict[str, object]]] = []
    additions: list[SkuDraft] = []
    for draft in drafts:
        if draft.sku_id is not None:
            updates.append(_updated_sku(call, product, draft))
        elif draft.seller_sku is None or product.sku_by_seller_sku(draft.seller_sku) is not None:
            detail = [{"field": "SkuId", "message": "mandatory", "seller_sku": draft.label}]
            raise LazadaError(SKU_ID_MANDATORY, f"SkuId is mandatory ({draft.label})", detail=detail)
        else:
            additions.append(draft)
    _check_new_seller_skus(call, [d.seller_sku or "" for d in additions])
    added = [_new_sku(call, product.item_id, draft) for draft in additions]
    if len(product.live_skus()) + len(added) > call.config.skus_max:
        raise LazadaError(TOO_MANY, f"a product takes at most {call.config.skus_max} SKUs")
    props = {s.sku_id: s.sale_prop for s in product.live_skus()}
    props |= {sku.sku_id: new for sku, changes in updates if isinstance(new := changes.get("sale_prop"), dict)}
    _check_variations([*props.values(), *(s.sale_prop for s in added)])
    _apply(call, product, category, images, attributes, updates, added)
    return {"item_id": product.item_id, "sku_list": _sku_list(product)}


def _apply(
    call: LazadaCall,
    product: Product,
    category: str | None,
    images: list[str] | None,
    attributes: JsonObject | None,
    updates: list[tuple[Sku, dict[str, object]]],
    added: list[Sku],
) -> None:
    office = call.office
    content_changed = (images is not None and images != product.images) or any(
        attributes is not None and name in attributes and attributes[name] != product.attributes.get(name)
        for name in _CONTENT
    )
    product.primary_category = category or product.primary_category
    product.images = images if images is not None else product.images
    product.attributes = product.attributes | (attributes or {})
    deleted: list[Sku] = []
    for sku, changes in updates:
        for name, value in changes.items():
            if name == "status" and value == "deleted":
                deleted.append(sku)
            elif name != "status" or value in ("active", "inactive"):
                setattr(sku, name, value)
    product.skus |= {s.sku_id: s for s in added}
    if deleted:
        office.delete_skus(product, deleted)
    if product.status == DELETED:
        return
    live = product.live_skus()
    if product.status == INACTIVE and any(s.status == "active" for s in live):
        product.status = ACTIVE
    elif product.status == ACTIVE and not any(s.status == "active" for s in live):
        product.status = INACTIVE
    if content_changed and call.config.requalify_on_content_change and product.status != INACTIVE:
        office.submit_for_qc(product)
    else:
        office.touch(product)
