"""Blocked listings: products an account cannot show as the catalog has them until a person acts.

A listing is blocked while

- the catalog, as last planned, cannot be listed on the account: the mapper found a problem (a
  preflight problem, found before any request), kept in the listing's ``problem``. A listing that never
  reached the marketplace is then in status ``problem``; a live item keeps its status (its last good
  content stays on sale). The next plan that maps the product clears both; or
- one of its operations is parked as failed: the marketplace refused it, or it gave up after its tries.
  It stays so until a later plan supersedes it, ``chosync retry`` sends it again and it is done, or the
  product is archived (then only a parked delist still counts).

Nothing of this is work the engine can do on its own, so a blocked listing costs no request and wakes no
push; but it is never "the same" as the catalog either: a push counts it, and ends ``partial``, on every
run while it stands, not only on the run that found it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from core.db import Store
from core.models import PRODUCT, ProductStatus
from core.sync.models import LISTING, OPERATION, OpKind, OpState

__all__ = ["BlockedListing", "blocked_listings"]


@dataclass(frozen=True, slots=True)
class BlockedListing:
    product_id: int
    product_sku: str
    problem: str | None = None  # the preflight problem, as the plan found it
    parked: tuple[str, ...] = ()  # each operation parked as failed: "kind SKU: reason"
    listed: bool = False  # on the marketplace already: its last good content stays on sale

    def reasons(self) -> list[str]:
        """What a person must fix, one line each."""
        found = [f"parked as failed: {p}" for p in self.parked]
        if self.problem and self.listed:
            # The plan cannot map the product: its content and prices wait; its stock still follows the catalog.
            found.insert(0, f"cannot update {self.product_sku} (its content and prices wait; its stock is kept "
                         f"true): {self.problem}")  # fmt: skip
        elif self.problem:
            found.insert(0, f"cannot list {self.product_sku}: {self.problem}")
        return found


def blocked_listings(store: Store, account_id: int) -> list[BlockedListing]:
    """The account's blocked listings, by product SKU."""
    preflight = (
        select(PRODUCT.c.id, PRODUCT.c.sku, LISTING.c.problem, LISTING.c.item_id)
        .join(LISTING, LISTING.c.product_id == PRODUCT.c.id)
        .where(LISTING.c.account_id == account_id)
        # An archived product is not to be listed: its old problem no longer stands.
        .where(PRODUCT.c.status == ProductStatus.ACTIVE.value)
        .where(or_(LISTING.c.status == "problem", LISTING.c.problem.is_not(None)))
    )
    parked = (
        select(PRODUCT.c.id, PRODUCT.c.sku, OPERATION.c.kind, OPERATION.c.variant_sku, OPERATION.c.error)
        .join(LISTING, LISTING.c.id == OPERATION.c.listing_id)
        .join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id)
        .where(OPERATION.c.account_id == account_id, OPERATION.c.state == OpState.FAILED.value)
        # Archived, the product is not to be listed or priced any more: only its delist still matters.
        .where(or_(PRODUCT.c.status == ProductStatus.ACTIVE.value, OPERATION.c.kind == OpKind.DELIST.value))
        .order_by(OPERATION.c.id)
    )
    problems: dict[int, tuple[str, str, bool]] = {}
    failures: dict[int, tuple[str, list[str]]] = {}
    with store.engine.connect() as conn:
        for product_id, sku, error, item_id in conn.execute(preflight):
            text = error or "found by an earlier plan"
            problems[product_id] = (sku, text, item_id is not None)
        for product_id, sku, kind, variant_sku, error in conn.execute(parked):
            failures.setdefault(product_id, (sku, []))[1].append(f"{kind} {variant_sku or sku}: {error or ''}")
    found = [
        BlockedListing(
            product_id,
            (problems.get(product_id) or failures[product_id])[0],
            problem=problems[product_id][1] if product_id in problems else None,
            parked=tuple(failures[product_id][1]) if product_id in failures else (),
            listed=product_id in problems and problems[product_id][2],
        )
        for product_id in problems.keys() | failures.keys()
    ]
    return sorted(found, key=lambda b: b.product_sku)
