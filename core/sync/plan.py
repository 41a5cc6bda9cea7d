"""Planning a push: what must change on one channel account for it to show the catalog, as operations.

For every product whose revision (or the account's) moved since its listing was last planned, the
connector's mapper computes the desired listing; compared with the binding (what we last pushed and
the marketplace confirmed) it yields operations: create, update (content hash differs), price and
stock (per variant, old → new), delist (archived, or no active variant left). Listings whose revisions
did not move are never read: they cost one integer comparison inside the database.

Stock shown on a channel is computed from what is available, on hand − reserved; the account's rules
(buffer, share) are applied by the mapper. ``full`` ignores revisions and hashes: everything is sent
again (the admin's manual resync).

:func:`plan_account` only computes; :func:`queue_operations` writes the plan: each new operation
supersedes an unsent one of the same kind for the same listing and variant (stock 9 then 7: only 7 goes
out), and the listing's planned revisions are advanced in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import Connection, and_, case, or_, select, update

from core.catalog.queries import iter_products
from core.catalog.records import ProductRecord
from core.channels import AccountSummary
from core.db import Store
from core.models import CHANNEL_ACCOUNT, PRODUCT, VARIANT, ProductStatus, VariantStatus, utcnow
from core.ports import Connector, MappedListing, Problem, payload_hash
from core.sync.models import LISTING, OPERATION, OpKind, OpState

__all__ = ["AccountPlan", "PlannedOp", "load_products", "plan_account", "queue_operations"]

log = structlog.get_logger(__name__)
_CHUNK = 500
_UNSENT = (OpState.PLANNED.value, OpState.RETRY_WAIT.value, OpState.FAILED.value)


@dataclass(frozen=True, slots=True)
class PlannedOp:
    """One operation to queue; ``old``/``new`` are the price or stock (or content hash) it changes."""

    kind: OpKind
    product_id: int
    product_sku: str
    variant_sku: str | None = None
    old: int | None = None
    new: int | None = None
    content_hash: str | None = None


@dataclass
class AccountPlan:
    account: AccountSummary
    ops: list[PlannedOp] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # what the seller should know; nothing is stopped
    examined: int = 0
    # product id → (product revision, account revision) to record once the plan is queued
    revisions: dict[int, tuple[int, int]] = field(default_factory=dict)
    problem_products: dict[int, str] = field(default_factory=dict)

    def count(self, kind: OpKind) -> int:
        return sum(1 for op in self.ops if op.kind is kind)


def _candidates(conn: Connection, account: AccountSummary, *, full: bool, sku: str | None) -> tuple[int, list[Any]]:
    """Products whose listing on this account needs a look, with their listing row (if any)."""
    account_revision = conn.execute(
        select(CHANNEL_ACCOUNT.c.revision).where(CHANNEL_ACCOUNT.c.id == account.id)
    ).scalar_one()
    listing = LISTING.alias("l")
    query = (
        select(
            PRODUCT.c.id,
            PRODUCT.c.sku,
            PRODUCT.c.status,
            PRODUCT.c.revision,
            listing.c.id.label("listing_id"),
            listing.c.item_id,
            listing.c.models,
            listing.c.content_hash,
            listing.c.prices,
            listing.c.stocks,
            listing.c.status.label("listing_status"),
        )
        .select_from(PRODUCT)
        .outerjoin(listing, and_(listing.c.product_id == PRODUCT.c.id, listing.c.account_id == account.id))
        .join(CHANNEL_ACCOUNT, CHANNEL_ACCOUNT.c.id == account.id)
        .where(PRODUCT.c.seller_id == CHANNEL_ACCOUNT.c.seller_id)
    )
    if sku is not None:
        query = query.where(PRODUCT.c.sku == sku)
    if full:
        query = query.where(or_(listing.c.id.is_not(None), PRODUCT.c.status == ProductStatus.ACTIVE.value))
    else:
        query = query.where(
            or_(
                and_(listing.c.id.is_(None), PRODUCT.c.status == ProductStatus.ACTIVE.value),
                listing.c.planned_revision != PRODUCT.c.revision,
                listing.c.account_revision != account_revision,
            )
        )
    return int(account_revision), list(conn.execute(query.order_by(PRODUCT.c.sku)))


def _available(conn: Connection, product_ids: Sequence[int]) -> dict[int, int]:
    """Variant id → on hand − reserved (never below 0) for the given products."""
    query = select(VARIANT.c.id, VARIANT.c.stock_on_hand, VARIANT.c.reserved).where(
        VARIANT.c.product_id.in_(product_ids)
    )
    return {vid: max(0, on_hand - reserved) for vid, on_hand, reserved in conn.execute(query)}


def _with_available_stock(conn: Connection, products: list[ProductRecord], ids: dict[str, int]) -> list[ProductRecord]:
    # Stock on a channel is what is free to sell: reserved units are already promised to a buyer.
    query = select(VARIANT.c.sku, VARIANT.c.id).where(VARIANT.c.product_id.in_(list(ids.values())))
    variant_ids = dict(conn.execute(query).all())
    available = _available(conn, list(ids.values()))
    return [
        p.model_copy(
            update={
                "variants": tuple(
                    v.model_copy(update={"stock": available.get(variant_ids[v.sku], 0)}) for v in p.variants
                )
            }
        )
        for p in products
    ]


def _diff(plan: AccountPlan, row: Any, product: ProductRecord, mapped: MappedListing[Any], *, full: bool) -> None:
    content_hash = payload_hash(mapped.content)
    if row.item_id is None:
        plan.ops.append(PlannedOp(OpKind.CREATE, row.id, product.sku, content_hash=content_hash))
        return
    if full or row.content_hash != content_hash or row.listing_status == "delisted":
        plan.ops.append(PlannedOp(OpKind.UPDATE, row.id, product.sku, content_hash=content_hash))
    pushed_prices: dict[str, int] = row.prices or {}
    pushed_stocks: dict[str, int] = row.stocks or {}
    for variant_sku, price in sorted(mapped.prices.items()):
        old = pushed_prices.get(variant_sku)
        if full or old != price:
            plan.ops.append(PlannedOp(OpKind.PRICE, row.id, product.sku, variant_sku, old, price))
    for variant_sku, stock in sorted(mapped.stocks.items()):
        old = pushed_stocks.get(variant_sku)
        if full or old != stock:
            plan.ops.append(PlannedOp(OpKind.STOCK, row.id, product.sku, variant_sku, old, stock))


def _stock_only(plan: AccountPlan, row: Any, product: ProductRecord, *, full: bool) -> None:
    """Stock for a live item whose content the catalog cannot be mapped to now (a problem the seller must
    fix): its last good content stays on sale, so its stock must keep following the catalog, or an order
    elsewhere would leave it offering units that are gone. Only the variants already on the item are sent
    (stock of what we pushed stock for); one archived since is sent 0."""
    pushed: dict[str, int] = row.stocks or {}
    for variant in product.variants:
        if variant.sku not in pushed:
            continue
        active = variant.status is VariantStatus.ACTIVE
        stock = plan.account.rules.stock_for(variant.stock) if active else 0
        if full or pushed[variant.sku] != stock:
            plan.ops.append(PlannedOp(OpKind.STOCK, row.id, product.sku, variant.sku, pushed[variant.sku], stock))


def load_products(conn: Connection, product_ids: Sequence[int]) -> dict[int, ProductRecord]:
    """Product id → the product as a channel should see it (variant stock = available to sell)."""
    found: dict[int, ProductRecord] = {}
    for start in range(0, len(product_ids), _CHUNK):
        chunk = list(product_ids[start : start + _CHUNK])
        products = list(iter_products(conn, product_ids=chunk))
        skus = dict(conn.execute(select(PRODUCT.c.sku, PRODUCT.c.id).where(PRODUCT.c.id.in_(chunk))).all())
        ids = {p.sku: skus[p.sku] for p in products}
        found.update({ids[p.sku]: p for p in _with_available_stock(conn, products, ids)})
    return found


def plan_account(
    store: Store, account: AccountSummary, connector: Connector, *, full: bool = False, sku: str | None = None
) -> AccountPlan:
    """What must be sent to ``account`` (nothing is written)."""
    plan = AccountPlan(account)
    with store.engine.connect() as conn:
        account_revision, rows = _candidates(conn, account, full=full, sku=sku)
        plan.examined = len(rows)
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            by_id = {r.id: r for r in chunk}
            for product_id, product in load_products(conn, list(by_id)).items():
                row = by_id[product_id]
                plan.revisions[row.id] = (row.revision, account_revision)
                active = [v for v in product.variants if v.status is VariantStatus.ACTIVE]
                if product.status is ProductStatus.ARCHIVED or not active:
                    if row.item_id is not None and (full or row.listing_status not in ("delisted", "deleted")):
                        plan.ops.append(PlannedOp(OpKind.DELIST, row.id, product.sku))
                    continue
                mapped = connector.map_product(product)
                if isinstance(mapped, list):
                    plan.problems.extend(mapped)
                    plan.problem_products[row.id] = "; ".join(f"{p.field}: {p.message}" for p in mapped)
                    if row.item_id is not None:
                        _stock_only(plan, row, product, full=full)
                    continue
                plan.warnings.extend(mapped.warnings)
                _diff(plan, row, product, mapped, full=full)
    return plan


def _listing_ids(conn: Connection, account_id: int, product_ids: Iterable[int]) -> dict[int, int]:
    """Product id → listing id on this account, creating the missing listing rows."""
    wanted = sorted(set(product_ids))
    found: dict[int, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = select(LISTING.c.product_id, LISTING.c.id).where(
            LISTING.c.account_id == account_id, LISTING.c.product_id.in_(chunk)
        )
        found.update(dict(conn.execute(query).all()))
    missing = [pid for pid in wanted if pid not in found]
    if missing:
        now = utcnow()
        conn.execute(
            LISTING.insert(),
            [{"account_id": account_id, "product_id": pid, "models": {}, "prices": {}, "stocks": {},
              "status": "pending", "created_at": now, "updated_at": now} for pid in missing],
        )  # fmt: skip
        return _listing_ids(conn, account_id, wanted)
    return found


def queue_operations(store: Store, plan: AccountPlan, *, run_id: int | None = None) -> int:
    """Write the plan: new operations (superseding unsent ones with the same target), revisions advanced."""
    now = utcnow()
    account_id = plan.account.id
    with store.engine.begin() as conn:
        listings = _listing_ids(conn, account_id, plan.revisions)
        rows = []
        for op in plan.ops:
            listing_id = listings[op.product_id]
            conn.execute(
                update(OPERATION)
                .where(
                    OPERATION.c.listing_id == listing_id,
                    OPERATION.c.kind == op.kind.value,
                    OPERATION.c.variant_sku.is_(None) if op.variant_sku is None
                    else OPERATION.c.variant_sku == op.variant_sku,
                    OPERATION.c.state.in_(_UNSENT),
                )
                .values(state=OpState.SUPERSEDED.value, updated_at=now)
            )  # fmt: skip
            rows.append(
                {"account_id": account_id, "listing_id": listing_id, "kind": op.kind.value,
                 "variant_sku": op.variant_sku, "value": op.new, "old_value": op.old,
                 "content_hash": op.content_hash, "state": OpState.PLANNED.value, "attempts": 0,
                 "run_id": run_id, "created_at": now, "updated_at": now}
            )  # fmt: skip
        if rows:
            conn.execute(OPERATION.insert(), rows)
        for product_id, (product_revision, account_revision) in plan.revisions.items():
            values: dict[str, Any] = {
                "planned_revision": product_revision, "account_revision": account_revision, "updated_at": now
            }  # fmt: skip
            if product_id in plan.problem_products:
                # A live item stays live (its last good content is still on sale); only a listing that
                # never reached the marketplace is shown as a problem. Either way the listing is blocked
                # (core.sync.blocked) until a plan maps the product again.
                values["status"] = case((LISTING.c.item_id.is_(None), "problem"), else_=LISTING.c.status)
                values["problem"] = values["last_error"] = plan.problem_products[product_id]
            else:
                # Mapped (or archived): whatever problem an earlier plan found no longer stands.
                values["status"] = case((LISTING.c.status == "problem", "pending"), else_=LISTING.c.status)
                values["last_error"] = case(
                    (LISTING.c.last_error == LISTING.c.problem, None), else_=LISTING.c.last_error
                )
                values["problem"] = None
            conn.execute(update(LISTING).where(LISTING.c.id == listings[product_id]).values(values))
    log.info(
        "sync.planned",
        account_id=account_id,
        ops=len(rows),
        examined=plan.examined,
        problems=len(plan.problems),
    )
    return len(rows)
