"""Batched price and stock updates: per-variant updates in, marketplace calls out, one outcome per variant back.

A marketplace takes price or stock changes a few dozen variants a call; the core wants an outcome for
every variant, and one failure must never hide the others' success. The rules are the same on every
marketplace, only the wire differs:

- an update names our variant SKU; the connector finds the marketplace's id for it in the listing ref
  (a variant the ref does not know fails alone, naming the listing);
- the last update per variant wins: a newer value supersedes an older one not yet sent, so writes are
  never applied out of order;
- a call that fails fails every variant it carried, and the other calls go on; but a refused account
  (:class:`~core.errors.AuthError`) stops the batch, since every other call would be refused too;
- a call that succeeds may still refuse some variants, by the marketplace's id, with a reason.

:func:`pending_updates` does the first two; :func:`send_in_batches` the last two, given a ``send`` that
makes one call and answers the refused ids with their reasons.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from core.errors import AuthError, ChosyncError, PermanentError
from core.logs import scrub
from core.ports.data import BatchItem, PriceUpdate, StockUpdate

__all__ = ["Pending", "Update", "chunks", "pending_updates", "send_in_batches"]

Update = TypeVar("Update", PriceUpdate, StockUpdate)
_T = TypeVar("_T")


def chunks(items: Sequence[_T], size: int) -> list[Sequence[_T]]:
    """``items`` cut into runs of at most ``size``, in order."""
    return [items[start : start + size] for start in range(0, len(items), size)]


@dataclass(frozen=True, slots=True)
class Pending(Generic[Update]):
    """One update to send, with the marketplace's id of its variant (as the marketplace's answers name it)."""

    update: Update
    wire_id: str

    @property
    def item_id(self) -> str:
        return self.update.ref.item_id

    @property
    def variant_sku(self) -> str:
        return self.update.variant_sku


def pending_updates(
    updates: Sequence[Update], wire_id: Callable[[Update], str | None], *, unknown: Callable[[Update], str]
) -> tuple[list[Pending[Update]], list[BatchItem]]:
    """The updates to send (the last per variant, in first-seen order) and a failed outcome for each update
    whose variant has no marketplace id (``wire_id`` gives None; ``unknown`` says why, for the seller)."""
    chosen: dict[tuple[str, str], Pending[Update]] = {}
    failed: list[BatchItem] = []
    for update in updates:
        known = wire_id(update)
        if known is None:
            error = PermanentError(unknown(update), field="variant_sku")
            failed.append(BatchItem(item_id=update.ref.item_id, variant_sku=update.variant_sku, error=error))
            continue
        chosen[update.ref.item_id, update.variant_sku] = Pending(update, known)
    return list(chosen.values()), failed


async def send_in_batches(
    batches: Iterable[Sequence[Pending[Update]]],
    send: Callable[[Sequence[Pending[Update]]], Awaitable[Mapping[str, str]]],
    *,
    marketplace: str,
    what: str,
) -> list[BatchItem]:
    """Send each batch; an outcome per update: done, refused by the marketplace, or the call's failure."""
    results: list[BatchItem] = []
    for batch in batches:
        try:
            refused = await send(batch)
        except AuthError:
            raise  # the whole account is refused: every other call would fail the same way
        except ChosyncError as exc:
            results.extend(BatchItem(item_id=p.item_id, variant_sku=p.variant_sku, error=exc) for p in batch)
            continue
        for pending in batch:
            reason = refused.get(pending.wire_id)
            error = None
            if reason is not None:
                message = f"{marketplace} refused the {what} of {pending.variant_sku}: {reason}"
                error = PermanentError(scrub(message), field=what)
            results.append(BatchItem(item_id=pending.item_id, variant_sku=pending.variant_sku, error=error))
    return results
