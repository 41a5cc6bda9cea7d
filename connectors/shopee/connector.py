"""The Shopee connector: the adapter between chosync's core and one Shopee shop (Open Platform v2).

It implements :class:`~core.ports.Connector` (on the skeleton every API connector shares,
:class:`~connectors.kit.connector.ApiConnector`) and :class:`~core.ports.Authorizing`, on top of its
helpers: the mapper
(:mod:`connectors.shopee.mapper`, canonical product → :mod:`connectors.shopee.payload`), the wire
(:mod:`connectors.shopee.client`: signing, throttling, retries, the error boundary, tokens), the image
uploader (:mod:`connectors.shopee.images`), the read side (:mod:`connectors.shopee.reads`, with
:mod:`connectors.shopee.normalize` turning answers into our statuses, đồng and UTC) and the variations
of live items (:mod:`connectors.shopee.variations`). This module holds the writes.

Creating is idempotent by construction (DESIGN rule 1): :meth:`ShopeeConnector.create_listing` first
looks our SKU up, so a create whose answer was lost, or whose variations step failed after the item
was made, is finished instead of duplicated. The look-up runs on every create, the first too: the core
resolves an unknown create (a lost answer, a 5xx after add_item, a run killed mid-send) by calling
create_listing again, and nothing in the call tells a first attempt from such a re-send.
Updating is idempotent too: :meth:`ShopeeConnector.update_listing`
sends the content, then reads the item's models back and adds, deletes or renames only what differs
from the catalog (variants added or removed), so a retry after a lost add_model adds nothing twice;
the ref it returns binds every variant SKU to its model id. Prices and stock go by update_price /
update_stock, 50 models per call, one item per call, the last value per variant winning; a variant
the binding does not know yet (added earlier in the same run) is looked for on the item first.
Delisting goes by unlist_item, 50 items per call. A failure of one call is reported for its variants
and the others go on; a refused shop (AuthError) stops the whole batch, since every other call would
be refused too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import structlog

from connectors.kit.batches import Pending, Update, chunks, pending_updates, send_in_batches
from connectors.kit.connector import ApiConnector, Clock
from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy, Sleep
from connectors.shopee.auth import ShopeeAuthorizer, ShopeePush, authorization_url, verify_push
from connectors.shopee.client import ShopeeClient
from connectors.shopee.config import ShopeeConfig, load_shopee_config
from connectors.shopee.images import ImageSource
from connectors.shopee.mapper import map_item
from connectors.shopee.payload import ShopeeItem, add_item_body, update_item_body
from connectors.shopee.reads import ShopeeReader
from connectors.shopee.variations import ShopeeVariations, read_variations
from core.catalog.records import ProductRecord
from core.errors import AuthError, ChosyncError, OutcomeUnknown, PermanentError
from core.logs import scrub
from core.ports import (
    AccountRules,
    Authorizing,
    BatchItem,
    BatchResult,
    Connector,
    ListingRef,
    MappedListing,
    PriceUpdate,
    Problem,
    StockUpdate,
    Tokens,
    TokenStore,
)

__all__ = ["ShopeeConnector"]

_log = structlog.get_logger("chosync.connectors.shopee")


class ShopeeConnector(ApiConnector[ShopeeConfig, ShopeeItem]):
    """One Shopee shop, seen through chosync's connector interface."""

    channel: ClassVar[str] = "shopee"
    _reader: ShopeeReader

    def __init__(
        self,
        config: ShopeeConfig,
        *,
        http: httpx.AsyncClient,
        tokens: TokenStore,
        rules: AccountRules | None = None,
        partner_key: str | None = None,
        throttle: Throttle | None = None,
        retry: RetryPolicy | None = None,
        now: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(config, http=http, tokens=tokens, rules=rules, now=now)
        self._partner_key = partner_key or config.load_partner_key()
        self._sleep = sleep
        self.client = self._client(
            ShopeeClient, secret=self._partner_key, http=http, tokens=tokens,
            account=str(config.shop_id), partner=str(config.partner_id), throttle=throttle, retry=retry, sleep=sleep,
        )  # fmt: skip
        self._reader = ShopeeReader(self.client, now=self._now)
        self._variations = ShopeeVariations(self.client, location_id=config.listing.stock_location_id)
        self._images = ImageSource(self.client, self._image_fetcher(http, "Shopee"))

    @classmethod
    def load_config(cls, settings: Mapping[str, Any]) -> ShopeeConfig:
        return load_shopee_config(**settings)

    # --- authorisation ---------------------------------------------------------------------------

    @property
    def authorizer(self) -> ShopeeAuthorizer:
        return self.client.authorizer

    async def connect(self, code: str) -> Tokens:
        return await self.authorizer.exchange_code(code)

    async def refresh_ahead(self, seen_access_token: str | None) -> None:
        # The authorizer's refresh is the one a refused call uses: same lock, same "already replaced?" check.
        await self.authorizer.refresh_rejected(seen_access_token)

    def authorization_url(self, redirect_url: str) -> str:
        return authorization_url(
            base_url=self.config.base_url,
            partner_id=self.config.partner_id,
            partner_key=self._partner_key,
            redirect_url=redirect_url,
            now=self._now(),
        )

    def verify_push(self, callback_url: str, raw_body: bytes, authorization_header: str | None) -> ShopeePush:
        """A webhook from Shopee, checked with this account's partner key and push age settings."""
        return verify_push(
            self._partner_key,
            callback_url,
            raw_body,
            authorization_header,
            self._now(),
            max_age=timedelta(seconds=self.config.auth.push_max_age_s),
            future_skew=timedelta(seconds=self.config.auth.push_future_skew_s),
        )

    # --- push ------------------------------------------------------------------------------------

    def map_product(self, product: ProductRecord) -> MappedListing[ShopeeItem] | list[Problem]:
        return map_item(product, self.rules, self.config)

    async def create_listing(self, product: ProductRecord) -> ListingRef:
        listing = self.mapped(product)
        existing = await self.find_by_sku(product.sku)
        if existing is not None:
            if listing.content.models and not existing.models:
                # The item was made but its variations were not (lost answer, or a failure between).
                # It may have been made a moment ago: keep Shopee's pause before adding variations.
                await self._sleep(self.config.listing.tier_variation_delay_s)
                existing = await self._variations.init(int(existing.item_id), listing)
            # Its name, description and the rest are whatever the earlier request carried: say so.
            return existing.model_copy(update={"found": True})
        image_ids = await self._images.upload_all(listing.content.images)
        location = self.config.listing.stock_location_id
        answer = await self.client.post(
            "product/add_item", add_item_body(listing, image_ids, location_id=location), idempotent=False
        )
        item_id = answer.get("item_id")
        if not isinstance(item_id, int):
            raise OutcomeUnknown(
                f"Shopee accepted the item {product.sku} but did not say its id",
                hint="look the SKU up before creating it again",
            )
        _log.info("shopee.item_created", item_id=item_id, sku=product.sku, shop_id=self.config.shop_id)
        if not listing.content.models:
            return ListingRef(item_id=str(item_id))
        await self._sleep(self.config.listing.tier_variation_delay_s)  # Shopee: variations ~5 s after the item
        return await self._variations.init(item_id, listing)

    async def update_listing(self, ref: ListingRef, product: ProductRecord) -> ListingRef:
        listing = self.mapped(product)
        image_ids = await self._images.upload_all(listing.content.images)
        await self.client.post(
            "product/update_item", update_item_body(int(ref.item_id), listing, image_ids), idempotent=True
        )
        if not listing.content.models and not ref.models:
            return ref  # an item without variations, and it stays one
        return await self._variations.update(int(ref.item_id), listing)

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> BatchResult:
        return await self._per_model(
            updates,
            call="product/update_price",
            list_key="price_list",
            what="price",
            entry=lambda model_id, update: {"model_id": model_id, "original_price": update.price_vnd},
        )

    async def update_stock(self, updates: Sequence[StockUpdate]) -> BatchResult:
        location = self.config.listing.stock_location_id

        def entry(model_id: int, update: StockUpdate) -> dict[str, Any]:
            stock: dict[str, Any] = {"stock": update.stock}
            if location is not None:
                stock["location_id"] = location
            return {"model_id": model_id, "seller_stock": [stock]}

        return await self._per_model(
            updates, call="product/update_stock", list_key="stock_list", what="stock", entry=entry
        )

    async def _per_model(
        self,
        updates: Sequence[Update],
        *,
        call: str,
        list_key: str,
        what: str,
        entry: Callable[[int, Update], dict[str, Any]],
    ) -> BatchResult:
        fresh, results = await self._read_back_models(updates)
        unreadable = {(item.item_id, item.variant_sku) for item in results}
        updates = [u for u in updates if (u.ref.item_id, u.variant_sku) not in unreadable]

        def model_id(update: Update) -> str | None:
            models = {**self._known_models(update.ref), **fresh.get(update.ref.item_id, {})}
            if not models:
                return "0"  # an item without variations: its one variant is the item, model id 0
            return models.get(update.variant_sku)

        pending, unknown = pending_updates(
            updates, model_id, unknown=lambda u: f"variant {u.variant_sku} is not on Shopee item {u.ref.item_id}"
        )
        results += unknown
        by_item: dict[str, list[Pending[Update]]] = {}
        for one in pending:
            by_item.setdefault(one.item_id, []).append(one)  # Shopee takes one item a call

        async def send(batch: Sequence[Pending[Update]]) -> dict[str, str]:
            body = {"item_id": int(batch[0].item_id), list_key: [entry(int(p.wire_id), p.update) for p in batch]}
            answer = await self.client.post(call, body, idempotent=True)
            return {
                str(failure.get("model_id")): str(failure.get("failed_reason") or "refused")
                for failure in answer.get("failure_list") or []
            }

        batches = [batch for group in by_item.values() for batch in chunks(group, self.config.limits.batch_max)]
        results += await send_in_batches(batches, send, marketplace="Shopee", what=what)
        return BatchResult(items=tuple(results))

    def _known_models(self, ref: ListingRef) -> dict[str, str]:
        """The item's model map: the binding's, as this connector changed it in this run.

        The price and stock operations of a run were read before its updates, which may have given
        the item variations or added a variant: their refs lag what the connector just made.
        """
        return {**ref.models, **self._variations.made(ref.item_id)}

    async def _read_back_models(self, updates: Sequence[Update]) -> tuple[dict[str, dict[str, str]], list[BatchItem]]:
        """Shopee's model ids (item id → SKU → model id) of the items whose known models lack a variant
        being updated (an add_model whose answer was lost made it); a failed outcome for those variants
        where the read fails."""
        lacking = [u for u in updates if (known := self._known_models(u.ref)) and u.variant_sku not in known]
        fresh: dict[str, dict[str, str]] = {}
        failed: list[BatchItem] = []
        for item_id in sorted({u.ref.item_id for u in lacking}):
            try:
                fresh[item_id] = (await read_variations(self.client, int(item_id))).model_ids()
            except AuthError:
                raise
            except ChosyncError as exc:
                failed += [BatchItem(item_id=item_id, variant_sku=u.variant_sku, error=exc)
                           for u in lacking if u.ref.item_id == item_id]  # fmt: skip
        return fresh, failed

    async def delist(self, refs: Sequence[ListingRef], *, delete: bool = False) -> BatchResult:
        results: list[BatchItem] = []
        if delete:
            for ref in refs:
                try:
                    await self.client.post("product/delete_item", {"item_id": int(ref.item_id)}, idempotent=True)
                    results.append(BatchItem(item_id=ref.item_id))
                except AuthError:
                    raise
                except PermanentError as exc:
                    # Deleting twice is done, not failed.
                    gone = (exc.code or "").endswith("error_item_not_found")
                    results.append(BatchItem(item_id=ref.item_id, error=None if gone else exc))
                except ChosyncError as exc:
                    results.append(BatchItem(item_id=ref.item_id, error=exc))
            return BatchResult(items=tuple(results))
        for chunk in chunks(list(refs), self.config.limits.batch_max):
            body = {"item_list": [{"item_id": int(ref.item_id), "unlist": True} for ref in chunk]}
            try:
                answer = await self.client.post("product/unlist_item", body, idempotent=True)
            except AuthError:
                raise
            except ChosyncError as exc:
                results.extend(BatchItem(item_id=ref.item_id, error=exc) for ref in chunk)
                continue
            failures = {
                str(failure.get("item_id")): str(failure.get("failed_reason") or "refused")
                for failure in answer.get("failure_list") or []
            }
            for ref in chunk:
                reason = failures.get(ref.item_id)
                error = None if reason is None else PermanentError(scrub(f"Shopee refused to delist: {reason}"))
                results.append(BatchItem(item_id=ref.item_id, error=error))
        return BatchResult(items=tuple(results))


if TYPE_CHECKING:
    # mypy proves here that the class keeps the interfaces (registration checks only names).
    _interface: type[Connector] = ShopeeConnector
    _authorizing: type[Authorizing] = ShopeeConnector
