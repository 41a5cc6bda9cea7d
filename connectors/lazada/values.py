"""Prices and stock on Lazada: ``price_quantity/update``, batched across products, never under the held stock.

One call carries up to ``limits.price_quantity_batch`` SKUs (20 by default, Lazada's advice; at most 50), of any
products, each named by its ItemId, SkuId and SellerSku. Lazada takes a call whole or refuses it whole;
the connector makes the most of that:

- "too many SKUs" (``ServiceTimeout``, ``513``: ``listing.split_codes``) halves the batch and sends each
  half, down to one SKU, which is then retried as any timeout;
- a refusal naming SKUs (its ``detail``, or its message) fails those SKUs alone, with Lazada's message,
  and sends the others again;
- stock is sent as a total that Lazada splits into sellable, withheld (unpaid orders) and occupied (paid,
  not yet shipped) units; it refuses a total under withheld + occupied. Our figure is what buyers may
  still order (on hand less what open orders, Lazada's among them, reserve), so the total sent is our
  figure plus what Lazada holds for its own open orders, read back first (one ``products/get`` per
  ``limits.sku_lookup_max`` SKUs): Lazada then shows exactly our figure as sellable, where sending our
  figure as the total would subtract Lazada's open orders twice (logged as ``lazada.stock_with_holds``:
  SKU, sellable, held, sent). An order that arrives between the read and the write
  (``QuantityBelowOccupied``) makes the holds be read once more before the batch goes again.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any

import structlog

from connectors.kit.batches import Pending, Update, chunks, pending_updates, send_in_batches
from connectors.lazada.client import LazadaClient
from connectors.lazada.errors import LazadaRefusal
from connectors.lazada.payload import price_quantity_payload
from connectors.lazada.reads import Holds, LazadaReader
from core.logs import scrub
from core.ports import BatchItem, BatchResult, ListingRef, PriceUpdate, StockUpdate

__all__ = ["ValueWriter"]

PATH = "/product/price_quantity/update"
_log = structlog.get_logger("chosync.connectors.lazada")
Entry = Callable[[Pending[Any]], dict[str, Any]]


def _base(pending: Pending[Any]) -> dict[str, Any]:
    return {"ItemId": pending.item_id, "SkuId": pending.wire_id, "SellerSku": pending.variant_sku}


def _named(batch: Sequence[Pending[Any]], refusal: LazadaRefusal) -> set[str]:
    """The SkuIds of ``batch`` a refusal names: by SellerSku in its detail, or by SellerSku or SkuId in its text."""
    words = set(re.findall(r"[\w.\-/]+", refusal.message))
    return {p.wire_id for p in batch if p.variant_sku in refusal.skus or p.variant_sku in words or p.wire_id in words}


class ValueWriter:
    def __init__(
        self, client: LazadaClient, reader: LazadaReader, models: Callable[[ListingRef], Mapping[str, str]]
    ) -> None:
        self._client = client
        self._reader = reader
        self._models = models
        self._listing = client.config.listing
        self._size = client.config.limits.price_quantity_batch

    def _pending(self, updates: Sequence[Update]) -> tuple[list[Pending[Update]], list[BatchItem]]:
        return pending_updates(
            updates,
            lambda u: self._models(u.ref).get(u.variant_sku),
            unknown=lambda u: f"{u.variant_sku} is not on Lazada item {u.ref.item_id}",
        )

    async def _run(
        self,
        updates: Sequence[Update],
        send: Callable[[Sequence[Pending[Update]]], Awaitable[Mapping[str, str]]],
        what: str,
    ) -> BatchResult:
        pending, results = self._pending(updates)
        results += await send_in_batches(chunks(pending, self._size), send, marketplace="Lazada", what=what)
        return BatchResult(items=tuple(results))

    async def prices(self, updates: Sequence[PriceUpdate]) -> BatchResult:
        async def send(batch: Sequence[Pending[PriceUpdate]]) -> dict[str, str]:
            return await self._apply(batch, lambda p: {**_base(p), "Price": str(p.update.price_vnd)})

        return await self._run(updates, send, "price")

    async def stock(self, updates: Sequence[StockUpdate]) -> BatchResult:
        async def send(batch: Sequence[Pending[StockUpdate]]) -> dict[str, str]:
            skus = [p.variant_sku for p in batch]
            entry = self._quantities(await self._reader.holds(skus))
            try:
                return await self._apply(batch, entry, keep=self._listing.below_occupied_codes)
            except LazadaRefusal as exc:
                if exc.code not in self._listing.below_occupied_codes:
                    raise
                _log.info("lazada.stock_holds_moved", skus=skus, error=exc.code)
                return await self._apply(batch, self._quantities(await self._reader.holds(skus)))

        return await self._run(updates, send, "stock")

    def _quantities(self, holds: Holds) -> Entry:
        def entry(pending: Pending[Any]) -> dict[str, Any]:
            sellable: int = pending.update.stock
            held = holds.get(pending.variant_sku, 0)
            if held:
                _log.info("lazada.stock_with_holds", sku=pending.variant_sku, item_id=pending.item_id,
                          sellable=sellable, held=held, sent=sellable + held)  # fmt: skip
            return {**_base(pending), "Quantity": sellable + held}

        return entry

    async def _apply(
        self, batch: Sequence[Pending[Any]], entry: Entry, *, keep: Collection[str] = ()
    ) -> dict[str, str]:
        """Send ``batch``; the SkuIds Lazada refused alone, with its reason. ``keep``: codes raised as they are."""
        payload = price_quantity_payload(entry(p) for p in batch)
        try:
            await self._client.post(PATH, {"payload": payload}, idempotent=True, splittable=len(batch) > 1)
        except LazadaRefusal as exc:
            if exc.code in self._listing.split_codes and len(batch) > 1:
                half = len(batch) // 2
                _log.info("lazada.batch_halved", skus=len(batch), error=exc.code)
                first, second = batch[:half], batch[half:]
                return {**await self._apply(first, entry, keep=keep), **await self._apply(second, entry, keep=keep)}
            named = _named(batch, exc)
            if exc.code in keep or not named or len(named) == len(batch):
                raise
            refused = dict.fromkeys(named, scrub(exc.message))
            return {**refused, **await self._apply([p for p in batch if p.wire_id not in named], entry, keep=keep)}
        return {}
