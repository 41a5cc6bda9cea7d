"""TikTok Shop's shelf in the sandbox: the category tree, product search, and putting products on or off sale.

``products/search`` is how a client finds what a shop holds: filtered by status (``ALL`` or none: every
status but ``DELETED``, which is never returned), by up to 10 ``seller_skus``, by update time, and walked
page by page with an opaque ``next_page_token`` ("" at the end). Products come in id order (creation
order), and the token is the last id returned, so a product edited while a client pages is not skipped.

``deactivate`` / ``activate`` / ``DELETE products`` take up to 20 ids and answer per product in
``errors`` (an empty list: all done). Deactivating twice is done twice; activating sends the product back
to audit; a deleted (or unknown) product answers 12052404, which a client may take as "already gone".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from simulators.tiktok.products import sku_view
from simulators.tiktok.records import DELETED, LISTED, PENDING, PRODUCT_STATUSES, Product
from simulators.tiktok.wire import (
    NOT_FOUND,
    STATUS_REFUSES,
    JsonObject,
    TikTokCall,
    TikTokError,
    as_list,
    id_list,
)

__all__ = ["activate", "deactivate", "delete", "get_attributes", "get_categories", "search_products"]


def get_categories(call: TikTokCall) -> JsonObject:
    """GET /product/202309/categories: the whole tree, leaves marked."""
    config = call.config
    return {
        "categories": [
            {
                "id": c.category_id,
                "parent_id": c.parent_id,
                "local_name": c.local_name,
                "is_leaf": config.is_leaf(c.category_id),
                "permission_statuses": ["AVAILABLE"],
            }
            for c in config.categories
        ]
    }


def get_attributes(call: TikTokCall) -> JsonObject:
    """GET /product/202309/categories/{category_id}/attributes (``is_requried``: TikTok's spelling)."""
    category_id = call.ids["category_id"]
    if call.config.category(category_id) is None:
        raise TikTokError(12019001, f"category {category_id!r} does not exist")
    return {
        "attributes": [
            {
                "id": a.attribute_id,
                "name": a.name,
                "type": a.type,
                "is_requried": a.required,
                "is_customizable": not a.values,
                "is_multiple_selection": False,
                "values": [{"id": vid, "name": name} for vid, name in a.values],
            }
            for a in call.config.attributes_of(category_id)
        ]
    }


def _page_token(product_id: str) -> str:
    return base64.urlsafe_b64encode(f"p:{product_id}".encode()).decode()


def _after(call: TikTokCall) -> int | None:
    token = call.query.get("page_token", "")
    if not token:
        return None
    try:
        kind, _, product_id = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind != "p":
            raise ValueError(kind)
        return int(product_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise call.bad("page_token is invalid") from None


def _time_bound(call: TikTokCall, body: JsonObject, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise call.bad(f"{name} must be a Unix timestamp")
    return value


def search_products(call: TikTokCall) -> JsonObject:
    """POST /product/202502/products/search."""
    body, config = call.body, call.config
    page_size = call.page_size()
    status = body.get("status") or "ALL"
    if status != "ALL" and status not in PRODUCT_STATUSES:
        raise call.bad(f"status {status!r} is unknown")
    seller_skus = as_list(call, body.get("seller_skus") or [], "seller_skus")
    if len(seller_skus) > config.search_seller_skus:
        raise call.bad(f"seller_skus: at most {config.search_seller_skus}")
    low, high = _time_bound(call, body, "update_time_ge"), _time_bound(call, body, "update_time_le")
    after = _after(call)

    def wanted(p: Product) -> bool:
        return (
            status in ("ALL", p.status)
            and (not seller_skus or any(s.seller_sku in seller_skus for s in p.skus.values()))
            and (low is None or p.update_time >= low)
            and (high is None or p.update_time <= high)
        )

    matching = sorted(
        (p for p in call.office.shop_products(call.shop_id) if wanted(p)), key=lambda p: int(p.product_id)
    )
    rest = [p for p in matching if after is None or int(p.product_id) > after]
    page, more = rest[:page_size], len(rest) > page_size
    return {
        "products": [
            {
                "id": p.product_id,
                "title": p.title,
                "status": p.status,
                "skus": [sku_view(s) for s in p.skus.values()],
                "create_time": p.create_time,
                "update_time": p.update_time,
            }
            for p in page
        ],
        "next_page_token": _page_token(page[-1].product_id) if more else "",
        "total_count": len(matching),
    }


def _each(call: TikTokCall, act: Callable[[Product], str | None]) -> JsonObject:
    """Apply ``act`` to every product named; it answers None (done) or why it refused."""
    errors: list[JsonObject] = []
    for product_id in id_list(call, call.body.get("product_ids"), "product_ids", call.config.product_id_batch):
        product = call.office.products.get(product_id)
        if product is None or product.shop_id != call.shop_id or product.status == DELETED:
            errors.append({"code": NOT_FOUND, "message": "product not found", "detail": {"product_id": product_id}})
            continue
        refusal = act(product)
        if refusal is not None:
            errors.append({"code": STATUS_REFUSES, "message": refusal, "detail": {"product_id": product_id}})
    return {"errors": errors}


def deactivate(call: TikTokCall) -> JsonObject:
    """POST /product/202309/products/deactivate: off sale (SELLER_DEACTIVATED)."""
    office = call.office

    def act(product: Product) -> str | None:
        if product.status in ("PLATFORM_DEACTIVATED", "FREEZE"):
            return f"The current product status can not be deactivated: {product.status}"
        if product.status != "SELLER_DEACTIVATED":
            product.status, product.audit_due = "SELLER_DEACTIVATED", None
            office.touch(product)
        return None

    office.settle_audits()
    return _each(call, act)


def activate(call: TikTokCall) -> JsonObject:
    """POST /product/202309/products/activate: back on sale, through audit again."""
    office = call.office

    def act(product: Product) -> str | None:
        if product.status in (LISTED, PENDING):
            return None
        if product.status not in ("SELLER_DEACTIVATED", "DRAFT"):
            return f"The current product status can not be activated: {product.status}"
        office.submit_for_audit(product)
        return None

    office.settle_audits()
    return _each(call, act)


def delete(call: TikTokCall) -> JsonObject:
    """DELETE /product/202309/products: gone from search and reads (12052404 from then on)."""
    office = call.office

    def act(product: Product) -> str | None:
        office.deleted(product)
        return None

    return _each(call, act)
