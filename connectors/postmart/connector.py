"""The Postmart connector: the adapter between chosync's core and one Postmart merchant account.

Postmart ("Nông sản Bưu điện Open API", Vietnam Post) publishes only its categories call and its response
envelope; the rest of the contract (paths, methods, auth, field names) is ASSUMED and lives in
`config/channels/postmart.toml`, line by line marked, so that the real documentation, once obtained, is
a config edit. This class implements :class:`~core.ports.Connector` (on the skeleton every API
connector shares, :class:`~connectors.kit.connector.ApiConnector`) over its helpers: the mapper
(:mod:`connectors.postmart.mapper`), the wire (:mod:`connectors.postmart.client`, with the error table of
:mod:`connectors.postmart.errors`), images (:mod:`connectors.postmart.images`) and the read side
(:mod:`connectors.postmart.reads`, which also lists categories and areas). This module holds the writes.

Creating is idempotent by construction (DESIGN rule 1): the SKU is looked up first, and a create whose
answer carries no ids is read back before anything is said. Prices and stock go per SKU, ``batch_max``
a call, the last value per SKU winning; delisting puts products off the shelf (``goods_state``) and an
update puts them back on sale. An update sends the product's whole SKU list (ASSUMED, see the toml), so it
adds, removes and renames variants; when the SKUs change it reads the product first, and a call that adds
SKUs is never repeated blindly (its answer lost, the next attempt reads what Postmart holds). One
call's failure is reported for its SKUs and the others go on; a refused account (AuthError) stops the
whole batch, since every other call would be refused too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import structlog

from connectors.kit.batches import Pending, Update, chunks, pending_updates, send_in_batches
from connectors.kit.connector import ApiConnector, Clock
from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy, Sleep
from connectors.postmart.client import PostmartClient
from connectors.postmart.config import PostmartConfig, load_postmart_config
from connectors.postmart.images import PostmartImages
from connectors.postmart.mapper import PostmartProduct, create_body, map_product, update_body, wire_id
from connectors.postmart.reads import PostmartArea, PostmartCategory, PostmartReader
from core.catalog.records import ProductRecord
from core.errors import AuthError, ChosyncError, OutcomeUnknown, PermanentError
from core.ports import (
    AccountRules,
    BatchItem,
    BatchResult,
    Connector,
    ListingRef,
    MappedListing,
    PriceUpdate,
    Problem,
    StockUpdate,
    TokenStore,
)

__all__ = ["PostmartConnector"]

_log = structlog.get_logger("chosync.connectors.postmart")


class PostmartConnector(ApiConnector[PostmartConfig, PostmartProduct]):
    """One Postmart merchant, seen through chosync's connector interface."""

    channel: ClassVar[str] = "postmart"
    _reader: PostmartReader

    def __init__(
        self,
        config: PostmartConfig,
        *,
        http: httpx.AsyncClient,
        tokens: TokenStore,
        rules: AccountRules | None = None,
        secret: str | None = None,
        throttle: Throttle | None = None,
        retry: RetryPolicy | None = None,
        now: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(config, http=http, tokens=tokens, rules=rules, now=now)
        account = config.username or "api-key"
        self.client = self._client(
            PostmartClient, secret=secret or config.load_secret(), http=http, tokens=tokens,
            account=account, partner=f"postmart:{account}", throttle=throttle, retry=retry, sleep=sleep,
        )  # fmt: skip
        self._reader = PostmartReader(self.client, now=self._now)
        # No retry in place: a download that hiccups fails the operation, which the core retries later
        # (as Postmart always did; Shopee retries in place).
        self._images = PostmartImages(self.client, self._image_fetcher(http, "Postmart", retry=False))
        # Product id → its SKU ids as this connector's updates left them in this run (see _skus_of).
        self._made: dict[str, dict[str, str]] = {}

    @classmethod
    def load_config(cls, settings: Mapping[str, Any]) -> PostmartConfig:
        return load_postmart_config(**settings)

    # --- push ------------------------------------------------------------------------------------

    def map_product(self, product: ProductRecord) -> MappedListing[PostmartProduct] | list[Problem]:
        return map_product(product, self.rules, self.config)

    async def create_listing(self, product: ProductRecord) -> ListingRef:
        listing = self.mapped(product)
        existing = await self.find_by_sku(product.sku)
        if existing is not None:
            # Made before, its answer lost: finished, not duplicated; it holds what that request carried.
            return existing.model_copy(update={"found": True})
        names = await self._images.upload_all(listing.content.images)
        result = await self.client.call("product_create", json=create_body(listing, names, self.config),
                                        idempotent=False)  # fmt: skip
        if isinstance(result, dict) and result.get(self.config.fields.product.spu_id) is not None:
            ref = self._reader.ref_of(result)
            if set(ref.models) >= set(listing.prices):
                _log.info("postmart.product_created", spu_id=ref.item_id, sku=product.sku)
                return ref
        # The answer did not say every id (ASSUMED shape): read the product back rather than guess.
        found = await self.find_by_sku(product.sku)
        if found is None:
            raise PermanentError(f"Postmart accepted {product.sku} but it cannot be found by its SKU",
                                 code="postmart_data", hint="look for it in the Postmart seller centre")  # fmt: skip
        return found

    async def update_listing(self, ref: ListingRef, product: ProductRecord) -> ListingRef:
        listing = self.mapped(product)
        wanted = {sku.serial for sku in listing.content.skus}
        current = dict(ref.models)
        if wanted != set(current):
            # The SKUs change: read what Postmart holds, so each kept SKU goes with Postmart's id and a
            # SKU that an update whose answer was lost already added is not added a second time.
            live = await self.find_by_sku(product.sku)
            if live is not None and live.item_id == ref.item_id:
                current = dict(live.models)
        adds = sorted(wanted - set(current))
        names = await self._images.upload_all(listing.content.images)
        body = update_body(ref.item_id, listing, names, self.config, current)
        # Repeating an update that adds SKUs could add them twice: such a call is not blindly retried.
        result = await self.client.call("product_update", json=body, ids={"spu_id": ref.item_id},
                                        idempotent=not adds)  # fmt: skip
        if wanted == set(current):
            return self._updated(ListingRef(item_id=ref.item_id, models=current))
        if isinstance(result, dict) and result.get(self.config.fields.product.spu_id) is not None:
            answered = self._reader.ref_of(result)
            if set(answered.models) == wanted:
                return self._updated(answered, sku=product.sku, before=current)
        # The answer did not say every SKU id (ASSUMED shape): read the product back rather than guess.
        found = await self.find_by_sku(product.sku)
        if found is None or found.item_id != ref.item_id or set(found.models) != wanted:
            raise OutcomeUnknown(f"Postmart took the new variants of {product.sku} but does not show them all")
        return self._updated(found, sku=product.sku, before=current)

    def _updated(self, ref: ListingRef, *, sku: str = "", before: Mapping[str, str] | None = None) -> ListingRef:
        # Remembered for this run's price and stock operations, whose refs were read before the update.
        self._made[ref.item_id] = dict(ref.models)
        if before is not None:
            added, removed = sorted(set(ref.models) - set(before)), sorted(set(before) - set(ref.models))
            _log.info("postmart.variants_changed", spu_id=ref.item_id, sku=sku, added=added, removed=removed)
        return ref

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> BatchResult:
        return await self._per_sku(updates, endpoint="product_price", what="price",
                                   field=self.config.fields.sku.price, value=lambda u: u.price_vnd)  # fmt: skip

    async def update_stock(self, updates: Sequence[StockUpdate]) -> BatchResult:
        return await self._per_sku(updates, endpoint="product_stock", what="stock",
                                   field=self.config.fields.sku.stock, value=lambda u: u.stock)  # fmt: skip

    async def _per_sku(
        self, updates: Sequence[Update], *, endpoint: str, what: str, field: str, value: Callable[[Update], int]
    ) -> BatchResult:
        s = self.config.fields.sku
        pending, results = pending_updates(
            updates, lambda u: self._skus_of(u.ref).get(u.variant_sku),
            unknown=lambda u: f"variant {u.variant_sku} is not on Postmart product {u.ref.item_id}",
        )  # fmt: skip

        async def send(batch: Sequence[Pending[Update]]) -> dict[str, str]:
            body = {s.list: [{s.sku_id: wire_id(p.wire_id), field: value(p.update)} for p in batch]}
            result = await self.client.call(endpoint, json=body, idempotent=True)
            return {
                str(entry.get(s.sku_id)): str(entry.get(s.reason) or "refused")
                for entry in (result.get(s.failed) or [] if isinstance(result, dict) else [])
                if isinstance(entry, dict)
            }

        batches = chunks(pending, self.config.limits.batch_max)
        results += await send_in_batches(batches, send, marketplace="Postmart", what=what)
        return BatchResult(items=tuple(results))

    def _skus_of(self, ref: ListingRef) -> Mapping[str, str]:
        """The product's SKU ids: the binding's, unless an update of this run changed its SKUs. The price
        and stock operations of a run were planned before its updates, so their refs lag a new SKU."""
        return self._made.get(ref.item_id, ref.models)

    async def delist(self, refs: Sequence[ListingRef], *, delete: bool = False) -> BatchResult:
        f = self.config.fields.product
        results: list[BatchItem] = []
        for chunk in chunks(refs, self.config.limits.batch_max):
            body: dict[str, Any] = {f.ids: [wire_id(ref.item_id) for ref in chunk]}
            if not delete:
                body[f.state] = self.config.listing.off_value
            try:
                await self.client.call("product_delete" if delete else "product_state", json=body, idempotent=True)
            except AuthError:
                raise
            except PermanentError as exc:
                # Deleting what is gone is done, not failed ("not found" is the toml's not_found_code).
                gone = delete and exc.code == f"postmart_{self.config.envelope.not_found_code}"
                results.extend(BatchItem(item_id=ref.item_id, error=None if gone else exc) for ref in chunk)
            except ChosyncError as exc:
                results.extend(BatchItem(item_id=ref.item_id, error=exc) for ref in chunk)
            else:
                results.extend(BatchItem(item_id=ref.item_id) for ref in chunk)
        return BatchResult(items=tuple(results))

    # --- read back (look-up, listing states and orders: ApiConnector) ------------------------------

    async def categories(self) -> list[PostmartCategory]:
        """Postmart's category tree, flat (the one CONFIRMED call)."""
        return await self._reader.categories()

    async def areas(self, parent_id: int = 0) -> list[PostmartArea]:
        """Provinces, or the districts / wards under one area."""
        return await self._reader.areas(parent_id)


if TYPE_CHECKING:
    _interface: type[Connector] = PostmartConnector
