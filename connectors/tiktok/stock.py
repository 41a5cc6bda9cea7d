"""Stock on TikTok Shop: per-SKU quantities in the shop's warehouse, and the sold-out policy.

Quantities go by ``inventory/update``, one product a call (TikTok's path names it), ``inventory_batch``
SKUs a call; TikTok answers refused SKUs one by one (``errors[].detail.sku_id``), and each is reported
for its variant alone. Whether TikTok takes a quantity of 0 is UNCERTAIN (documented range 1–99,999),
so the toml's ``listing.zero_stock`` chooses: ``send_zero`` sends it; ``deactivate`` reads the product's
other SKUs (inventory/search) and, when every one would be at 0, deactivates the product instead of
sending the zeros, then activates it again (TikTok reviews it again) when a later update brings stock
back to a product TikTok holds deactivated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

import structlog

from connectors.kit.batches import Pending, Update, chunks, pending_updates, send_in_batches
from connectors.tiktok.client import TikTokClient
from connectors.tiktok.reads import TikTokReader
from core.errors import AuthError, ChosyncError
from core.ports import BatchItem, BatchResult, ListingRef, StockUpdate

__all__ = ["SetStatus", "StockWriter", "per_product"]

SetStatus = Callable[[str, list[str]], Awaitable[list[BatchItem]]]
_log = structlog.get_logger("chosync.connectors.tiktok")


def per_product(pending: Sequence[Pending[Update]], size: int) -> list[Sequence[Pending[Update]]]:
    """``pending`` cut into batches of one product each, at most ``size`` long."""
    by_product: dict[str, list[Pending[Update]]] = {}
    for one in pending:
        by_product.setdefault(one.item_id, []).append(one)
    return [batch for group in by_product.values() for batch in chunks(group, size)]


def _outcomes(pending: Sequence[Pending[StockUpdate]], errors: Mapping[str, ChosyncError | None]) -> list[BatchItem]:
    return [BatchItem(item_id=p.item_id, variant_sku=p.variant_sku, error=errors.get(p.item_id)) for p in pending]


class StockWriter:
    def __init__(
        self,
        client: TikTokClient,
        reader: TikTokReader,
        models: Callable[[ListingRef], Mapping[str, str]],
        set_status: SetStatus,
    ) -> None:
        self._client = client
        self._reader = reader
        self._models = models
        self._set_status = set_status
        self._limits = client.config.limits

    async def update(self, updates: Sequence[StockUpdate]) -> BatchResult:
        pending, results = pending_updates(
            updates,
            lambda u: self._models(u.ref).get(u.variant_sku),
            unknown=lambda u: f"{u.variant_sku} is not on TikTok product {u.ref.item_id}",
        )
        reactivate: set[str] = set()
        if self._client.config.listing.zero_stock == "deactivate":
            pending, settled = await self._deactivate_sold_out(pending)
            results += settled
            back = {p.item_id for p in pending if p.update.stock > 0}
            if back:
                reactivate = back & await self._reader.status_of("SELLER_DEACTIVATED")
        sent = await send_in_batches(
            per_product(pending, self._limits.inventory_batch), self._send, marketplace="TikTok Shop", what="stock"
        )
        if reactivate:
            sent = await self._reactivate(sent, sorted(reactivate))
        return BatchResult(items=tuple(results + sent))

    async def _send(self, batch: Sequence[Pending[StockUpdate]]) -> dict[str, str]:
        warehouse = await self._client.warehouse_id()
        top = self._limits.quantity_max
        skus = [
            {"id": p.wire_id, "inventory": [{"warehouse_id": warehouse, "quantity": min(p.update.stock, top)}]}
            for p in batch
        ]
        version = self._client.config.api.product
        data = await self._client.post(
            f"/product/{version}/products/{batch[0].item_id}/inventory/update",
            {"skus": skus},
            idempotent=True,
            name=f"/product/{version}/products/{{id}}/inventory/update",
        )
        refused = {}
        for entry in data.get("errors") or []:
            sku_id = str((entry.get("detail") or {}).get("sku_id"))
            refused[sku_id] = str(entry.get("message") or entry.get("code") or "refused")
        return refused

    async def _deactivate_sold_out(
        self, pending: list[Pending[StockUpdate]]
    ) -> tuple[list[Pending[StockUpdate]], list[BatchItem]]:
        """The updates still to send, and the outcomes of those settled by deactivating their product."""
        zero = sorted({p.item_id for p in pending if p.update.stock == 0})
        if not zero:
            return pending, []
        try:
            held = await self._reader.inventory(zero)
        except AuthError:
            raise
        except ChosyncError as exc:
            failed = [p for p in pending if p.item_id in zero]
            return [p for p in pending if p.item_id not in zero], _outcomes(failed, dict.fromkeys(zero, exc))
        sold_out = []
        for product_id in zero:
            after = dict(held.get(product_id, {}))
            after.update({p.wire_id: p.update.stock for p in pending if p.item_id == product_id})
            if not any(after.values()):
                sold_out.append(product_id)
        if not sold_out:
            return pending, []
        outcomes = {item.item_id: item.error for item in await self._set_status("deactivate", sold_out)}
        _log.info("tiktok.sold_out_deactivated", product_ids=sold_out)
        settled = [p for p in pending if p.item_id in outcomes]
        return [p for p in pending if p.item_id not in outcomes], _outcomes(settled, outcomes)

    async def _reactivate(self, sent: list[BatchItem], product_ids: list[str]) -> list[BatchItem]:
        """Activate the products whose stock came back (their quantities taken); a refusal fails their updates."""
        ready = [pid for pid in product_ids if all(i.ok for i in sent if i.item_id == pid)]
        if not ready:
            return sent
        errors = {item.item_id: item.error for item in await self._set_status("activate", ready)}
        _log.info("tiktok.restocked_activated", product_ids=ready)
        return [
            item
            if item.error is not None or errors.get(item.item_id) is None
            else item.model_copy(update={"error": errors[item.item_id]})
            for item in sent
        ]
