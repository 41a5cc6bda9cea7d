"""Batched updates, whatever the marketplace: one outcome per variant, the last value per variant sent."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from connectors.kit.batches import Pending, chunks, pending_updates, send_in_batches
from core.errors import AuthError, PermanentError, RetryableError
from core.ports import ListingRef, StockUpdate

pytestmark = pytest.mark.anyio

REF = ListingRef(item_id="1", models={"A": "10", "B": "11", "C": "12"})


def _stock(sku: str, stock: int, ref: ListingRef = REF) -> StockUpdate:
    return StockUpdate(ref=ref, variant_sku=sku, stock=stock)


def _pending(updates: Sequence[StockUpdate]) -> tuple[list[Pending[StockUpdate]], list[str]]:
    pending, failed = pending_updates(
        updates, lambda u: u.ref.models.get(u.variant_sku), unknown=lambda u: f"{u.variant_sku} is not on it"
    )
    return pending, [f"{item.variant_sku}: {item.error}" for item in failed]


def test_the_last_value_per_variant_is_sent_and_an_unknown_variant_fails_alone() -> None:
    pending, failed = _pending([_stock("A", 9), _stock("X", 1), _stock("B", 5), _stock("A", 7)])
    assert [(p.variant_sku, p.wire_id, p.update.stock) for p in pending] == [("A", "10", 7), ("B", "11", 5)]
    assert failed == ["X: X is not on it"]


async def test_a_failed_call_fails_its_variants_and_the_others_go_on() -> None:
    pending, _ = _pending([_stock("A", 1), _stock("B", 2), _stock("C", 3)])
    sent: list[list[str]] = []

    async def send(batch: Sequence[Pending[StockUpdate]]) -> dict[str, str]:
        sent.append([p.variant_sku for p in batch])
        if batch[0].variant_sku == "A":
            raise RetryableError("timeout")
        return {"12": "stock too high"}

    results = await send_in_batches(chunks(pending, 2), send, marketplace="Postmart", what="stock")
    assert sent == [["A", "B"], ["C"]]
    errors = {item.variant_sku: item.error for item in results}
    assert isinstance(errors["A"], RetryableError) and isinstance(errors["B"], RetryableError)
    refused = errors["C"]
    assert isinstance(refused, PermanentError) and refused.field == "stock"
    assert str(refused).startswith("Postmart refused the stock of C: stock too high")


async def test_a_refused_account_stops_the_whole_batch() -> None:
    pending, _ = _pending([_stock("A", 1), _stock("B", 2)])
    calls = 0

    async def send(batch: Sequence[Pending[StockUpdate]]) -> dict[str, str]:
        nonlocal calls
        calls += 1
        raise AuthError("token refused")

    with pytest.raises(AuthError):
        await send_in_batches(chunks(pending, 1), send, marketplace="Shopee", what="stock")
    assert calls == 1
