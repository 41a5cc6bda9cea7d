"""The read side of the Shopee adapter: what the shop holds, found by our SKU, paged, and its orders.

:class:`ShopeeReader` answers the three questions the core asks of a marketplace without changing
anything there: which item carries this SKU (search_item, then get_item_base_info and get_model_list,
keeping exact matches only: Shopee's SKU search also matches prefixes), what every listing looks like
now (get_item_list 100 a page, get_item_base_info 50 a call), and which orders changed since the stored
cursor (get_order_list by update time in windows of at most 15 days, cursor-paginated, then
get_order_detail 50 at a time). Pagination that promises more but gives no way forward is an error,
never a loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from connectors.kit.batches import chunks
from connectors.shopee.client import ShopeeClient
from connectors.shopee.normalize import (
    decode_cursor,
    encode_cursor,
    listing_state_from,
    order_from_detail,
    time_windows,
)
from connectors.shopee.variations import read_variations
from core.errors import PermanentError
from core.ports import ListingRef, ListingState, Order, OrderBatch

__all__ = ["ShopeeReader"]

_log = structlog.get_logger("chosync.connectors.shopee")


def _item_id(value: object, *, call: str) -> int:
    """An item id from an answer; a malformed one is Shopee's data error, not a crash of ours."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise PermanentError(f"Shopee answered {call} with an item id that is not a number", code="shopee_data")


class ShopeeReader:
    """Reads one shop through its client; never writes."""

    def __init__(self, client: ShopeeClient, *, now: Callable[[], datetime]) -> None:
        self._client = client
        self._config = client.config
        self._now = now

    async def find_by_sku(self, sku: str) -> ListingRef | None:
        item_ids = await self._search_sku(sku)
        if not item_ids:
            return None
        statuses = set(self._config.listing.lookup_statuses)
        matches = [
            base
            for base in await self._base_info(item_ids)
            if base.get("item_sku") == sku and base.get("item_status") in statuses
        ]
        if not matches:
            return None
        call = "product/get_item_base_info"
        matches.sort(key=lambda base: (base.get("item_status") != "NORMAL", _item_id(base.get("item_id"), call=call)))
        if len(matches) > 1:
            item_ids = [_item_id(base.get("item_id"), call=call) for base in matches]
            _log.warning("shopee.duplicate_sku", sku=sku, item_ids=item_ids)
        chosen = matches[0]
        item_id = _item_id(chosen.get("item_id"), call=call)
        models = await self.model_ids(item_id) if chosen.get("has_model") else {}
        return ListingRef(item_id=str(item_id), models=models)

    async def _search_sku(self, sku: str) -> list[int]:
        found: list[int] = []
        offset: str | int = 0
        for _ in range(10):  # a SKU search is narrow; ten pages means something is wrong, not more data
            answer = await self._client.get(
                "product/search_item",
                {
                    "offset": offset,
                    "page_size": self._config.limits.search_page_size,
                    "item_sku": sku,
                    "item_status": list(self._config.listing.lookup_statuses),
                },
            )
            found.extend(_item_id(item_id, call="product/search_item") for item_id in answer.get("item_id_list") or [])
            next_offset = answer.get("next_offset")
            if not next_offset or next_offset == offset or not answer.get("item_id_list"):
                break
            offset = next_offset
        return found

    async def _base_info(self, item_ids: Sequence[int]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for chunk in chunks(item_ids, self._config.limits.item_base_info_batch):
            answer = await self._client.get(
                "product/get_item_base_info", {"item_id_list": ",".join(str(i) for i in chunk)}
            )
            items.extend(answer.get("item_list") or [])
        return items

    async def _model_list(self, item_id: int) -> dict[str, Any]:
        return await self._client.get("product/get_model_list", {"item_id": item_id})

    async def model_ids(self, item_id: int) -> dict[str, str]:
        """Model SKU → model id of the item's models, read from Shopee."""
        return (await read_variations(self._client, item_id)).model_ids()

    async def listing_states(self) -> AsyncIterator[ListingState]:
        offset: int = 0
        while True:
            page = await self._client.get(
                "product/get_item_list",
                {
                    "offset": offset,
                    "page_size": self._config.limits.item_list_page_size,
                    "item_status": list(self._config.listing.item_statuses),
                },
            )
            item_ids = [
                _item_id(entry.get("item_id"), call="product/get_item_list") for entry in page.get("item") or []
            ]
            for base in await self._base_info(item_ids):
                item_id = _item_id(base.get("item_id"), call="product/get_item_base_info")
                models = await self._model_list(item_id) if base.get("has_model") else None
                yield listing_state_from(base, models)
            if not page.get("has_next_page"):
                return
            next_offset = page.get("next_offset")
            if not isinstance(next_offset, int) or next_offset <= offset:
                raise PermanentError(
                    f"Shopee said more items follow but gave no next offset after {offset}",
                    code="bad_pagination",
                )
            offset = next_offset

    async def pull_orders(self, cursor: str | None) -> AsyncIterator[OrderBatch]:
        settings = self._config.orders
        now = int(self._now().timestamp())
        start = decode_cursor(cursor, default=now - int(timedelta(days=settings.initial_lookback_days).total_seconds()))
        windows = time_windows(start, now, int(timedelta(days=settings.window_days).total_seconds()))
        for index, (time_from, time_to) in enumerate(windows):
            order_sns = await self._order_sns(time_from, time_to)
            # Until a window is fully read its start is the cursor: a crash replays it, harmlessly.
            last_window = index == len(windows) - 1
            done_cursor = encode_cursor(max(time_from, time_to - settings.overlap_s) if last_window else time_to)
            batches = list(chunks(order_sns, settings.detail_batch))
            if not batches:
                yield OrderBatch(orders=(), cursor=done_cursor)
            for position, batch in enumerate(batches):
                orders = await self._order_details(batch)
                is_last = position == len(batches) - 1
                yield OrderBatch(orders=orders, cursor=done_cursor if is_last else encode_cursor(time_from))

    async def _order_sns(self, time_from: int, time_to: int) -> list[str]:
        order_sns: list[str] = []
        seen: set[str] = set()
        page_cursor = ""
        while True:
            answer = await self._client.get(
                "order/get_order_list",
                {
                    "time_range_field": "update_time",
                    "time_from": time_from,
                    "time_to": time_to,
                    "page_size": self._config.orders.page_size,
                    "cursor": page_cursor,
                    "response_optional_fields": "order_status",
                },
            )
            for entry in answer.get("order_list") or []:
                order_sn = str(entry.get("order_sn") or "")
                if not order_sn:
                    raise PermanentError("Shopee listed an order without its number", code="shopee_data")
                if order_sn not in seen:
                    seen.add(order_sn)
                    order_sns.append(order_sn)
            next_cursor = answer.get("next_cursor") or ""
            if not answer.get("more"):
                return order_sns
            if not next_cursor or next_cursor == page_cursor:
                raise PermanentError("Shopee said more orders follow but gave no next cursor", code="bad_pagination")
            page_cursor = str(next_cursor)

    async def _order_details(self, order_sns: Sequence[str]) -> tuple[Order, ...]:
        # Only what the ledger needs: never recipient_address or buyer fields (DESIGN rule 8).
        answer = await self._client.get(
            "order/get_order_detail",
            {"order_sn_list": ",".join(order_sns), "response_optional_fields": "item_list,total_amount"},
        )
        return tuple(order_from_detail(detail) for detail in answer.get("order_list") or [])
