"""What Shopee reads back, in our words: order and item statuses, money, times, and the order cursor.

The read-side counterpart of the mapper. Statuses go through tables (:data:`ORDER_STATUS_MAP`,
:data:`ITEM_STATUS_MAP`); an unknown status is an error, never a guess, because a wrong status would
move stock. Shopee sends money as floats: :func:`vnd` accepts a value only if it is a whole number of
đồng (DESIGN rule 10: a non-whole amount is a data error, never rounded). Unix timestamps become aware
UTC datetimes.

The order cursor chosync stores is ours, not Shopee's (:mod:`connectors.kit.normalize`, shared with the
other marketplaces): the time from which the next pull reads orders by update time. Replaying a window is harmless (the
ledger keys every entry by order line and transition), so windows overlap rather than risk a gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from connectors.kit.normalize import data_error, encode_cursor, whole_vnd
from connectors.kit.normalize import decode_cursor as decode_order_cursor
from core.errors import PermanentError
from core.ports import ListingContent, ListingState, ListingStatus, Order, OrderLine, OrderStatus, VariantState

__all__ = [
    "ITEM_STATUS_MAP",
    "ORDER_STATUS_MAP",
    "decode_cursor",
    "encode_cursor",
    "listing_state_from",
    "order_from_detail",
    "time_windows",
    "utc_from_unix",
    "vnd",
]

ORDER_STATUS_MAP: Mapping[str, OrderStatus] = {
    "UNPAID": OrderStatus.PENDING,
    "PENDING": OrderStatus.PENDING,
    "INVOICE_PENDING": OrderStatus.PENDING,
    "READY_TO_SHIP": OrderStatus.READY,
    "PROCESSED": OrderStatus.READY,
    "RETRY_SHIP": OrderStatus.READY,
    # A cancellation request is not a cancellation: the buyer or seller may still refuse it, so the
    # stock stays reserved until Shopee reports CANCELLED.
    "IN_CANCEL": OrderStatus.READY,
    "SHIPPED": OrderStatus.SHIPPED,
    "TO_CONFIRM_RECEIVE": OrderStatus.SHIPPED,
    "COMPLETED": OrderStatus.COMPLETED,
    "CANCELLED": OrderStatus.CANCELLED,
    "TO_RETURN": OrderStatus.RETURNED,
}

ITEM_STATUS_MAP: Mapping[str, ListingStatus] = {
    "NORMAL": ListingStatus.LIVE,
    "REVIEWING": ListingStatus.IN_REVIEW,
    "BANNED": ListingStatus.BANNED,
    "UNLIST": ListingStatus.DELISTED,
    "SELLER_DELETE": ListingStatus.DELETED,
    "SHOPEE_DELETE": ListingStatus.DELETED,
}


def _data_error(message: str, *, field: str | None = None, code: str | None = None) -> PermanentError:
    return data_error("Shopee", message, field=field, code=code)


def vnd(value: object, *, what: str) -> int:
    """A Shopee amount as whole đồng; PermanentError if it is not a whole, non-negative number."""
    return whole_vnd(value, what=what, marketplace="Shopee")


def utc_from_unix(value: object, *, what: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _data_error(f"Shopee sent {what} = {value!r}, which is not a time", field=what)
    return datetime.fromtimestamp(value, UTC)


def order_from_detail(detail: Mapping[str, Any]) -> Order:
    """One get_order_detail entry as our Order. Buyer fields, if any were sent, are left behind."""
    order_sn = str(detail.get("order_sn", ""))
    raw_status = str(detail.get("order_status", ""))
    status = ORDER_STATUS_MAP.get(raw_status)
    if status is None:
        raise _data_error(
            f"Shopee order {order_sn} has status {raw_status!r}, which chosync does not know",
            field="order_status",
            code="unknown_order_status",
        )
    currency = str(detail.get("currency") or "VND")
    if currency != "VND":
        raise _data_error(f"Shopee order {order_sn} is in {currency}; chosync keeps đồng only", field="currency")
    try:
        lines = _lines(order_sn, detail.get("item_list") or [])
        total = detail.get("total_amount")
        return Order(
            order_id=order_sn,
            status=status,
            raw_status=raw_status,
            created_at=utc_from_unix(detail.get("create_time"), what="create_time"),
            updated_at=utc_from_unix(detail.get("update_time"), what="update_time"),
            currency=currency,
            lines=lines,
            total_vnd=(
                vnd(total, what="total_amount")
                if total is not None
                else sum(line.unit_price_vnd * line.quantity for line in lines)
            ),
        )
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        raise _data_error(f"Shopee order {order_sn} could not be read: {exc}") from exc


def _lines(order_sn: str, items: Sequence[Mapping[str, Any]]) -> tuple[OrderLine, ...]:
    lines: list[OrderLine] = []
    seen: dict[str, int] = {}
    for item in items:
        item_id = str(item["item_id"])
        model_id = str(item.get("model_id") or 0)
        # Our variant SKU is the model's SKU; an item without variations carries it as item_sku.
        sku = item.get("model_sku") if model_id != "0" else item.get("item_sku")
        key = f"{item_id}:{model_id}"
        seen[key] = seen.get(key, 0) + 1
        discounted = item.get("model_discounted_price")
        price = discounted if discounted is not None else item.get("model_original_price")
        lines.append(
            OrderLine(
                line_id=key if seen[key] == 1 else f"{key}#{seen[key]}",
                variant_sku=str(sku) if sku else None,
                item_id=item_id,
                model_id=model_id,
                quantity=int(item["model_quantity_purchased"]),
                unit_price_vnd=vnd(price, what=f"price of order {order_sn} line {key}"),
            )
        )
    return tuple(lines)


def _price_of(entry: Mapping[str, Any], *, what: str) -> int | None:
    infos = entry.get("price_info")
    if isinstance(infos, list) and infos:
        return vnd(infos[0].get("original_price"), what=what)
    return None


def _stock_of(entry: Mapping[str, Any]) -> int:
    info = entry.get("stock_info_v2") or {}
    seller_stock = info.get("seller_stock")
    if isinstance(seller_stock, list) and seller_stock:
        return sum(int(location.get("stock", 0)) for location in seller_stock)
    summary = info.get("summary_info") or {}
    return int(summary.get("total_available_stock", 0))


def listing_state_from(base: Mapping[str, Any], models: Mapping[str, Any] | None) -> ListingState:
    """get_item_base_info (+ get_model_list for items with variations) as our ListingState."""
    item_id = str(base.get("item_id", ""))
    raw_status = str(base.get("item_status", ""))
    status = ITEM_STATUS_MAP.get(raw_status)
    if status is None:
        raise _data_error(
            f"Shopee item {item_id} has status {raw_status!r}, which chosync does not know",
            field="item_status",
            code="unknown_item_status",
        )
    sku = base.get("item_sku") or None
    try:
        return ListingState(
            item_id=item_id,
            sku=sku,
            status=status,
            variants=_variant_states(item_id, sku, base, models),
            content=_content(base),
        )
    except (ValidationError, TypeError, ValueError, AttributeError) as exc:
        raise _data_error(f"Shopee item {item_id} could not be read: {exc}") from exc


def _content(base: Mapping[str, Any]) -> ListingContent:
    """What get_item_base_info says of the content, in the terms the mapper sends (None where absent)."""
    name, description, category = base.get("item_name"), base.get("description"), base.get("category_id")
    image = base.get("image")
    image_ids = image.get("image_id_list") if isinstance(image, Mapping) else None
    return ListingContent(
        name=name if isinstance(name, str) else None,
        # An "extended" description comes back as a structure, not the text we sent: not compared.
        description=description
        if isinstance(description, str) and base.get("description_type", "normal") == "normal"
        else None,
        category=None if category is None else str(category),
        images=len(image_ids) if isinstance(image_ids, list) else None,
    )


def _variant_states(
    item_id: str, sku: str | None, base: Mapping[str, Any], models: Mapping[str, Any] | None
) -> tuple[VariantState, ...]:
    if models is None:
        price = _price_of(base, what=f"price of item {item_id}")
        return (VariantState(variant_sku=sku, model_id="0", price_vnd=price, stock=_stock_of(base)),)
    return tuple(
        VariantState(
            variant_sku=model.get("model_sku") or None,
            model_id=str(model.get("model_id")),
            price_vnd=_price_of(model, what=f"price of item {item_id} model {model.get('model_id')}"),
            stock=_stock_of(model),
        )
        for model in models.get("model") or []
    )


def decode_cursor(cursor: str | None, *, default: int) -> int:
    """The update time a stored cursor resumes from; ``default`` when there is none yet."""
    return decode_order_cursor(cursor, default=default, marketplace="Shopee")


def time_windows(start: int, end: int, span: int) -> list[tuple[int, int]]:
    """[start, end] cut into windows of at most ``span`` seconds; each starts where the last ended."""
    windows: list[tuple[int, int]] = []
    while start < end:
        stop = min(start + span, end)
        windows.append((start, stop))
        start = stop
    return windows
