"""Reading the marketplace back before an operation whose outcome is unknown is sent again.

DESIGN's operation state machine: ``sending → unknown → resolved by reading the marketplace back``. A
price, stock or delist whose answer was lost may have been applied; the listing is read with the
connector's :meth:`~core.ports.protocols.Connector.listing_states` and an operation whose target the
marketplace already shows is done without a request; the others are sent again.

The Connector interface has no read of one item, so the shop's listings are paged until every item
wanted has been seen (then the walk stops): a lost answer is rare, and all the unknown operations of a
run share one walk. A create is resolved by the connector's SKU look-up, which it makes before every
create; a content update is not read back (see :mod:`core.sync.apply`).
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from core.ports import Connector, ListingState, ListingStatus, VariantState
from core.sync.models import OpKind

__all__ = ["READ_BACK_KINDS", "read_listings", "shows"]

READ_BACK_KINDS = frozenset({OpKind.PRICE, OpKind.STOCK, OpKind.DELIST})
_GONE = (ListingStatus.DELISTED, ListingStatus.DELETED)


async def read_listings(connector: Connector, item_ids: Set[str]) -> dict[str, ListingState]:
    """What the marketplace holds for ``item_ids`` (those it returned), reading no further than needed."""
    found: dict[str, ListingState] = {}
    states = connector.listing_states()
    try:
        async for state in states:
            if state.item_id in item_ids:
                found[state.item_id] = state
                if len(found) == len(item_ids):
                    break
    finally:
        close = getattr(states, "aclose", None)  # an async generator: stop its paging now
        if close is not None:
            await close()
    return found


def _variant(state: ListingState, variant_sku: str | None, models: Mapping[str, str]) -> VariantState | None:
    model_id = models.get(variant_sku or "")
    for variant in state.variants:
        if variant.variant_sku == variant_sku or (model_id is not None and variant.model_id == model_id):
            return variant
    if not models and len(state.variants) == 1:
        # A listing bound without variant ids (an item without variations) has one variant: the item itself,
        # which some marketplaces name by the product's SKU rather than ours.
        return state.variants[0]
    return None


def shows(
    state: ListingState | None, kind: OpKind, *, variant_sku: str | None, value: int | None, models: Mapping[str, str]
) -> bool:
    """Whether the marketplace already shows what the operation meant to set."""
    if state is None:
        return False
    if kind is OpKind.DELIST:
        return state.status in _GONE
    variant = _variant(state, variant_sku, models)
    if variant is None or value is None:
        return False
    return (variant.price_vnd if kind is OpKind.PRICE else variant.stock) == value
