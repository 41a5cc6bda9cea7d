"""The read side of the Postmart adapter: look-up by our SKU, listing states, orders, categories, areas.

:class:`PostmartReader` never writes. Every field name it reads, and every status code it maps, comes from
the toml (:class:`~connectors.postmart.config.PostmartConfig`), so an answer shaped differently from
our assumptions is a config fix. Lists are paged as ``[paging]`` says (ASSUMED: ``page`` from
``first_page`` and ``limit``, ``{data, total}``); a page that promises more but brings nothing is an
error, never a loop.
Statuses go through tables; an unknown one is an error, never a guess (a wrong status moves stock).
Money must be whole đồng (DSMall keeps prices as decimal(10,2), so ``"175000.00"`` is read as 175000
and ``"175000.50"`` is refused). Times are read and written in ``fields.order.time_format`` (ASSUMED:
Unix seconds).

The order cursor is ours: ``{"v": 1, "update_time_from": <unix s>}`` (the query parameter is written in
the contract's time format). Until every page is read the
cursor stays at its start (a crash replays the window, harmlessly); then it moves to the pull's start
less ``overlap_s``, so an order changed during the pull is read again next time rather than missed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pydantic import ValidationError

from connectors.kit.normalize import data_error, decode_cursor, encode_cursor, whole_vnd
from connectors.postmart.client import PostmartClient
from connectors.postmart.config import TimeFormat, read_time, wire_time
from core.errors import PermanentError
from core.ports import (
    ListingContent,
    ListingRef,
    ListingState,
    ListingStatus,
    Order,
    OrderBatch,
    OrderLine,
    VariantState,
)

__all__ = ["PostmartArea", "PostmartCategory", "PostmartReader", "vnd"]

_log = structlog.get_logger("chosync.connectors.postmart")
_MAX_PAGES = 10_000


@dataclass(frozen=True, slots=True)
class PostmartCategory:
    id: int
    name: str
    parent_id: int
    visible: bool


@dataclass(frozen=True, slots=True)
class PostmartArea:
    id: int
    name: str
    parent_id: int
    depth: int | None


def _data_error(message: str, *, field: str | None = None, code: str | None = None) -> PermanentError:
    return data_error("Postmart", message, field=field, code=code)


def vnd(value: object, *, what: str) -> int:
    """An amount as whole đồng; PermanentError if it is not a whole, non-negative number."""
    return whole_vnd(value, what=what, marketplace="Postmart")


def _int(value: object, *, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise _data_error(f"Postmart sent {what} = {value!r}, which is not a whole number", field=what)


def _id(value: object, *, what: str) -> str:
    if value is None or value == "" or isinstance(value, bool):
        raise _data_error(f"Postmart sent no {what}", field=what)
    return str(value)


def _utc(value: object, *, what: str, time_format: TimeFormat) -> datetime:
    moment = read_time(value, time_format)
    if moment is None:
        raise _data_error(f"Postmart sent {what} = {value!r}, which is not a time ({time_format})", field=what)
    return moment


class PostmartReader:
    """Reads one Postmart merchant through its client."""

    def __init__(self, client: PostmartClient, *, now: Callable[[], datetime]) -> None:
        self._client = client
        self._config = client.config
        self._now = now

    async def _pages(self, endpoint: str, params: Mapping[str, Any]) -> AsyncIterator[list[dict[str, Any]]]:
        paging = self._config.paging
        seen = 0
        for page in range(paging.first_page, paging.first_page + _MAX_PAGES):
            query = {**params, paging.page_param: page, paging.size_param: paging.page_size}
            result = await self._client.call(endpoint, params=query, idempotent=True)
            if isinstance(result, list):  # an unpaged answer: everything at once
                yield [entry for entry in result if isinstance(entry, dict)]
                return
            if not isinstance(result, dict):
                raise _data_error(f"Postmart answered {endpoint} with no list", code="bad_pagination")
            items = [entry for entry in result.get(paging.items_field) or [] if isinstance(entry, dict)]
            total = result.get(paging.total_field)
            seen += len(items)
            yield items
            if total is None or seen >= _int(total, what=paging.total_field):
                return
            if not items:
                raise _data_error(f"Postmart said {total} entries but page {page} of {endpoint} is empty",
                                  code="bad_pagination")  # fmt: skip
        raise _data_error(f"Postmart's {endpoint} pages do not end", code="bad_pagination")

    # --- listings --------------------------------------------------------------------------------

    async def find_by_sku(self, sku: str) -> ListingRef | None:
        f = self._config.fields.product
        matches: list[dict[str, Any]] = []
        async for page in self._pages("product_list", {f.serial_param: sku}):
            matches.extend(entry for entry in page if str(entry.get(f.serial) or "") == sku)  # exact only
        if not matches:
            return None
        matches.sort(key=lambda entry: _int(entry.get(f.spu_id), what=f.spu_id))
        if len(matches) > 1:
            _log.warning("postmart.duplicate_sku", sku=sku, spu_ids=[str(m.get(f.spu_id)) for m in matches])
        return self.ref_of(matches[0])

    def ref_of(self, product: Mapping[str, Any]) -> ListingRef:
        f, s = self._config.fields.product, self._config.fields.sku
        models = {
            str(sku[s.serial]): _id(sku.get(s.sku_id), what=s.sku_id)
            for sku in product.get(f.skus) or []
            if isinstance(sku, dict) and sku.get(s.serial)
        }
        return ListingRef(item_id=_id(product.get(f.spu_id), what=f.spu_id), models=models)

    def state_of(self, product: Mapping[str, Any]) -> ListingState:
        f, s, rules = self._config.fields.product, self._config.fields.sku, self._config.listing
        spu_id = _id(product.get(f.spu_id), what=f.spu_id)
        state = _int(product.get(f.state), what=f.state)
        verify = product.get(f.verify)
        verify_code = None if verify is None else _int(verify, what=f.verify)
        if state == rules.banned_value:
            status = ListingStatus.BANNED
        elif verify_code == rules.verify_rejected:
            status = ListingStatus.REJECTED
        elif verify_code == rules.verify_waiting:
            status = ListingStatus.IN_REVIEW
        elif state == rules.off_value:
            status = ListingStatus.DELISTED
        elif state == rules.on_value:
            status = ListingStatus.LIVE
        else:
            raise _data_error(f"Postmart product {spu_id} has {f.state} = {state}, which chosync does not know",
                              field=f.state, code="unknown_item_status")  # fmt: skip
        variants = tuple(
            VariantState(
                variant_sku=str(sku.get(s.serial) or "") or None,
                model_id=_id(sku.get(s.sku_id), what=s.sku_id),
                price_vnd=None if sku.get(s.price) is None else vnd(sku.get(s.price), what=f"price of {spu_id}"),
                stock=_int(sku.get(s.stock, 0), what=s.stock),
            )
            for sku in product.get(f.skus) or []
            if isinstance(sku, dict)
        )
        return ListingState(item_id=spu_id, sku=str(product.get(f.serial) or "") or None, status=status,
                            variants=variants, content=self.content_of(product))  # fmt: skip

    def content_of(self, product: Mapping[str, Any]) -> ListingContent:
        """Name, description, category and image count, where the answer has them (a list may not)."""
        f = self._config.fields.product

        def text(name: str) -> str | None:
            value = product.get(name)
            return None if value is None or isinstance(value, dict | list) else str(value)

        images: int | None = None
        if f.image in product:  # the cover in one field, the others in a list
            others = product.get(f.images)
            images = (1 if product.get(f.image) else 0) + (len(others) if isinstance(others, list) else 0)
        return ListingContent(
            name=text(f.name), description=text(f.description), category=text(f.category), images=images
        )

    async def listing_states(self) -> AsyncIterator[ListingState]:
        async for page in self._pages("product_list", {}):
            for product in page:
                yield self.state_of(product)

    # --- orders ----------------------------------------------------------------------------------

    async def pull_orders(self, cursor: str | None) -> AsyncIterator[OrderBatch]:
        settings = self._config.orders
        started = int(self._now().timestamp())
        lookback = int(timedelta(days=settings.initial_lookback_days).total_seconds())
        start = decode_cursor(cursor, default=started - lookback, marketplace="Postmart")
        pages: list[list[dict[str, Any]]] = []
        f = self._config.fields.order
        since = wire_time(datetime.fromtimestamp(start, UTC), f.time_format)
        async for page in self._pages("orders", {f.since_param: since}):
            pages.append(page)
        done = encode_cursor(max(start, started - settings.overlap_s))
        if not pages:
            yield OrderBatch(orders=(), cursor=done)
        for index, page in enumerate(pages):
            cursor_after = done if index == len(pages) - 1 else encode_cursor(start)
            yield OrderBatch(orders=tuple(self.order_of(o) for o in page), cursor=cursor_after)

    def order_of(self, raw: Mapping[str, Any]) -> Order:
        """One order as our Order; buyer fields, if any were sent, are left behind (rule 8)."""
        f, lf = self._config.fields.order, self._config.fields.order_line
        order_id = _id(raw.get(f.order_id), what=f.order_id)
        raw_status = str(raw.get(f.state, ""))
        status = self._config.orders.status_map.get(raw_status)
        if status is None:
            raise _data_error(f"Postmart order {order_id} has {f.state} {raw_status!r}, which chosync does not know",
                              field=f.state, code="unknown_order_status")  # fmt: skip
        created = _utc(raw.get(f.created), what=f.created, time_format=f.time_format)
        updated = (_utc(raw[f.updated], what=f.updated, time_format=f.time_format)
                   if raw.get(f.updated) is not None else created)  # fmt: skip
        lines: list[OrderLine] = []
        for position, line in enumerate(raw.get(f.lines) or [], start=1):
            sku_id = str(line.get(lf.sku_id) or "")
            lines.append(
                OrderLine(
                    line_id=str(line.get(lf.line_id) or f"{sku_id}#{position}"),
                    variant_sku=str(line.get(lf.serial) or "") or None,
                    item_id=str(line.get(lf.spu_id) or ""),
                    model_id=sku_id,
                    quantity=_int(line.get(lf.quantity), what=lf.quantity),
                    unit_price_vnd=vnd(line.get(lf.price), what=f"price of order {order_id} line {position}"),
                )
            )
        total = raw.get(f.total)
        try:
            return Order(
                order_id=order_id, status=status, raw_status=raw_status, created_at=created, updated_at=updated,
                currency="VND", lines=tuple(lines),
                total_vnd=vnd(total, what=f.total) if total is not None else sum(
                    line.unit_price_vnd * line.quantity for line in lines),
            )  # fmt: skip
        except ValidationError as exc:
            raise _data_error(f"Postmart order {order_id} could not be read: {exc}") from exc

    # --- reference data --------------------------------------------------------------------------

    async def categories(self) -> list[PostmartCategory]:
        """Every category (CONFIRMED call); a nested tree (ASSUMED possible) is flattened."""
        f = self._config.fields.category
        result = await self._client.call("categories", idempotent=True)
        found: list[PostmartCategory] = []

        def walk(entries: object) -> None:
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    found.append(PostmartCategory(
                        id=_int(entry.get(f.id), what=f.id), name=str(entry.get(f.name) or ""),
                        parent_id=_int(entry.get(f.parent_id, 0), what=f.parent_id),
                        visible=str(entry.get(f.visible, 1)) == "1",
                    ))  # fmt: skip
                    walk(entry.get(f.children))

        walk(result)
        return found

    async def areas(self, parent_id: int = 0) -> list[PostmartArea]:
        """Provinces (``parent_id`` 0), or the districts or wards of one area (ASSUMED call)."""
        f = self._config.fields.area
        result = await self._client.call("areas", params={f.parent_param: parent_id}, idempotent=True)
        entries = result if isinstance(result, list) else []
        return [
            PostmartArea(
                id=_int(e.get(f.id), what=f.id), name=str(e.get(f.name) or ""),
                parent_id=_int(e.get(f.parent_id, 0), what=f.parent_id),
                depth=None if e.get(f.depth) is None else _int(e.get(f.depth), what=f.depth),
            )
            for e in entries
            if isinstance(e, dict)
        ]  # fmt: skip
