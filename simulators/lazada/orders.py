"""Lazada order reads in the simulator: the order list by time window, and the items of orders.

``GET /orders/get`` is how a sync pulls orders: ``update_after`` (or ``created_after``; one of them is
required) and the matching ``*_before``, ISO 8601 with the offset; an optional ``status``; sorted by
``sort_by`` (created_at by default, or updated_at) and ``sort_direction`` (DESC by default), walked with
``limit`` (at most 100) and ``offset`` (at most 5,000: beyond, the client must slide its time window).
Times are written the way Lazada writes them, in Vietnam's offset: ``2026-12-07 21:00:00 +0700``.

An order carries no lines of its own, only the distinct ``statuses`` of its items: the items come from
``GET /orders/items/get`` (``order_ids``, a JSON array of at most 50), ONE item per unit bought, each with
its own status, SellerSku (``sku``), ``sku_id`` and price. Buyers' data is not served at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from simulators.lazada.records import Order, OrderItem
from simulators.lazada.wire import MISSING_PARAMETER, JsonObject, LazadaCall, LazadaError

__all__ = ["get_order", "get_order_items", "get_orders", "get_orders_items", "item_view", "lazada_time", "order_view"]


def lazada_time(seconds: int, offset_minutes: int) -> str:
    """``2026-12-07 21:00:00 +0700``."""
    zone = timezone(timedelta(minutes=offset_minutes))
    return datetime.fromtimestamp(seconds, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %z")


def order_view(call: LazadaCall, order: Order) -> JsonObject:
    offset = call.config.utc_offset_minutes
    return {
        "order_id": order.order_id,
        "order_number": order.order_number,
        "created_at": lazada_time(order.created_at, offset),
        "updated_at": lazada_time(order.updated_at, offset),
        "price": f"{order.price}.00",
        "voucher": 0,
        "shipping_fee": 0,
        "payment_method": order.payment_method,
        "statuses": order.statuses,
        "items_count": len(order.items),
    }


def item_view(call: LazadaCall, item: OrderItem) -> JsonObject:
    offset = call.config.utc_offset_minutes
    return {
        "order_item_id": item.order_item_id,
        "order_id": item.order_id,
        "product_id": item.item_id,
        "sku": item.seller_sku,
        "sku_id": str(item.sku_id),
        "shop_sku": item.shop_sku,
        "name": item.name,
        "variation": item.variation,
        "status": item.status,
        "item_price": item.item_price,
        "paid_price": item.paid_price,
        "currency": call.config.currency,
        "reason": item.reason,
        "return_status": "",
        "updated_at": lazada_time(item.updated_at, offset),
    }


def _between(call: LazadaCall, seconds: int, low: float | None, high: float | None) -> bool:
    above = low is None or seconds >= low
    below = high is None or seconds < high or (call.config.inclusive_before and seconds == high)
    return above and below


def get_orders(call: LazadaCall) -> JsonObject:
    """GET /orders/get: ``data{count, countTotal, orders[]}``."""
    config = call.config
    update_after, created_after = call.time_param("update_after"), call.time_param("created_after")
    if update_after is None and created_after is None:
        raise LazadaError(MISSING_PARAMETER, "Either update_after or created_after is mandatory")
    update_before, created_before = call.time_param("update_before"), call.time_param("created_before")
    sort_by = call.params.get("sort_by", "created_at")
    direction = call.params.get("sort_direction", "DESC").upper()
    if sort_by not in ("created_at", "updated_at") or direction not in ("ASC", "DESC"):
        raise call.bad("sort_by must be created_at or updated_at, sort_direction ASC or DESC", field="sort_by")
    offset = call.integer("offset", 0)
    if offset > config.orders_max_offset:
        raise LazadaError(
            config.invalid_offset_code, f"Invalid Offset: offset must be at most {config.orders_max_offset}"
        )
    limit = call.integer("limit", config.orders_get_limit, low=1, high=config.orders_get_limit)
    status = call.params.get("status")
    found = [
        o
        for o in call.office.seller_orders(call.seller_id)
        if _between(call, o.updated_at, update_after, update_before)
        and _between(call, o.created_at, created_after, created_before)
        and (status is None or status in o.statuses)
    ]
    found.sort(key=lambda o: (o.updated_at if sort_by == "updated_at" else o.created_at, o.order_id),
               reverse=direction == "DESC")  # fmt: skip
    page = found[offset : offset + limit]
    return {"count": len(page), "countTotal": len(found), "orders": [order_view(call, o) for o in page]}


def _own_orders(call: LazadaCall, ids: list[str]) -> list[Order]:
    orders = call.office.orders
    return [
        orders[int(i)] for i in ids if i.isdigit() and int(i) in orders and orders[int(i)].seller_id == call.seller_id
    ]


def get_orders_items(call: LazadaCall) -> list[JsonObject]:
    """GET /orders/items/get: ``data[{order_id, order_number, order_items[]}]`` for up to 50 orders."""
    ids = call.string_list("order_ids", call.config.order_items_batch)
    return [
        {
            "order_id": order.order_id,
            "order_number": order.order_number,
            "order_items": [item_view(call, item) for item in order.items],
        }
        for order in _own_orders(call, ids)
    ]


def _one(call: LazadaCall) -> Order:
    found = _own_orders(call, [call.require("order_id").strip()])
    if not found:
        raise LazadaError(call.config.order_not_found_code, "Order not found")
    return found[0]


def get_order(call: LazadaCall) -> JsonObject:
    """GET /order/get: one order by ``order_id``."""
    return order_view(call, _one(call))


def get_order_items(call: LazadaCall) -> list[JsonObject]:
    """GET /order/items/get: one order's items by ``order_id``."""
    return [item_view(call, item) for item in _one(call).items]
