"""Rebinding: an assisted channel's listings carried over to an API connector that replaces it.

On an assisted floor (:class:`~core.ports.Assisted`: no seller API) chosync never sees the floor's
item ids: confirming a pack (:mod:`core.sync.pack_confirm`) binds each listing with our product SKU
standing in for the item id. When the channel later gets an API connector (a class registered under the
same channel name that is not Assisted), those stand-ins mean nothing to the API: a price sent for item
``P000001`` would go nowhere, and a reconcile would take the listing for gone and list it a second time.

:func:`rebind_listings` carries the account over, with the new connector:

- every stand-in binding (item id = its product SKU, and a create or update of it confirmed through a
  pack) is looked up by SKU and bound to the item id and model ids the API knows, keeping what the
  binding records as shown on the floor (content hash, prices, stock): the next push sends only what
  truly differs. One not found is left as it is and reported (the operator decides: it may be listed
  under another SKU);
- the operations still awaiting a pack's confirmation are superseded, the open pack with them, and their
  listings re-planned at the next push against what the bindings hold, so the API sends what the pack
  asked for. A new listing that was awaiting its pack is looked up first: if the person had uploaded it,
  it is bound (and updated to the catalog), not created again.

It changes nothing for an account whose connector is still assisted, and running it again finds nothing
left to do. It calls only :meth:`~core.ports.Connector.find_by_sku`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import Connection, exists, select, update

from core.channels import AccountSummary
from core.db import Store
from core.models import PRODUCT, utcnow
from core.ports import Assisted, Connector, ListingRef
from core.sync.models import LISTING, OPERATION, UPLOAD_PACK, OpKind, OpState
from core.sync.packs import PACK_OPEN, PACK_SUPERSEDED

__all__ = ["RebindReport", "rebind_listings"]

log = structlog.get_logger(__name__)


@dataclass
class RebindReport:
    rebound: list[str] = field(default_factory=list)  # product SKUs now bound to the API's item
    missing: list[str] = field(default_factory=list)  # stand-ins the API does not find by SKU: left as they were
    replanned: int = 0  # listings whose unconfirmed pack changes the next push sends through the API

    @property
    def changed(self) -> bool:
        return bool(self.rebound or self.replanned)


def _stand_ins(conn: Connection, account_id: int) -> list[Any]:
    """Listings bound with their product SKU by a pack's confirmation (not by any API)."""
    confirmed_by_pack = exists().where(
        OPERATION.c.listing_id == LISTING.c.id,
        OPERATION.c.pack_id.is_not(None),
        OPERATION.c.state == OpState.DONE.value,
        OPERATION.c.kind.in_([OpKind.CREATE.value, OpKind.UPDATE.value]),
    )
    query = (
        select(LISTING.c.id, PRODUCT.c.sku)
        .join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id)
        .where(LISTING.c.account_id == account_id, LISTING.c.item_id == PRODUCT.c.sku, confirmed_by_pack)
        .order_by(PRODUCT.c.sku)
    )
    return list(conn.execute(query))


def _awaiting(conn: Connection, account_id: int) -> list[Any]:
    """Listings with operations still awaiting a pack's confirmation, and whether one is their create."""
    query = (
        select(LISTING.c.id, PRODUCT.c.sku, LISTING.c.item_id, OPERATION.c.kind)
        .join(LISTING, LISTING.c.id == OPERATION.c.listing_id)
        .join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id)
        .where(OPERATION.c.account_id == account_id, OPERATION.c.state == OpState.AWAITING.value)
    )
    return list(conn.execute(query))


async def rebind_listings(store: Store, account: AccountSummary, connector: Connector) -> RebindReport:
    """Carry ``account``'s pack-confirmed listings over to its API ``connector``; see the module doc."""
    report = RebindReport()
    if isinstance(connector, Assisted):
        return report  # still worked by hand: the stand-ins are what the floor's files use
    with store.engine.connect() as conn:
        stand_ins, awaiting = _stand_ins(conn, account.id), _awaiting(conn, account.id)
    if not stand_ins and not awaiting:
        return report  # the usual case, checked before every API push: two reads, no write
    found: dict[int, tuple[str, ListingRef]] = {}
    unsent = {(row.id, row.sku) for row in awaiting if row.item_id is None and row.kind == OpKind.CREATE.value}
    for listing_id, sku in [*((row.id, row.sku) for row in stand_ins), *sorted(unsent)]:
        ref = await connector.find_by_sku(sku)
        if ref is not None:
            found[listing_id] = (sku, ref)
            report.rebound.append(sku)
        elif (listing_id, sku) not in unsent:  # a new listing not found is simply created by the API
            report.missing.append(sku)
            log.warning("rebind.not_found", sku=sku, channel=account.channel)
    replanned = {row.id for row in awaiting}
    now = utcnow()
    with store.engine.begin() as conn:
        for listing_id, (sku, ref) in found.items():
            values: dict[str, Any] = {"item_id": ref.item_id, "models": dict(ref.models), "updated_at": now}
            was = LISTING.c.item_id == sku  # guarded on what was read: a rebind running beside never binds twice
            if (listing_id, sku) in unsent:
                values |= {"content_hash": None, "status": "live"}  # uploaded by hand: brought to the catalog
                was = LISTING.c.item_id.is_(None)
            conn.execute(update(LISTING).where(LISTING.c.id == listing_id, was).values(values))
        if replanned:
            conn.execute(
                update(OPERATION)
                .where(OPERATION.c.account_id == account.id, OPERATION.c.state == OpState.AWAITING.value)
                .values(state=OpState.SUPERSEDED.value, updated_at=now)
            )
            conn.execute(update(LISTING).where(LISTING.c.id.in_(replanned)).values(planned_revision=-1, updated_at=now))
        conn.execute(
            update(UPLOAD_PACK)
            .where(UPLOAD_PACK.c.account_id == account.id, UPLOAD_PACK.c.state == PACK_OPEN)
            .values(state=PACK_SUPERSEDED)
        )
    report.replanned = len(replanned)
    if report.changed or report.missing:
        log.info("rebind.done", channel=account.channel, rebound=len(report.rebound), missing=len(report.missing),
                 replanned=report.replanned)  # fmt: skip
    return report
