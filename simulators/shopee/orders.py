"""Shopee order reads: the incremental order list and order details.

``get_order_list`` is how a sync pulls orders: a window of at most 15 days on ``create_time`` or
``update_time`` (else ``order.order_list_invalid_time``), walked page by page with ``more`` and an opaque
``next_cursor``. The sandbox orders a window by (time, order_sn) ascending and its cursor is the last key
returned, so an order that changes while a client pages through is seen again later, never skipped.
``get_order_detail`` answers up to 50 orders, adding only the optional fields asked for
(``response_optional_fields``); unknown order numbers are left out, not refused. Buyer data is fake and
masked, as Shopee masks it.
"""

from __future__ import annotations

import base64
import binascii

from simulators.shopee.records import ORDER_STATUSES, Order
from simulators.shopee.wire import JsonObject, ShopeeCall, ShopeeError, param_error, query_int

__all__ = ["get_order_detail", "get_order_list"]

_LOGISTICS_STATUS = {
    "UNPAID": "LOGISTICS_NOT_START",
    "PENDING": "LOGISTICS_PENDING_ARRANGE",
    "READY_TO_SHIP": "LOGISTICS_READY",
    "PROCESSED": "LOGISTICS_REQUEST_CREATED",
    "RETRY_SHIP": "LOGISTICS_PICKUP_RETRY",
    "SHIPPED": "LOGISTICS_PICKUP_DONE",
    "TO_CONFIRM_RECEIVE": "LOGISTICS_DELIVERY_DONE",
    "COMPLETED": "LOGISTICS_DELIVERY_DONE",
    "TO_RETURN": "LOGISTICS_DELIVERY_DONE",
    "IN_CANCEL": "LOGISTICS_READY",
    "CANCELLED": "LOGISTICS_INVALID",
}
_FAKE_RECIPIENT = {
    "name": "N***n V** A",
    "phone": "******89",
    "town": "Phường Bến Nghé",
    "district": "Quận 1",
    "city": "TP. Hồ Chí Minh",
    "state": "TP. Hồ Chí Minh",
    "region": "VN",
    "zipcode": "700000",
    "full_address": "****, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
}
_DAY = 24 * 3600


def _encode_cursor(time: int, order_sn: str) -> str:
    return base64.urlsafe_b64encode(f"{time}:{order_sn}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, str] | None:
    if not cursor:
        return None
    try:
        time, _, order_sn = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        return int(time), order_sn
    except (ValueError, binascii.Error):
        raise param_error("cursor is invalid") from None


def _optional_fields(call: ShopeeCall) -> set[str]:
    raw = ",".join(call.args("response_optional_fields"))
    return {name.strip() for name in raw.split(",") if name.strip()}


def get_order_list(call: ShopeeCall) -> JsonObject:
    field = call.arg("time_range_field")
    if field not in ("create_time", "update_time"):
        raise param_error("time_range_field should be create_time or update_time")
    time_from, time_to = query_int(call, "time_from"), query_int(call, "time_to")
    if time_from > time_to or time_to - time_from > call.config.order_window:
        raise ShopeeError(
            "order.order_list_invalid_time", "Start time must be earlier than end time and diff in 15days."
        )
    page_size = query_int(call, "page_size")
    if not 1 <= page_size <= 100:
        raise param_error("page_size should be between 1 and 100")
    status = call.arg("order_status")
    if status and status not in ORDER_STATUSES:
        raise param_error(f"order_status {status} is invalid")
    after = _decode_cursor(call.arg("cursor") or "")

    def key(order: Order) -> tuple[int, str]:
        return (order.update_time if field == "update_time" else order.create_time), order.order_sn

    window = sorted(
        (
            o
            for o in call.office.shop_orders(call.shop_id)
            if time_from <= key(o)[0] <= time_to and (not status or o.order_status == status)
        ),
        key=key,
    )
    if after is not None:
        window = [o for o in window if key(o) > after]
    page, more = window[:page_size], len(window) > page_size
    with_status = "order_status" in _optional_fields(call)
    return {
        "more": more,
        "next_cursor": _encode_cursor(*key(page[-1])) if more else "",
        "order_list": [
            {"order_sn": o.order_sn, **({"order_status": o.order_status} if with_status else {})} for o in page
        ],
    }


def _detail(call: ShopeeCall, order: Order, optional: set[str]) -> JsonObject:
    view: JsonObject = {
        "order_sn": order.order_sn,
        "region": call.config.region,
        "currency": call.config.currency,
        "cod": order.cod,
        "order_status": order.order_status,
        "create_time": order.create_time,
        "update_time": order.update_time,
        "days_to_ship": order.days_to_ship,
        "ship_by_date": order.create_time + order.days_to_ship * _DAY,
        "message_to_seller": order.note,
    }
    extra: JsonObject = {
        "total_amount": call.money(order.total_amount),
        "buyer_user_id": order.buyer_user_id,
        "buyer_username": order.buyer_username,
        "pay_time": order.pay_time,
        "payment_method": "Cash on Delivery" if order.cod else "ShopeePay",
        "cancel_reason": order.cancel_reason,
        "note": order.note,
        "shipping_carrier": order.shipping_carrier,
        "recipient_address": dict(_FAKE_RECIPIENT),
        "item_list": [
            {
                "item_id": line.item_id,
                "item_name": line.item_name,
                "item_sku": line.item_sku,
                "model_id": line.model_id,
                "model_name": line.model_name,
                "model_sku": line.model_sku,
                "model_quantity_purchased": line.quantity,
                "model_original_price": call.money(line.original_price),
                "model_discounted_price": call.money(line.discounted_price),
                "weight": line.weight,
            }
            for line in order.lines
        ],
        "package_list": [
            {
                "package_number": f"OFG{order.order_sn}",
                "logistics_status": _LOGISTICS_STATUS.get(order.order_status, "LOGISTICS_NOT_START"),
                "shipping_carrier": order.shipping_carrier,
                "item_list": [{"item_id": line.item_id, "model_id": line.model_id} for line in order.lines],
            }
        ],
    }
    view.update((name, value) for name, value in extra.items() if name in optional and value is not None)
    return view


def get_order_detail(call: ShopeeCall) -> JsonObject:
    raw = call.arg("order_sn_list") or ""
    numbers = [sn.strip() for sn in raw.split(",") if sn.strip()]
    limit = call.config.limits.batch_size
    if not 1 <= len(numbers) <= limit:
        raise param_error(f"order_sn_list length should be between 1 and {limit}")
    optional = _optional_fields(call)
    found = [call.office.orders.get(sn) for sn in numbers]
    return {"order_list": [_detail(call, o, optional) for o in found if o is not None and o.shop_id == call.shop_id]}
