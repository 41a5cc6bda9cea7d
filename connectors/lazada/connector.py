"""The Lazada connector: the adapter between chosync's core and one Lazada seller (Lazada Open Platform).

It implements :class:`~core.ports.Connector` (on :class:`~connectors.kit.connector.ApiConnector`),
:class:`~core.ports.Authorizing` and :class:`~core.ports.LearnsSettings` over its helpers: the mapper
(:mod:`connectors.lazada.mapper`, :mod:`connectors.lazada.payload`), the wire
(:mod:`connectors.lazada.client` with signing, errors and tokens), images, prices and stock
(:mod:`connectors.lazada.values`) and the read side (:mod:`connectors.lazada.reads`,
:mod:`connectors.lazada.orders`). This module holds the product writes.

A create looks every SellerSku up first (``sku_seller_list``, exact): an item found is bound
(``ListingRef.found``), never made twice. A create whose answer was lost is OutcomeUnknown, which the core
resolves by calling create again, and the look-up finds it; and should a create still go out for a SKU
Lazada holds, its "SellerSku is duplicate" (4126) is the same news: the item is looked up and bound.

An update reads the item first and names every SKU Lazada holds by its SkuId (new variants go without
one, and are added); it marks our SKUs active, so an item delisted earlier goes back on sale. Variants we
no longer sell are then removed (``/product/remove``), ours only. A SellerSku cannot change: a renamed
variant is a removal and a new SKU (the mapper warns). Delisting deactivates the item and its SKUs by id;
deleting removes all its SKUs, which deletes it; what is already gone counts as done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import structlog

from connectors.kit.batches import chunks
from connectors.kit.connector import ApiConnector, Clock
from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy, Sleep
from connectors.lazada.auth import authorization_url
from connectors.lazada.client import LazadaClient
from connectors.lazada.config import LazadaConfig, load_lazada_config
from connectors.lazada.errors import LazadaRefusal
from connectors.lazada.images import LazadaImages
from connectors.lazada.mapper import map_product
from connectors.lazada.normalize import live_skus, ref_models
from connectors.lazada.payload import LazadaProduct, create_payload, deactivate_body, removal_ids, update_payload
from connectors.lazada.reads import LazadaReader
from connectors.lazada.values import ValueWriter
from core.catalog.records import ProductRecord
from core.errors import AuthError, ChosyncError, OutcomeUnknown, PermanentError
from core.ports import (
    AccountRules,
    Authorizing,
    BatchItem,
    BatchResult,
    Connector,
    LearnsSettings,
    ListingRef,
    ListingStatus,
    MappedListing,
    PriceUpdate,
    Problem,
    StockUpdate,
    Tokens,
    TokenStore,
)

__all__ = ["LazadaConnector"]

_log = structlog.get_logger("chosync.connectors.lazada")


def _sku_ids(data: Any) -> dict[str, str]:
    """SellerSku → SkuId from a create or update answer's ``sku_list``."""
    entries = data.get("sku_list") if isinstance(data, dict) else None
    return {
        str(e["seller_sku"]): str(e["sku_id"])
        for e in entries or []
        if isinstance(e, dict) and e.get("seller_sku") and e.get("sku_id") is not None
    }


class LazadaConnector(ApiConnector[LazadaConfig, LazadaProduct]):
    """One Lazada seller, seen through chosync's connector interface."""

    channel: ClassVar[str] = "lazada"
    _reader: LazadaReader

    @property
    def value_batch(self) -> int:
        """One price_quantity/update call carries SKUs of several products: the engine packs them (core.ports)."""
        return self.config.limits.price_quantity_batch

    def __init__(
        self,
        config: LazadaConfig,
        *,
        http: httpx.AsyncClient,
        tokens: TokenStore,
        rules: AccountRules | None = None,
        app_secret: str | None = None,
        throttle: Throttle | None = None,
        retry: RetryPolicy | None = None,
        now: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(config, http=http, tokens=tokens, rules=rules, now=now)
        seller = config.seller_id or config.app_key
        self.client = self._client(
            LazadaClient, secret=app_secret or config.load_app_secret(), http=http, tokens=tokens,
            account=f"lazada:{seller}", partner=f"lazada:{config.app_key}", throttle=throttle, retry=retry, sleep=sleep,
        )  # fmt: skip
        self._reader = LazadaReader(self.client, now=self._now)
        fetcher = self._image_fetcher(http, "Lazada")
        self._images = LazadaImages(
            self.client, fetcher, min_px=config.limits.image_min_px, max_px=config.limits.image_max_px
        )
        self._values = ValueWriter(self.client, self._reader, self._models)
        self._made: dict[str, dict[str, str]] = {}  # item id → SkuIds as this run's writes left them

    @classmethod
    def load_config(cls, settings: Mapping[str, Any]) -> LazadaConfig:
        return load_lazada_config(**settings)

    # --- authorisation and what it teaches -------------------------------------------------------------

    def authorization_url(self, redirect_url: str) -> str:
        return authorization_url(self.config, redirect_url)

    async def connect(self, code: str) -> Tokens:
        return await self.client.authorizer.exchange_code(code)

    async def refresh_ahead(self, seen_access_token: str | None) -> None:
        await self.client.authorizer.refresh_rejected(seen_access_token)

    def learned_settings(self) -> Mapping[str, Any]:
        return dict(self.client.authorizer.learned)

    # --- push --------------------------------------------------------------------------------------------

    def map_product(self, product: ProductRecord) -> MappedListing[LazadaProduct] | list[Problem]:
        mapped = map_product(product, self.rules, self.config)
        # Lazada knows only SellerSkus: remember whose they are, for look-ups and listing states.
        self._reader.known.update({variant.sku: product.sku for variant in product.variants})
        return mapped

    async def create_listing(self, product: ProductRecord) -> ListingRef:
        listing = self.mapped(product)
        skus = list(listing.prices)
        existing = await self._reader.find_by_skus(product.sku, skus)
        if existing is not None:
            return existing.model_copy(update={"found": True})
        urls = await self._images.urls(listing.content.images)
        # A lost answer is OutcomeUnknown (not idempotent): the core calls create again, which looks up first.
        try:
            data = await self.client.post(
                "/product/create", {"payload": create_payload(listing, urls)}, idempotent=False
            )
        except LazadaRefusal as exc:
            if exc.code not in self.config.listing.duplicate_sku_codes:
                raise
            return await self._bind_duplicate(product.sku, skus, exc)
        models, item_id = _sku_ids(data), data.get("item_id") if isinstance(data, dict) else None
        if item_id is None or set(models) != set(skus):
            found = await self._reader.find_by_skus(product.sku, skus)
            if found is None:
                raise OutcomeUnknown(f"Lazada took {product.sku} but did not say its ids",
                                     hint="look the SKU up before creating it again")  # fmt: skip
            return found
        _log.info("lazada.product_created", item_id=str(item_id), sku=product.sku, status=data.get("item_status"))
        return ListingRef(item_id=str(item_id), models={s: models[s] for s in skus})

    async def _bind_duplicate(self, product_sku: str, skus: list[str], refusal: LazadaRefusal) -> ListingRef:
        """Lazada says a SellerSku of ours is taken: the item that carries it is ours (a create that landed)."""
        found = await self._reader.find_by_skus(product_sku, skus)
        if found is None:
            raise PermanentError(
                f"Lazada says a SellerSku of {product_sku} is already used ({refusal.message}), but no item of the "
                "shop carries it",
                field="sku",
                code=refusal.code,
                hint="a deleted item may still hold it on Lazada: give the variant another SKU",
            ) from refusal
        _log.info("lazada.duplicate_sku_bound", sku=product_sku, item_id=found.item_id, code=refusal.code)
        return found.model_copy(update={"found": True})

    async def update_listing(self, ref: ListingRef, product: ProductRecord) -> ListingRef:
        listing = self.mapped(product)
        live = ref_models(await self._reader.item(ref.item_id))  # what Lazada holds: every SKU by its SkuId
        ours = set(ref.models) | {variant.sku for variant in product.variants}
        adds = sorted(set(listing.prices) - set(live))
        drops = sorted(sku for sku in live if sku in ours and sku not in listing.prices)
        urls = await self._images.urls(listing.content.images)
        payload = update_payload(
            listing, urls, item_id=ref.item_id, live=live, status=self.config.listing.update_sku_status
        )
        # An update that adds SKUs is not repeated blindly (the first may have added them): the core reads back.
        data = await self.client.post("/product/update", {"payload": payload}, idempotent=not adds)
        if drops:
            await self._remove(ref.item_id, [live[sku] for sku in drops])
        models = {sku: sku_id for sku, sku_id in _sku_ids(data).items() if sku in listing.prices}
        if set(models) != set(listing.prices):
            models = {s: i for s, i in ref_models(await self._reader.item(ref.item_id)).items() if s in listing.prices}
        if set(models) != set(listing.prices):
            raise OutcomeUnknown(f"Lazada took the update of {product.sku} but does not show all its SKUs")
        _log.info("lazada.product_updated", item_id=ref.item_id, sku=product.sku, added=adds, removed=drops)
        self._made[ref.item_id] = models
        return ListingRef(item_id=ref.item_id, models=models)

    async def _remove(self, item_id: str, sku_ids: Sequence[str]) -> None:
        """Delete SKUs of an item (the item goes with its last one); SKUs already gone count as removed."""
        for chunk in chunks(removal_ids(item_id, sku_ids), self.config.limits.remove_batch):
            try:
                await self.client.post("/product/remove", {"sku_id_list": list(chunk)}, idempotent=True)
            except LazadaRefusal as exc:
                if exc.code not in self.config.listing.gone_codes:
                    raise
                _log.info("lazada.skus_already_gone", item_id=item_id, sku_ids=list(chunk))

    def _models(self, ref: ListingRef) -> Mapping[str, str]:
        """The item's SkuIds: the binding's, unless a write of this run changed them (the price and stock
        operations of a run were planned before its updates)."""
        return self._made.get(ref.item_id, ref.models)

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> BatchResult:
        return await self._values.prices(updates)

    async def update_stock(self, updates: Sequence[StockUpdate]) -> BatchResult:
        return await self._values.stock(updates)

    async def delist(self, refs: Sequence[ListingRef], *, delete: bool = False) -> BatchResult:
        results = []
        for ref in refs:
            try:
                await (self._delete(ref) if delete else self._deactivate(ref))
            except AuthError:
                raise  # the whole account is refused: every other call would be too
            except ChosyncError as exc:
                results.append(BatchItem(item_id=ref.item_id, error=exc))
                continue
            results.append(BatchItem(item_id=ref.item_id))
        _log.info("lazada.items_deleted" if delete else "lazada.items_deactivated", item_ids=[r.item_id for r in refs],
                  refused=[i.item_id for i in results if not i.ok])  # fmt: skip
        return BatchResult(items=tuple(results))

    async def _deactivate(self, ref: ListingRef) -> None:
        sku_ids = sorted(set(self._models(ref).values()))
        for named in (sku_ids, []) if sku_ids else ([],):
            try:
                body = deactivate_body(ref.item_id, named)
                await self.client.post("/product/deactivate", {"apiRequestBody": body}, idempotent=True)
            except LazadaRefusal as exc:
                if exc.code not in self.config.listing.gone_codes:
                    raise
                continue  # a SkuId the binding knows is gone: the whole item, then; the item itself gone: done
            return

    async def _delete(self, ref: ListingRef) -> None:
        try:
            held = await self._reader.item(ref.item_id)
        except LazadaRefusal as exc:
            if exc.code in self.config.listing.gone_codes:
                return
            raise
        if self.config.reads.status_of(str(held.get("status", ""))) is ListingStatus.DELETED:
            return
        sku_ids = [str(sku["SkuId"]) for sku in live_skus(held) if sku.get("SkuId") is not None]
        if sku_ids:
            await self._remove(ref.item_id, sku_ids)


if TYPE_CHECKING:
    _interface: type[Connector] = LazadaConnector
    _oauth: type[Authorizing] = LazadaConnector
    _learns: type[LearnsSettings] = LazadaConnector
