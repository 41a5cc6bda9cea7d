"""Orders from Lazada: ``orders/get`` by update time from our cursor, their items, folded into our orders.

A pull reads the orders updated since the cursor (:mod:`connectors.kit.normalize`; the first pull looks
``orders.initial_lookback_days`` back) up to now, oldest first (``sort_by=updated_at``, ``ASC``), with
both times written in the shop's offset (``2024-01-01T00:00:00+07:00``). Lazada pages by ``offset`` and
refuses one past ``limits.orders_offset_max`` (5,000): before passing it, the window slides, starting
again (offset 0) at the last order read, less ``orders.slide_back_s`` so that orders updated in that same
second, which an exclusive bound would skip, are read again (a replay, which the ledger ignores). A
window that cannot move on (more orders updated in one second than the cap) is an error, never a loop.

Each page's items come from ``orders/items/get``, ``limits.order_items_batch`` orders a call, and each
order is folded per SKU (:func:`connectors.lazada.normalize.order_from`). A page is handed over with the
cursor of its window's start until the last page is known (a crash replays, replays are no-ops); the last
with ``now - orders.overlap_s``, so late updates are read again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from connectors.kit.batches import chunks
from connectors.kit.normalize import decode_cursor, encode_cursor
from connectors.lazada.client import LazadaClient
from connectors.lazada.normalize import lazada_time, order_from, parse_time
from core.errors import PermanentError
from core.ports import Order, OrderBatch

__all__ = ["LazadaOrders"]

_log = structlog.get_logger("chosync.connectors.lazada")


def _wire_id(order_id: str) -> int | str:
    return int(order_id) if order_id.isdigit() else order_id


class LazadaOrders:
    def __init__(self, client: LazadaClient, *, now: Callable[[], datetime]) -> None:
        self._client = client
        self._config = client.config
        self._now = now

    async def _pages(self, start: int, end: datetime) -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
        """(window start, orders) page after page, from ``start`` (Unix seconds) to ``end``."""
        limits, settings = self._config.limits, self._config.orders
        window, offset = start, 0
        while True:
            params = {
                "update_after": lazada_time(datetime.fromtimestamp(window, end.tzinfo), settings.utc_offset),
                "update_before": lazada_time(end, settings.utc_offset),
                "sort_by": "updated_at",
                "sort_direction": "ASC",
                "offset": offset,
                "limit": limits.orders_page_size,
            }
            data = await self._client.get("/orders/get", params)
            data = data if isinstance(data, dict) else {}
            page = [o for o in data.get("orders") or [] if isinstance(o, dict)]
            yield window, page
            total = str(data.get("countTotal", ""))
            offset += len(page)
            if len(page) < limits.orders_page_size or (total.isdigit() and offset >= int(total)):
                return
            if offset > limits.orders_offset_max:
                last = int(parse_time(page[-1].get("updated_at"), what="updated_at").timestamp())
                slid = last - settings.slide_back_s
                if slid <= window:
                    raise PermanentError(
                        f"more than {limits.orders_offset_max} Lazada orders were updated in one second; "
                        "their window cannot slide past them",
                        code="bad_pagination",
                    )
                _log.info("lazada.orders_window_slid", offset=offset, update_after=slid)
                window, offset = slid, 0

    async def _items(self, order_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {order_id: [] for order_id in order_ids}
        for chunk in chunks(list(order_ids), self._config.limits.order_items_batch):
            data = await self._client.get("/orders/items/get", {"order_ids": [_wire_id(o) for o in chunk]})
            for entry in data if isinstance(data, list) else []:
                if isinstance(entry, dict):
                    items = [i for i in entry.get("order_items") or [] if isinstance(i, dict)]
                    found.setdefault(str(entry.get("order_id")), []).extend(items)
        return found

    async def _orders(self, page: list[dict[str, Any]], seen: set[tuple[str, str]]) -> tuple[Order, ...]:
        fresh = []
        for order in page:
            key = (str(order.get("order_id")), str(order.get("updated_at")))
            if key not in seen:  # read again by a slid window: once is enough
                seen.add(key)
                fresh.append(order)
        items = await self._items(list(dict.fromkeys(str(o.get("order_id")) for o in fresh)))
        settings = self._config.orders
        return tuple(order_from(o, items.get(str(o.get("order_id")), []), settings) for o in fresh)

    async def pull(self, cursor: str | None) -> AsyncIterator[OrderBatch]:
        settings = self._config.orders
        now = self._now()
        lookback = int((now - timedelta(days=settings.initial_lookback_days)).timestamp())
        start = decode_cursor(cursor, default=lookback, marketplace="Lazada")
        done = encode_cursor(max(start, int(now.timestamp()) - settings.overlap_s))
        seen: set[tuple[str, str]] = set()
        held: tuple[int, tuple[Order, ...]] | None = None
        async for window, page in self._pages(start, now):
            if held is not None:
                yield OrderBatch(orders=held[1], cursor=encode_cursor(held[0]))
            held = (window, await self._orders(page, seen))
        yield OrderBatch(orders=held[1] if held else (), cursor=done)
