"""Parked operations: the ones a person must look at, and putting them back in the queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update

from core.db import Store
from core.errors import UsageError
from core.filters import check_filters
from core.models import CHANNEL_ACCOUNT, PRODUCT, SELLER, utcnow
from core.sync.models import LISTING, OPERATION, OpState

__all__ = ["Failure", "list_failures", "requeue"]


@dataclass(frozen=True, slots=True)
class Failure:
    id: int
    seller: str
    channel: str
    account: str
    kind: str
    product_sku: str
    variant_sku: str | None
    attempts: int
    reason: str
    since: datetime


def _query(seller: str | None, channel: str | None) -> Select[Any]:
    query = (
        select(
            OPERATION.c.id,
            SELLER.c.code,
            CHANNEL_ACCOUNT.c.channel,
            CHANNEL_ACCOUNT.c.name,
            OPERATION.c.kind,
            PRODUCT.c.sku,
            OPERATION.c.variant_sku,
            OPERATION.c.attempts,
            OPERATION.c.error,
            OPERATION.c.updated_at,
        )
        .join(LISTING, LISTING.c.id == OPERATION.c.listing_id)
        .join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id)
        .join(CHANNEL_ACCOUNT, CHANNEL_ACCOUNT.c.id == OPERATION.c.account_id)
        .join(SELLER, SELLER.c.id == CHANNEL_ACCOUNT.c.seller_id)
        .where(OPERATION.c.state == OpState.FAILED.value)
        .order_by(OPERATION.c.id)
    )
    if seller is not None:
        query = query.where(SELLER.c.code == seller)
    if channel is not None:
        query = query.where(CHANNEL_ACCOUNT.c.channel == channel)
    return query


def list_failures(store: Store, *, seller: str | None = None, channel: str | None = None) -> list[Failure]:
    seller, channel = check_filters(store, seller=seller, channel=channel)
    with store.engine.connect() as conn:
        rows = conn.execute(_query(seller, channel)).all()
    return [
        Failure(
            id=r.id,
            seller=r.code,
            channel=r.channel,
            account=r.name,
            kind=r.kind,
            product_sku=r.sku,
            variant_sku=r.variant_sku,
            attempts=r.attempts,
            reason=r.error or "",
            since=r.updated_at,
        )
        for r in rows
    ]


def requeue(
    store: Store,
    ids: Sequence[int] = (),
    *,
    every: bool = False,
    seller: str | None = None,
    channel: str | None = None,
) -> int:
    """Put failed operations back to planned with fresh attempts and rate-limit budget; the next sync sends them."""
    if not ids and not every:
        raise UsageError("name the operations to retry", hint="chosync retry ID [ID…], or --all")
    failed = {f.id for f in list_failures(store, seller=seller, channel=channel)}
    chosen = failed if every else set(ids)
    unknown = sorted(set(ids) - failed)
    if unknown:
        raise UsageError(
            f"operation{'s' if len(unknown) > 1 else ''} {', '.join(map(str, unknown))} "
            f"{'are' if len(unknown) > 1 else 'is'} not parked as failed",
            hint="see 'chosync failures'",
        )
    if chosen:
        with store.engine.begin() as conn:
            conn.execute(
                update(OPERATION)
                .where(OPERATION.c.id.in_(sorted(chosen)), OPERATION.c.state == OpState.FAILED.value)
                .values(
                    state=OpState.PLANNED.value,
                    attempts=0,
                    rate_limited_s=0.0,
                    next_attempt_at=None,
                    updated_at=utcnow(),
                )
            )
    return len(chosen)
