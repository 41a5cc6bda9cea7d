"""The read side of the TikTok connector: products found by our SKUs, listing states, orders. Never writes.

Look-ups go by products/search's ``seller_skus`` (at most ten a call), keeping products whose SKUs carry
one of ours exactly; listing states page through products/search (every status but DELETED, which
TikTok does not return), and a product TikTok rejected in review is read in full once to log its reasons;
orders page through orders/search by update time from our cursor (:mod:`connectors.kit.normalize`),
sorted by update time. Pagination that promises more but gives no way forward is an error, never a loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from connectors.kit.batches import chunks
from connectors.kit.normalize import decode_cursor, encode_cursor
from connectors.tiktok.client import TikTokClient
from connectors.tiktok.normalize import carries, listing_state_from, order_from, ref_models
from core.errors import PermanentError
from core.logs import scrub
from core.ports import ListingRef, ListingState, OrderBatch

__all__ = ["TikTokReader", "audit_reasons"]

_log = structlog.get_logger("chosync.connectors.tiktok")
_PAGES_MAX = 1000  # 100 000 products or orders: past it, the pagination is broken, not the shop big


def audit_reasons(product: Mapping[str, Any]) -> str:
    """TikTok's audit_failed_reasons as one sentence ("title: … (suggestion: …)")."""
    parts = []
    for entry in product.get("audit_failed_reasons") or []:
        if not isinstance(entry, Mapping):
            continue
        reasons = "; ".join(str(r) for r in entry.get("reasons") or [])
        suggestions = "; ".join(str(s) for s in entry.get("suggestions") or [])
        text = f"{entry.get('position') or 'product'}: {reasons or 'rejected'}"
        parts.append(f"{text} (suggestion: {suggestions})" if suggestions else text)
    return scrub(" | ".join(parts)) or "TikTok gave no reason"


class TikTokReader:
    def __init__(self, client: TikTokClient, *, now: Callable[[], datetime]) -> None:
        self._client = client
        self._config = client.config
        self._now = now
        # Our variant SKU → product SKU, as this connector mapped them (TikTok has no product SKU).
        self.known: dict[str, str] = {}

    @property
    def _search_path(self) -> str:
        return f"/product/{self._config.api.product_search}/products/search"

    async def _pages(
        self, path: str, body: Mapping[str, Any], key: str, extra: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        token = ""
        for _ in range(_PAGES_MAX):
            params = {"page_size": self._config.limits.search_page_size, **(extra or {})}
            if token:
                params["page_token"] = token
            data = await self._client.post(path, body, idempotent=True, params=params)
            yield [entry for entry in data.get(key) or [] if isinstance(entry, dict)]
            following = str(data.get("next_page_token") or "")
            if not following:
                return
            if following == token:
                raise PermanentError(f"TikTok Shop repeated page token of {path}", code="bad_pagination")
            token = following
        raise PermanentError(f"TikTok Shop's {path} pages do not end", code="bad_pagination")

    async def products_with(self, seller_skus: Sequence[str]) -> list[dict[str, Any]]:
        """The products (search entries) whose SKUs carry one of ``seller_skus``, each once."""
        found: dict[str, dict[str, Any]] = {}
        wanted = set(seller_skus)
        for chunk in chunks(sorted(wanted), self._config.limits.seller_skus_per_search):
            async for page in self._pages(self._search_path, {"seller_skus": list(chunk)}, "products"):
                for product in page:
                    if wanted & set(ref_models(product)):
                        found.setdefault(str(product.get("id")), product)
        return list(found.values())

    async def find_by_skus(self, product_sku: str, variant_skus: Sequence[str]) -> ListingRef | None:
        return self._chosen(product_sku, await self.products_with(variant_skus))

    @staticmethod
    def _chosen(product_sku: str, matches: list[dict[str, Any]]) -> ListingRef | None:
        """The product to bind among those carrying our SKUs: a live one first, then the oldest."""
        if not matches:
            return None
        matches.sort(key=lambda p: (p.get("status") != "ACTIVATE", len(str(p.get("id"))), str(p.get("id"))))
        if len(matches) > 1:
            _log.warning("tiktok.duplicate_sku", sku=product_sku, product_ids=[str(p.get("id")) for p in matches])
        return ListingRef(item_id=str(matches[0].get("id")), models=ref_models(matches[0]))

    async def find_by_sku(self, sku: str) -> ListingRef | None:
        variants = sorted(v for v, p in self.known.items() if p == sku)
        if variants:
            return await self.find_by_skus(sku, variants)
        found = await self.find_by_skus(sku, [sku])
        if found is not None:
            return found
        # Its variant SKUs unknown here (a product never mapped by this connector): read every product and
        # keep those whose seller SKUs are or extend this SKU (the catalog's way of naming variants).
        _log.info("tiktok.sku_scan", sku=sku)
        matches = []
        async for page in self._pages(self._search_path, {}, "products"):
            matches += [p for p in page if carries(list(ref_models(p)), sku)]
        return self._chosen(sku, matches)

    async def product(self, product_id: str) -> dict[str, Any]:
        return await self._client.get(f"/product/{self._config.api.product}/products/{product_id}")

    async def listing_states(self) -> AsyncIterator[ListingState]:
        async for page in self._pages(self._search_path, {}, "products"):
            for product in page:
                state = listing_state_from(product, self.known)
                if product.get("status") == "FAILED":
                    reasons = audit_reasons(await self.product(state.item_id))
                    _log.warning("tiktok.audit_rejected", product_id=state.item_id, sku=state.sku, reasons=reasons)
                    state = state.model_copy(update={"reason": reasons})
                yield state

    async def status_of(self, status: str) -> set[str]:
        """The ids of the products TikTok holds in ``status``."""
        ids: set[str] = set()
        async for page in self._pages(self._search_path, {"status": status}, "products"):
            ids.update(str(p.get("id")) for p in page)
        return ids

    async def inventory(self, product_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Product id → TikTok SKU id → quantity in stock over all warehouses (inventory/search)."""
        found: dict[str, dict[str, int]] = {}
        path = f"/product/{self._config.api.product}/inventory/search"
        for chunk in chunks(list(product_ids), self._config.limits.inventory_search_products):
            data = await self._client.post(path, {"product_ids": list(chunk)}, idempotent=True)
            for entry in data.get("inventory") or []:
                skus = found.setdefault(str(entry.get("product_id")), {})
                for sku in entry.get("skus") or []:
                    total = sku.get("total_available_quantity")
                    if total is None:
                        total = sum(int(w.get("available_quantity") or 0) for w in sku.get("warehouse_inventory") or [])
                    skus[str(sku.get("id"))] = int(total)
        return found

    async def pull_orders(self, cursor: str | None) -> AsyncIterator[OrderBatch]:
        settings = self._config.orders
        now = int(self._now().timestamp())
        start = decode_cursor(
            cursor,
            default=now - int(timedelta(days=settings.initial_lookback_days).total_seconds()),
            marketplace="TikTok Shop",
        )
        done = encode_cursor(max(start, now - settings.overlap_s))
        path = f"/order/{self._config.api.orders}/orders/search"
        body = {"update_time_ge": start, "update_time_lt": now}
        sort = {"sort_field": "update_time", "sort_order": "ASC"}
        pages = self._pages(path, body, "orders", extra={**sort, "page_size": settings.page_size})
        previous: list[dict[str, Any]] | None = None
        # A page is yielded with the start as its cursor until the last one is known: a crash replays.
        async for page in pages:
            if previous is not None:
                yield OrderBatch(
                    orders=tuple(order_from(o, settings.statuses) for o in previous), cursor=encode_cursor(start)
                )
            previous = page
        yield OrderBatch(orders=tuple(order_from(o, settings.statuses) for o in previous or []), cursor=done)
