"""TikTok Shop order reads in the sandbox: the incremental order search.

``orders/search`` is how a sync pulls orders: filtered by ``update_time_ge`` / ``update_time_lt`` (or the
create-time pair) and status, sorted by ``sort_field`` (update_time by default) and ``sort_order``, walked
page by page with an opaque ``next_page_token`` ("" at the end). Orders are ordered by (time, id) and the
token is the last key returned, so an order that changes while a client pages is seen again later, never
skipped. An order lists one line item per unit, as TikTok does: 3 units of a SKU are 3 line items, each
with its own id. Buyers' data is not served at all: nothing here needs it.
"""

from __future__ import annotations

import base64
import binascii

from simulators.tiktok.records import ORDER_STATUSES, Order
from simulators.tiktok.wire import JsonObject, TikTokCall

__all__ = ["order_view", "search_orders"]


def order_view(order: Order) -> JsonObject:
    return {
        "id": order.order_id,
        "status": order.status,
        "create_time": order.create_time,
        "update_time": order.update_time,
        "payment": {"currency": "VND", "sub_total": str(order.sub_total), "total_amount": str(order.total_amount)},
        "line_items": [
            {
                "id": line.line_id,
                "sku_id": line.sku_id,
                "seller_sku": line.seller_sku,
                "product_id": line.product_id,
                "product_name": line.product_name,
                "sale_price": str(line.sale_price),
                "original_price": str(line.original_price),
                "currency": "VND",
                "display_status": order.status,
                **({"cancel_reason": order.cancel_reason} if order.status == "CANCELLED" else {}),
            }
            for line in order.line_items
        ],
    }


def _token(key: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(f"o:{key[0]}:{key[1]}".encode()).decode()


def _after(call: TikTokCall) -> tuple[int, str] | None:
    token = call.query.get("page_token", "")
    if not token:
        return None
    try:
        kind, time, order_id = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        if kind != "o":
            raise ValueError(kind)
        return int(time), order_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise call.bad("page_token is invalid") from None


def _bound(call: TikTokCall, name: str) -> int | None:
    value = call.body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise call.bad(f"{name} must be a Unix timestamp")
    return value


def search_orders(call: TikTokCall) -> JsonObject:
    """POST /order/202309/orders/search."""
    page_size = call.page_size()
    field = call.query.get("sort_field", "update_time") or "update_time"
    if field not in ("update_time", "create_time"):
        raise call.bad("sort_field must be update_time or create_time")
    order = call.query.get("sort_order", "ASC") or "ASC"
    if order not in ("ASC", "DESC"):
        raise call.bad("sort_order must be ASC or DESC")
    status = call.body.get("order_status")
    if status is not None and status not in ORDER_STATUSES:
        raise call.bad(f"order_status {status!r} is unknown")
    bounds = {
        name: _bound(call, name) for name in ("update_time_ge", "update_time_lt", "create_time_ge", "create_time_lt")
    }

    def key(o: Order) -> tuple[int, str]:
        return (o.update_time if field == "update_time" else o.create_time), o.order_id.rjust(24, "0")

    def wanted(o: Order) -> bool:
        for name, bound in bounds.items():
            value = o.update_time if name.startswith("update") else o.create_time
            if bound is not None and (value < bound if name.endswith("_ge") else value >= bound):
                return False
        return status is None or o.status == status

    descending = order == "DESC"
    matching = sorted((o for o in call.office.shop_orders(call.shop_id) if wanted(o)), key=key, reverse=descending)
    after = _after(call)
    if after is not None:
        matching_rest = [o for o in matching if (key(o) < after if descending else key(o) > after)]
    else:
        matching_rest = matching
    page, more = matching_rest[:page_size], len(matching_rest) > page_size
    return {
        "orders": [order_view(o) for o in page],
        "next_page_token": _token(key(page[-1])) if more else "",
        "total_count": len(matching),
    }
