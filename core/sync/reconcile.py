"""Reconcile: read every listing back from the marketplace and compare it with what we last pushed.

Trust, but verify. What the marketplace shows can drift from our bindings: a seller edits a price or a
stock figure by hand in the back office, an update reported as success did not take effect, an item is
deleted or banned there, or a create whose answer was lost left an item we never bound. Reconcile
records what the marketplace really holds in the binding, so the next plan sends exactly the
corrections (price and stock back to the catalog's, a deleted item created again); what a person must
handle (banned, rejected in review, a second item with our SKU) is reported and kept on the listing.
An item carrying one of our SKUs with no binding is adopted, never duplicated.

Drift kinds (each counted in :class:`ReconcileReport` and explained in its notes):

- ``price_drift`` / ``stock_drift``: the value the marketplace shows is recorded as pushed, so the next
  plan sends ours again;
- ``missing``: a bound item is gone; it is unbound, and the next push creates it again;
- ``variant_missing``: a variant we bound is gone from an item that is still there (a model deleted by
  hand in the seller centre, or an update answered as done that never took). It is unbound from the
  listing and the listing's content hash forgotten, so the next plan sends an update (the connector adds
  the variants the item lacks, as for a variant added to the catalog) and the variant's price and stock
  again. The note tells the operator to archive the variant in the catalog if it should really go;
- ``content_drift``: the name, description, category or number of images the marketplace shows differ
  from what the listing last sent (edited by hand, or an update answered as done that never took). The
  listing's content hash is forgotten, so the next plan sends the catalog's content again. Compared only
  where the connector reads the field back (:class:`~core.ports.data.ListingContent`) and only for a
  listing whose last push sent the content the catalog has now (otherwise the next push updates it anyway);
- ``flagged``: what only a person can fix (banned, rejected in review, a second item with our SKU).

Limitation: attributes, brand, weight and the images themselves (only their number) are not compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from sqlalchemy import select, update

from core.channels import AccountSummary
from core.db import Store
from core.errors import ChosyncError
from core.logs import scrub
from core.models import CHANNEL_ACCOUNT, PRODUCT, utcnow
from core.ports import Assisted, Connector, ListingState, ListingStatus, payload_hash
from core.sync.connect import build_connector
from core.sync.models import LISTING
from core.sync.plan import load_products
from core.sync.rebind import rebind_listings
from core.sync.runs import finish_run, start_run

__all__ = ["ReconcileReport", "reconcile_account", "reconcile_job"]

log = structlog.get_logger(__name__)
_NEEDS_A_PERSON = {
    ListingStatus.BANNED: "banned by the marketplace: read its notice in the seller centre, fix, then appeal",
    ListingStatus.REJECTED: "rejected in review: fix what the marketplace names, then sync again",
}


# A listing whose item is gone: nothing bound, so the next push creates it again.
_UNBOUND: dict[str, Any] = {
    "item_id": None, "models": {}, "prices": {}, "stocks": {}, "content_hash": None,
    "status": "deleted", "planned_revision": -1,
}  # fmt: skip


@dataclass
class ReconcileReport:
    checked: int = 0
    price_drift: int = 0
    stock_drift: int = 0
    missing: int = 0
    variant_missing: int = 0
    adopted: int = 0
    flagged: int = 0
    foreign: int = 0  # items whose SKU is not in our catalog
    content_drift: int = 0  # listings whose name, description, category or image count differ
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "checked": self.checked, "price_drift": self.price_drift,
            "stock_drift": self.stock_drift, "missing": self.missing, "variant_missing": self.variant_missing,
            "adopted": self.adopted, "flagged": self.flagged, "foreign": self.foreign,
            "content_drift": self.content_drift,
        }  # fmt: skip

    @property
    def drift(self) -> int:
        return (self.price_drift + self.stock_drift + self.missing + self.variant_missing + self.adopted
                + self.content_drift)  # fmt: skip


def _observed(state: ListingState, listing: Any) -> tuple[dict[str, str], dict[str, int], dict[str, int]]:
    """Models, prices and stock the marketplace shows, keyed by our variant SKU."""
    variants = list(state.variants)
    pushed = list((listing.prices or {}) if listing is not None else {})
    if listing is not None and not listing.models and len(pushed) == 1 and len(variants) == 1:
        # An item without variations is named by the product SKU alone; its one variant is ours.
        variants = [variants[0].model_copy(update={"variant_sku": pushed[0]})]
    models = {v.variant_sku: v.model_id for v in variants if v.variant_sku}
    prices = {v.variant_sku: v.price_vnd for v in variants if v.variant_sku and v.price_vnd is not None}
    stocks = {v.variant_sku: v.stock for v in variants if v.variant_sku}
    return models, prices, stocks


class _Reconciler:
    def __init__(self, store: Store, account: AccountSummary) -> None:
        self.store = store
        self.account = account
        self.report = ReconcileReport()
        with store.engine.connect() as conn:
            seller_id = conn.execute(
                select(CHANNEL_ACCOUNT.c.seller_id).where(CHANNEL_ACCOUNT.c.id == account.id)
            ).scalar_one()
            self.products = {
                r.sku: r.id
                for r in conn.execute(select(PRODUCT.c.sku, PRODUCT.c.id).where(PRODUCT.c.seller_id == seller_id))
            }
            self.listings = {
                r.product_id: r for r in conn.execute(select(LISTING).where(LISTING.c.account_id == account.id))
            }
        self.seen_items: set[str] = set()
        self.changes: dict[int, dict[str, Any]] = {}  # product id → listing values to write
        self.new_listings: list[dict[str, Any]] = []
        self.content_read: dict[int, ListingState] = {}  # product id → its bound item's state, content read

    def note(self, text: str) -> None:
        self.report.notes.append(text)

    def check(self, state: ListingState) -> None:
        self.report.checked += 1
        if state.status is ListingStatus.DELETED:
            return  # as good as gone: missing() unbinds it if it was ours
        self.seen_items.add(state.item_id)
        product_id = self.products.get(state.sku or "")
        if product_id is None:
            self.report.foreign += 1
            return
        listing = self.listings.get(product_id)
        models, prices, stocks = _observed(state, listing)
        if listing is None or listing.item_id is None:
            # Ours, but never bound (created by hand, or a create whose answer was lost): adopt it.
            adopted = {
                "item_id": state.item_id, "models": models, "prices": prices, "stocks": stocks,
                "status": state.status.value, "planned_revision": -1, "content_hash": None,
            }  # fmt: skip
            if listing is None:
                self.new_listings.append({"account_id": self.account.id, "product_id": product_id, **adopted})
            else:
                self.changes[product_id] = adopted
            self.report.adopted += 1
            self.note(f"{state.sku}: adopted item {state.item_id} already on the marketplace")
            return
        if listing.item_id != state.item_id:
            self.report.flagged += 1
            self.note(f"{state.sku}: item {state.item_id} also carries this SKU (ours is {listing.item_id}); "
                      "remove the extra item in the seller centre")  # fmt: skip
            return
        if state.content is not None and listing.content_hash is not None:
            self.content_read[product_id] = state
        values = self._drift(listing, prices, stocks)
        values.update(self._variants_gone(state, listing, models, values))
        if state.status.value != listing.status:
            values["status"] = state.status.value
            if state.status in _NEEDS_A_PERSON:
                self.report.flagged += 1
                why = _NEEDS_A_PERSON[state.status] + (f" ({scrub(state.reason)})" if state.reason else "")
                values["last_error"] = why
                self.note(f"{state.sku}: {why}")
        if values:
            values["planned_revision"] = -1  # re-plan: the next push sends the corrections
            self.changes[product_id] = values

    def _drift(self, listing: Any, prices: dict[str, int], stocks: dict[str, int]) -> dict[str, Any]:
        """Prices and stock the marketplace shows that differ from what we pushed: recorded as pushed."""
        values: dict[str, Any] = {}
        pushed_prices, pushed_stocks = dict(listing.prices or {}), dict(listing.stocks or {})
        price_drift = {s: p for s, p in prices.items() if s in pushed_prices and pushed_prices[s] != p}
        stock_drift = {s: q for s, q in stocks.items() if s in pushed_stocks and pushed_stocks[s] != q}
        if price_drift or stock_drift:
            self.report.price_drift += len(price_drift)
            self.report.stock_drift += len(stock_drift)
            values.update(prices={**pushed_prices, **price_drift}, stocks={**pushed_stocks, **stock_drift})
            for sku, price in price_drift.items():
                self.note(f"{sku}: price on the marketplace is {price}, we had pushed {pushed_prices[sku]}")
            for sku, stock in stock_drift.items():
                self.note(f"{sku}: stock on the marketplace is {stock}, we had pushed {pushed_stocks[sku]}")
        return values

    def _variants_gone(
        self, state: ListingState, listing: Any, models: dict[str, str], values: dict[str, Any]
    ) -> dict[str, Any]:
        """Variants bound to the item that it no longer has: unbound, and the content re-planned.

        Forgetting the content hash is how the plan learns of it: a listing whose hash differs from the
        mapper's is updated, and the connector's update adds the variants the live item lacks (from what
        the marketplace holds, not from the binding). Their price and stock, no longer in the binding, are
        planned again too. ``values`` (price and stock drift found already) is narrowed to the variants left.
        """
        bound: dict[str, str] = dict(listing.models or {})
        if not bound or not state.variants:
            # An item without variations is its one variant: it cannot lose it and stay. No variants read
            # at all means the connector does not read them: nothing to compare.
            return {}
        gone = sorted(sku for sku in bound if sku not in models)
        # A variant still there under a new model id (deleted and made again by hand) is bound to the new id.
        kept = {sku: models[sku] for sku in bound if sku in models}
        if not gone:
            return {"models": kept} if kept != bound else {}
        self.report.variant_missing += len(gone)
        for sku in gone:
            self.note(
                f"{sku}: variant gone from item {state.item_id} on the marketplace (deleted by hand, or an "
                "update that did not take); the next sync adds it again. If it should not be sold there, "
                "archive the variant in the catalog instead"
            )
        prices = {k: v for k, v in values.get("prices", listing.prices or {}).items() if k not in gone}
        stocks = {k: v for k, v in values.get("stocks", listing.stocks or {}).items() if k not in gone}
        return {"models": kept, "prices": prices, "stocks": stocks, "content_hash": None}

    def content(self, connector: Connector) -> None:
        """Compare the content read back with what the catalog maps to, for listings whose last push sent
        exactly that (same hash); a difference forgets the hash, so the next plan sends it again."""
        wanted = sorted(self.content_read)
        for start in range(0, len(wanted), 500):
            with self.store.engine.connect() as conn:
                products = load_products(conn, wanted[start : start + 500])
            for product_id, product in products.items():
                mapped = connector.map_product(product)
                listing, state = self.listings[product_id], self.content_read[product_id]
                if isinstance(mapped, list) or mapped.summary is None or state.content is None:
                    continue
                if payload_hash(mapped.content) != listing.content_hash:
                    continue  # the catalog changed since: the next plan updates it anyway
                differences = mapped.summary.differences(state.content)
                if not differences:
                    continue
                self.report.content_drift += 1
                for name, ours, theirs in differences:
                    self.note(f"{product.sku}: {name} on the marketplace is {_short(theirs)}, we had pushed "
                              f"{_short(ours)}; the next sync sends ours again")  # fmt: skip
                values = self.changes.setdefault(product_id, {})
                values.update(content_hash=None, planned_revision=-1)

    def missing(self) -> None:
        """Bound items the marketplace no longer has: unbind them, so the next push creates them again."""
        for product_id, listing in self.listings.items():
            if listing.item_id is not None and listing.item_id not in self.seen_items and listing.status != "delisted":
                self.report.missing += 1
                self.changes[product_id] = dict(_UNBOUND)
                self.note(f"item {listing.item_id} is gone from the marketplace; it will be created again")

    def save(self) -> None:
        now = utcnow()
        with self.store.engine.begin() as conn:
            for product_id, values in self.changes.items():
                conn.execute(
                    update(LISTING)
                    .where(LISTING.c.account_id == self.account.id, LISTING.c.product_id == product_id)
                    .values(**values, updated_at=now)
                )
            if self.new_listings:
                conn.execute(
                    LISTING.insert(),
                    [{**row, "created_at": now, "updated_at": now} for row in self.new_listings],
                )


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else f"{flat[: limit - 1]}…")


async def reconcile_account(store: Store, account: AccountSummary, connector: Connector) -> ReconcileReport:
    """Compare the marketplace with our bindings and record the drift; the next push corrects it."""
    if isinstance(connector, Assisted):
        # No API to read back: an assisted floor's read-back is its product export, given by a person.
        return ReconcileReport(notes=["no seller API to read back: use 'chosync assisted confirm --from-export'"])
    # A floor whose channel now has an API connector: its pack-confirmed listings are bound to the API's
    # items first, or their stand-in ids would read as gone and be listed a second time.
    await rebind_listings(store, account, connector)
    reconciler = _Reconciler(store, account)
    async for state in connector.listing_states():
        reconciler.check(state)
    reconciler.content(connector)
    reconciler.missing()
    reconciler.save()
    log.info("sync.reconciled", seller=account.seller, channel=account.channel, **reconciler.report.counts())
    return reconciler.report


async def reconcile_job(
    store: Store, account: AccountSummary, http: httpx.AsyncClient, *, trigger: str
) -> tuple[ReconcileReport | None, str | None]:
    """A recorded reconcile run: (report, None), or (None, the reason it could not run)."""
    run_id = start_run(store, account_id=account.id, kind="reconcile", trigger=trigger)
    try:
        report = await reconcile_account(store, account, build_connector(store, account, http))
    except ChosyncError as exc:
        reason = scrub(str(exc))
        finish_run(store, run_id, outcome="failed", counts={}, error=reason)
        return None, reason
    finish_run(store, run_id, outcome="ok", counts=report.counts())
    return report, None
