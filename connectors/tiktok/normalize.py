"""What TikTok Shop reads back, in our words: product and order statuses, money, times, our SKUs.

Statuses go through tables (products: :data:`PRODUCT_STATUS_MAP`, documented names; orders: the toml's
``[orders.statuses]``, an uncertain mapping); an unknown status is a data error, never a guess. Money
comes as strings of whole đồng (DESIGN rule 10: anything else is a data error). An order has one line
item per unit (UNCERTAIN, so both are read): its line items are grouped per SKU into one of our lines
whose quantity is their count (or the sum of their ``quantity`` where TikTok gives one).

TikTok has no product-level SKU, only each SKU's ``seller_sku`` (our variant SKU). A product's SKU of
ours is the one this connector mapped it from when it knows it, else read from its seller SKUs
(:func:`product_sku_of`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from connectors.kit.normalize import data_error, whole_vnd
from core.errors import PermanentError
from core.ports import ListingContent, ListingState, ListingStatus, Order, OrderLine, OrderStatus, VariantState

__all__ = ["PRODUCT_STATUS_MAP", "carries", "listing_state_from", "order_from", "product_sku_of", "ref_models", "vnd"]

PRODUCT_STATUS_MAP: Mapping[str, ListingStatus] = {
    "ACTIVATE": ListingStatus.LIVE,
    "PENDING": ListingStatus.IN_REVIEW,
    "FAILED": ListingStatus.REJECTED,
    "DRAFT": ListingStatus.DELISTED,  # saved, not on sale
    "SELLER_DEACTIVATED": ListingStatus.DELISTED,
    "PLATFORM_DEACTIVATED": ListingStatus.BANNED,
    "FREEZE": ListingStatus.BANNED,
    "DELETED": ListingStatus.DELETED,
}
_SKU_SEPARATORS = "-_. /"


def _error(message: str, **fields: Any) -> PermanentError:
    return data_error("TikTok Shop", message, **fields)


def vnd(value: object, *, what: str) -> int:
    return whole_vnd(value, what=what, marketplace="TikTok Shop")


def _time(value: object, *, what: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float | str) or not str(value).isdigit():
        raise _error(f"TikTok Shop sent {what} = {value!r}, which is not a time", field=what)
    return datetime.fromtimestamp(int(value), UTC)


def product_sku_of(seller_skus: Sequence[str], known: Mapping[str, str]) -> str | None:
    """Our product SKU for a product whose SKUs carry ``seller_skus``: the one ``known`` (variant SKU →
    product SKU, from this connector's mapping) says, else the only seller SKU, else their common stem
    (TRA-TC-200 and TRA-TC-500 → TRA-TC)."""
    skus = [sku for sku in seller_skus if sku]
    mapped = next((known[sku] for sku in skus if sku in known), None)
    if mapped is not None or not skus:
        return mapped
    if len(skus) == 1:
        return skus[0]
    stem = skus[0]
    for sku in skus[1:]:
        while not sku.startswith(stem):
            stem = stem[:-1]
    return stem.rstrip(_SKU_SEPARATORS) or None


def carries(seller_skus: Sequence[str], product_sku: str) -> bool:
    """Whether a product with ``seller_skus`` is ``product_sku``'s: a seller SKU is it, or extends it
    (TRA-TC-200 for TRA-TC), the catalog's way of naming variants."""
    return any(
        sku == product_sku or (sku.startswith(product_sku) and sku[len(product_sku)] in _SKU_SEPARATORS)
        for sku in seller_skus
    )


def ref_models(product: Mapping[str, Any]) -> dict[str, str]:
    """Our variant SKU → TikTok SKU id, for the SKUs of ``product`` that carry a seller SKU."""
    return {
        str(s["seller_sku"]): str(s["id"])
        for s in product.get("skus") or []
        if isinstance(s, Mapping) and s.get("seller_sku") and s.get("id") is not None
    }


def _stock(sku: Mapping[str, Any]) -> int:
    return sum(int(entry.get("quantity") or 0) for entry in sku.get("inventory") or [] if isinstance(entry, Mapping))


def listing_state_from(product: Mapping[str, Any], known: Mapping[str, str]) -> ListingState:
    product_id = str(product.get("id", ""))
    raw = str(product.get("status", ""))
    status = PRODUCT_STATUS_MAP.get(raw)
    if status is None:
        raise _error(
            f"TikTok product {product_id} has status {raw!r}, which chosync does not know",
            field="status",
            code="unknown_item_status",
        )
    skus = [s for s in product.get("skus") or [] if isinstance(s, Mapping)]
    try:
        variants = tuple(
            VariantState(
                variant_sku=str(s.get("seller_sku") or "") or None,
                model_id=str(s.get("id")),
                price_vnd=vnd((s.get("price") or {}).get("amount"), what=f"price of SKU {s.get('id')}")
                if (s.get("price") or {}).get("amount") is not None
                else None,
                stock=_stock(s),
            )
            for s in skus
        )
        title = product.get("title")
        return ListingState(
            item_id=product_id,
            sku=product_sku_of([str(s.get("seller_sku") or "") for s in skus], known),
            status=status,
            variants=variants,
            content=ListingContent(name=title if isinstance(title, str) else None),
        )
    except (ValidationError, TypeError, ValueError, AttributeError) as exc:
        raise _error(f"TikTok product {product_id} could not be read: {exc}") from exc


def order_from(order: Mapping[str, Any], statuses: Mapping[str, OrderStatus]) -> Order:
    """One order of orders/search as our Order; the recipient and buyer fields are left behind."""
    order_id = str(order.get("id", ""))
    raw = str(order.get("status", ""))
    status = statuses.get(raw)
    if status is None:
        raise _error(
            f"TikTok order {order_id} has status {raw!r}, which chosync does not know",
            field="status",
            code="unknown_order_status",
        )
    given = order.get("payment")
    payment: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    currency = str(payment.get("currency") or "VND")
    if currency != "VND":
        raise _error(f"TikTok order {order_id} is in {currency}; chosync keeps đồng only", field="currency")
    try:
        lines = _lines(order_id, [i for i in order.get("line_items") or [] if isinstance(i, Mapping)])
        total = payment.get("total_amount")
        return Order(
            order_id=order_id,
            status=status,
            raw_status=raw,
            currency=currency,
            lines=lines,
            created_at=_time(order.get("create_time"), what="create_time"),
            updated_at=_time(order.get("update_time"), what="update_time"),
            total_vnd=vnd(total, what=f"total of order {order_id}")
            if total is not None
            else sum(line.unit_price_vnd * line.quantity for line in lines),
        )
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        raise _error(f"TikTok order {order_id} could not be read: {exc}") from exc


def _lines(order_id: str, items: Sequence[Mapping[str, Any]]) -> tuple[OrderLine, ...]:
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        grouped.setdefault(str(item["sku_id"]), []).append(item)
    lines = []
    for sku_id, units in grouped.items():
        first = units[0]
        price = first.get("sale_price") if first.get("sale_price") is not None else first.get("original_price")
        lines.append(
            OrderLine(
                line_id=sku_id,  # one line per SKU: stable across pulls whatever TikTok's line item ids
                variant_sku=str(first.get("seller_sku") or "") or None,
                item_id=str(first.get("product_id") or ""),
                model_id=sku_id,
                quantity=sum(int(unit.get("quantity") or 1) for unit in units),
                unit_price_vnd=vnd(price, what=f"price of order {order_id} SKU {sku_id}"),
            )
        )
    return tuple(lines)
