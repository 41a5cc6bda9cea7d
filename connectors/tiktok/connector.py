"""The TikTok Shop connector: the adapter between chosync's core and one TikTok shop (Partner API 202309+).

It implements :class:`~core.ports.Connector` (on :class:`~connectors.kit.connector.ApiConnector`),
:class:`~core.ports.Authorizing` and :class:`~core.ports.LearnsSettings` over its helpers: the mapper
(:mod:`connectors.tiktok.mapper`, :mod:`connectors.tiktok.payload`), the wire (:mod:`connectors.tiktok.client`
with signing, errors and tokens), images and the read side (:mod:`connectors.tiktok.reads`). This module
holds the writes.

Creating is idempotent twice over: the product's seller SKUs are looked up first (a create whose answer
was lost is found, not repeated), and the create carries an ``idempotency_key`` derived from the shop,
our product SKU and its content, so a create re-sent after all returns the first product. An answer lost
in transit is OutcomeUnknown, which the core resolves by calling create again: the look-up finds it. A full edit
deletes the SKUs it omits, so it is built from the SKU ids TikTok holds now (read first): every kept
SKU with its id, new variants without. New and edited products go to TikTok's review; a rejected one
is reported with TikTok's reasons when a price change is refused for it, and logged by listing_states.

Stock 0 follows ``listing.zero_stock``: sent as 0, or (``deactivate``) a product whose every SKU is sold
out is deactivated instead, and activated again when stock comes back. Delisting deactivates (or
deletes) products, twenty a call; one already gone (12052404) counts as done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import structlog

from connectors.kit.batches import Pending, chunks, pending_updates, send_in_batches
from connectors.kit.connector import ApiConnector, Clock
from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy, Sleep
from connectors.tiktok.auth import authorization_url
from connectors.tiktok.client import TikTokClient
from connectors.tiktok.config import TikTokConfig, load_tiktok_config
from connectors.tiktok.errors import NOT_FOUND
from connectors.tiktok.images import TikTokImages
from connectors.tiktok.mapper import map_product
from connectors.tiktok.normalize import ref_models
from connectors.tiktok.payload import TikTokProduct, create_body, edit_body, idempotency_key
from connectors.tiktok.reads import TikTokReader, audit_reasons
from connectors.tiktok.stock import StockWriter, per_product
from core.catalog.records import ProductRecord
from core.errors import AuthError, ChosyncError, NotYet, OutcomeUnknown, PermanentError, RetryableError
from core.logs import scrub
from core.ports import (
    AccountRules,
    Authorizing,
    BatchItem,
    BatchResult,
    Connector,
    LearnsSettings,
    ListingRef,
    MappedListing,
    PriceUpdate,
    Problem,
    StockUpdate,
    Tokens,
    TokenStore,
)

__all__ = ["TikTokConnector"]

_log = structlog.get_logger("chosync.connectors.tiktok")


class TikTokConnector(ApiConnector[TikTokConfig, TikTokProduct]):
    """One TikTok shop, seen through chosync's connector interface."""

    channel: ClassVar[str] = "tiktok"
    _reader: TikTokReader

    def __init__(
        self,
        config: TikTokConfig,
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
        shop = config.shop_id or config.shop_cipher or config.app_key
        self.client = self._client(
            TikTokClient, secret=app_secret or config.load_app_secret(), http=http, tokens=tokens,
            account=f"tiktok:{shop}", partner=f"tiktok:{config.app_key}", throttle=throttle, retry=retry, sleep=sleep,
        )  # fmt: skip
        self._reader = TikTokReader(self.client, now=self._now)
        fetcher = self._image_fetcher(http, "TikTok Shop")
        self._images = TikTokImages(self.client, fetcher, min_px=config.limits.image_min_px)
        self._stock = StockWriter(self.client, self._reader, self._models, self._set_status)
        self._made: dict[str, dict[str, str]] = {}  # product id → SKU ids as this run's writes left them

    @classmethod
    def load_config(cls, settings: Mapping[str, Any]) -> TikTokConfig:
        return load_tiktok_config(**settings)

    def _path(self, suffix: str) -> str:
        return f"/product/{self.config.api.product}/{suffix}"

    # --- authorisation and what it teaches -------------------------------------------------------------

    def authorization_url(self, redirect_url: str) -> str:
        # TikTok redirects to the URL registered with the app in Partner Center, not one given here.
        return authorization_url(self.config)

    async def connect(self, code: str) -> Tokens:
        tokens = await self.client.authorizer.exchange_code(code)
        await self.client.shop_cipher()
        await self.client.warehouse_id()
        return tokens

    async def refresh_ahead(self, seen_access_token: str | None) -> None:
        await self.client.authorizer.refresh_rejected(seen_access_token)

    def learned_settings(self) -> Mapping[str, Any]:
        return dict(self.client.learned)

    # --- push --------------------------------------------------------------------------------------------

    def map_product(self, product: ProductRecord) -> MappedListing[TikTokProduct] | list[Problem]:
        mapped = map_product(product, self.rules, self.config)
        # TikTok knows only seller SKUs: remember whose they are, for look-ups and listing states.
        self._reader.known.update({variant.sku: product.sku for variant in product.variants})
        return mapped

    async def create_listing(self, product: ProductRecord) -> ListingRef:
        listing = self.mapped(product)
        existing = await self._reader.find_by_skus(product.sku, list(listing.prices))
        if existing is not None:
            return existing.model_copy(update={"found": True})
        uris = await self._images.upload_all(listing.content.images)
        warehouse = await self.client.warehouse_id()
        key = idempotency_key(listing, await self.client.shop_cipher(), self.config)
        body = create_body(listing, uris, warehouse_id=warehouse, key=key, config=self.config)
        # A lost answer is OutcomeUnknown: the core calls create_listing again, which looks the SKUs up first
        # (and a create re-sent after all carries the same idempotency key).
        data = await self.client.post(self._path("products"), body, idempotent=False)
        models = ref_models(data)
        product_id = data.get("product_id")
        if product_id is None or set(models) != set(listing.prices):
            found = await self._reader.find_by_skus(product.sku, list(listing.prices))
            if found is None:
                raise OutcomeUnknown(
                    f"TikTok Shop accepted {product.sku} but did not say its ids",
                    hint="look the SKU up before creating it again",
                )
            return found
        _log.info("tiktok.product_created", product_id=str(product_id), sku=product.sku, warnings=data.get("warnings"))
        return ListingRef(item_id=str(product_id), models=models)

    async def update_listing(self, ref: ListingRef, product: ProductRecord) -> ListingRef:
        listing = self.mapped(product)
        current = await self._reader.product(ref.item_id)
        live = ref_models(current)  # what TikTok holds now: a SKU left out of the edit would be deleted
        adds = sorted(set(listing.prices) - set(live))
        uris = await self._images.upload_all(listing.content.images)
        body = edit_body(listing, uris, warehouse_id=await self.client.warehouse_id(), live=live, config=self.config)
        # An edit that adds SKUs is not repeated blindly (the first may have added them): the core reads back.
        data = await self.client.post(
            self._path(f"products/{ref.item_id}"),
            body,
            idempotent=not adds,
            method="PUT",
            name=self._path("products/{id}"),
        )
        models = ref_models(data)
        if set(models) != set(listing.prices):
            models = ref_models(await self._reader.product(ref.item_id))
        if set(models) != set(listing.prices):
            raise OutcomeUnknown(f"TikTok Shop took the edit of {product.sku} but does not show all its SKUs")
        if current.get("status") == "SELLER_DEACTIVATED":
            # An update is for a product we sell: one delisted before goes back on sale (and to review).
            await self._set_status("activate", [ref.item_id])
        removed = sorted(set(live) - set(models))
        _log.info("tiktok.product_edited", product_id=ref.item_id, sku=product.sku, added=adds, removed=removed)
        self._made[ref.item_id] = models
        return ListingRef(item_id=ref.item_id, models=models)

    def _models(self, ref: ListingRef) -> Mapping[str, str]:
        """The product's SKU ids: the binding's, unless a write of this run changed them (the price and
        stock operations of a run were planned before its updates)."""
        return self._made.get(ref.item_id, ref.models)

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> BatchResult:
        pending, results = pending_updates(
            updates,
            lambda u: self._models(u.ref).get(u.variant_sku),
            unknown=lambda u: f"{u.variant_sku} is not on TikTok product {u.ref.item_id}",
        )
        currency = self.config.listing.currency

        async def send(batch: Sequence[Pending[PriceUpdate]]) -> dict[str, str]:
            product_id = batch[0].item_id
            skus = [
                {"id": p.wire_id, "price": {"amount": str(p.update.price_vnd), "currency": currency}} for p in batch
            ]
            path = self._path(f"products/{product_id}/prices/update")
            try:
                await self.client.post(
                    path, {"skus": skus}, idempotent=True, name=self._path("products/{id}/prices/update")
                )
            except (RetryableError, NotYet) as exc:  # in review (not yet), or rejected by it (never)
                raise await self._why_refused(product_id, exc) from exc
            return {}

        results += await send_in_batches(
            per_product(pending, self.config.limits.price_batch), send, marketplace="TikTok Shop", what="price"
        )
        return BatchResult(items=tuple(results))

    async def _why_refused(self, product_id: str, error: ChosyncError) -> ChosyncError:
        """``error``, or TikTok's audit rejection when the product failed review (then no retry can help)."""
        try:
            product = await self._reader.product(product_id)
        except ChosyncError:
            return error
        if product.get("status") != "FAILED":
            return error
        return PermanentError(
            f"TikTok Shop rejected product {product_id} in review: {audit_reasons(product)}",
            field="audit",
            code="audit_failed",
            hint="fix the product in the catalog and push again",
        )

    async def update_stock(self, updates: Sequence[StockUpdate]) -> BatchResult:
        return await self._stock.update(updates)

    async def delist(self, refs: Sequence[ListingRef], *, delete: bool = False) -> BatchResult:
        results: list[BatchItem] = []
        for chunk in chunks([ref.item_id for ref in refs], self.config.limits.status_batch):
            results += await self._set_status("delete" if delete else "deactivate", list(chunk))
        return BatchResult(items=tuple(results))

    async def _set_status(self, action: str, product_ids: list[str]) -> list[BatchItem]:
        """Deactivate, activate or delete products; one outcome per product (not found = done)."""
        path, method = (
            (self._path("products"), "DELETE") if action == "delete" else (self._path(f"products/{action}"), "POST")
        )
        try:
            data = await self.client.post(path, {"product_ids": product_ids}, idempotent=True, method=method)
        except AuthError:
            raise
        except PermanentError as exc:
            gone = exc.code == NOT_FOUND and action != "activate"
            return [BatchItem(item_id=pid, error=None if gone else exc) for pid in product_ids]
        except ChosyncError as exc:
            return [BatchItem(item_id=pid, error=exc) for pid in product_ids]
        refused: dict[str, ChosyncError] = {}
        for entry in data.get("errors") or []:
            code = str(entry.get("code"))
            pid = str((entry.get("detail") or {}).get("product_id"))
            if code != NOT_FOUND or action == "activate":
                message = scrub(f"TikTok Shop refused to {action} product {pid}: {entry.get('message') or code}")
                refused[pid] = PermanentError(message, field="status", code=code)
        _log.info(f"tiktok.products_{action}d", product_ids=product_ids, refused=sorted(refused))
        return [BatchItem(item_id=pid, error=refused.get(pid)) for pid in product_ids]


if TYPE_CHECKING:
    _interface: type[Connector] = TikTokConnector
    _oauth: type[Authorizing] = TikTokConnector
    _learns: type[LearnsSettings] = TikTokConnector
