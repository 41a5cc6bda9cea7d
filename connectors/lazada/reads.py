"""The read side of the Lazada connector: products found by our SKUs, their stock holds, listing states;
and orders, through :mod:`connectors.lazada.orders`.

Look-ups go by ``GET /products/get`` with ``sku_seller_list`` (a JSON array, exact match, at most
``limits.sku_lookup_max`` a call), keeping the products whose live SKUs carry one of ours exactly: the
look-up every create makes first, and the one a duplicate SellerSku (4126) is resolved by. The same read
gives each SKU's withheld and occupied units, the floor a stock figure may not go under. Listing states
page through ``products/get`` (``filter=all``, then ``filter=deleted`` so a deleted item reads as such),
``limits.products_page_size`` a page by offset; a rejected product carries Lazada's reason. Pagination
that promises more but gives nothing, or passes Lazada's offset cap, is an error, never a loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog

from connectors.kit.batches import chunks
from connectors.lazada.client import LazadaClient
from connectors.lazada.normalize import count, extends, held, listing_state_from, live_skus, ref_models
from connectors.lazada.orders import LazadaOrders
from core.errors import PermanentError
from core.ports import ListingRef, ListingState, ListingStatus, OrderBatch

__all__ = ["Holds", "LazadaReader"]

Holds = dict[str, int]  # SellerSku → units withheld + occupied for open orders
_log = structlog.get_logger("chosync.connectors.lazada")


class LazadaReader:
    def __init__(self, client: LazadaClient, *, now: Callable[[], datetime]) -> None:
        self._client = client
        self._config = client.config
        self.orders = LazadaOrders(client, now=now)
        # Our variant SKU → product SKU, as this connector mapped them (Lazada has no product SKU of ours).
        self.known: dict[str, str] = {}

    async def products(self, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """Every product ``products/get`` gives for ``params``, page after page."""
        limits = self._config.limits
        offset = 0
        while True:
            if offset > limits.products_offset_max:
                raise PermanentError(
                    f"Lazada's products/get stops at offset {limits.products_offset_max}; this shop has more",
                    code="bad_pagination",
                )
            data = await self._client.get(
                "/products/get", {**params, "limit": limits.products_page_size, "offset": offset}
            )
            data = data if isinstance(data, dict) else {}
            page = [p for p in data.get("products") or [] if isinstance(p, dict)]
            for product in page:
                yield product
            offset += len(page)
            total = count(data.get("total_products"))
            if len(page) < limits.products_page_size or offset >= total:
                return

    async def products_with(self, seller_skus: Sequence[str]) -> list[dict[str, Any]]:
        """The products (deleted ones aside) with a live SKU whose SellerSku is one of ``seller_skus``."""
        wanted = set(seller_skus)
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunks(sorted(wanted), self._config.limits.sku_lookup_max):
            async for product in self.products(filter="all", sku_seller_list=list(chunk)):
                if wanted & set(ref_models(product)):
                    found.setdefault(str(product.get("item_id")), product)
        return list(found.values())

    def _chosen(self, product_sku: str, matches: list[dict[str, Any]]) -> ListingRef | None:
        """The item to bind among those carrying our SKUs: a live one first, then the oldest."""
        if not matches:
            return None
        live = self._config.reads.status_of
        matches.sort(key=lambda p: (live(str(p.get("status"))) is not ListingStatus.LIVE, count(p.get("item_id"))))
        if len(matches) > 1:
            _log.warning("lazada.duplicate_sku", sku=product_sku, item_ids=[str(p.get("item_id")) for p in matches])
        return ListingRef(item_id=str(matches[0].get("item_id")), models=ref_models(matches[0]))

    async def find_by_skus(self, product_sku: str, variant_skus: Sequence[str]) -> ListingRef | None:
        return self._chosen(product_sku, await self.products_with(variant_skus))

    async def find_by_sku(self, sku: str) -> ListingRef | None:
        variants = sorted(v for v, p in self.known.items() if p == sku) or [sku]
        found = await self.find_by_skus(sku, variants)
        if found is not None or variants != [sku]:
            return found
        # A product never mapped here: its variant SKUs are unknown, so read the shop and keep the items whose
        # SellerSkus are this SKU's variants (the catalog names them <product>-<option>).
        _log.info("lazada.sku_scan", sku=sku)
        matches = []
        async for product in self.products(filter="all"):
            if any(extends(seller_sku, sku) for seller_sku in ref_models(product)):
                matches.append(product)
        return self._chosen(sku, matches)

    async def item(self, item_id: str) -> dict[str, Any]:
        data = await self._client.get("/product/item/get", {"item_id": item_id})
        return data if isinstance(data, dict) else {}

    async def holds(self, seller_skus: Sequence[str]) -> Holds:
        """The units Lazada withholds and occupies for open orders, by SellerSku (0 for a SKU not found)."""
        reads = self._config.reads
        wanted = set(seller_skus)
        found = dict.fromkeys(wanted, 0)
        for chunk in chunks(sorted(wanted), self._config.limits.sku_lookup_max):
            async for product in self.products(filter="all", sku_seller_list=list(chunk)):
                for sku in live_skus(product):
                    name = str(sku.get("SellerSku"))
                    if name in wanted:
                        found[name] = held(sku, reads)
        return found

    async def listing_states(self) -> AsyncIterator[ListingState]:
        filters = ("all", "deleted") if self._config.reads.include_deleted else ("all",)
        for chosen in filters:
            async for product in self.products(filter=chosen):
                state = listing_state_from(product, self._config.reads, self.known)
                if state.status is ListingStatus.REJECTED:
                    _log.warning("lazada.qc_rejected", item_id=state.item_id, sku=state.sku, reason=state.reason)
                yield state

    def state_of(self, product: Mapping[str, Any]) -> ListingState:
        return listing_state_from(product, self._config.reads, self.known)

    def pull_orders(self, cursor: str | None) -> AsyncIterator[OrderBatch]:
        return self.orders.pull(cursor)
