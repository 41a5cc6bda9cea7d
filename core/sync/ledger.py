"""The inventory ledger: how an order line's status moves our stock, exactly once per transition.

Every order line walks a small, forward-only state machine (``LedgerState``):

``none → (reserved →) sold → restocked`` and ``none | reserved → released``.

Each step is one or more **transitions**, each with a fixed effect on the line's variant:

- ``reserve``: reserved += qty (an order holds stock it has not shipped yet);
- ``release``: reserved −= qty (a reserved order was cancelled before it shipped);
- ``sell``: on hand −= qty, and reserved −= qty if the line had reserved it (the goods left us);
- ``restock``: on hand += qty (a returned parcel is back on the shelf).

Our ``returned`` means goods that shipped are on their way back: every marketplace we know returns
only what it delivered (Shopee's TO_RETURN, the floors' "Trả hàng" / "Hoàn trả"), and a connector maps a
marketplace's undo *before* shipping onto ``cancelled``, which releases the reservation. So an order
seen ``returned`` while its line is not yet sold shipped between two pulls: the line is sold then (the
goods are off the shelf until the seller has them back) and waits for the seller's confirmation like
any return. Releasing it instead would count a parcel still on the road as on hand and could oversell
it, or keep a lost parcel on hand for ever; selling it errs the safe way (stock counted low until the
return is confirmed).

:func:`plan` is the pure half: the line's state, the order's status (ours, :class:`OrderStatus`) and the
two settings in, the transitions and the next state out. It never plans a transition the line has
already made, because states only move forward. :func:`apply_step` is the half that writes, inside the
caller's transaction: one :class:`~core.sync.models.LedgerEntry` per transition, inserted with
``ON CONFLICT DO NOTHING`` on its unique key (order line, transition); the variant moves only when that
insert actually added a row. So a replayed pull, a stale snapshot of the line, or a second process
racing on the same order can never move stock twice: the unique key, not the caller's care, makes it so.

On hand may go below zero only when a marketplace sold what we did not have (an oversell the ledger
must record, not hide): it is allowed and logged as ``ledger.oversold``, never clamped.

A person's **count** (a catalog file's stock column, ``catalog set-stock``) is the other way on hand
moves: :func:`count_stock` makes on hand the figure counted and records the difference as a
``stocktake`` entry (no order line; who, from what, old → new), so the ledger explains every unit. The
variant remembers the figure as its last count: a file giving it again is no news, and sales made since
the count stay counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy import Connection, Insert, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.models import VARIANT, utcnow
from core.ports import OrderStatus
from core.settings import Settings
from core.sync.models import LEDGER, ORDER_LINE, LedgerState

__all__ = [
    "STOCKTAKE",
    "Count",
    "LedgerLine",
    "LedgerPolicy",
    "LedgerTally",
    "Move",
    "Step",
    "Transition",
    "advance_line",
    "apply_step",
    "count_stock",
    "load_lines",
    "plan",
    "plan_confirmed_return",
    "restock_line",
]

log = structlog.get_logger(__name__)
STOCKTAKE = "stocktake"  # the transition of a count: on hand set to what a person counted
_CHUNK = 500


class Transition(StrEnum):
    RESERVE = "reserve"
    RELEASE = "release"
    SELL = "sell"
    RESTOCK = "restock"


@dataclass(frozen=True, slots=True)
class LedgerPolicy:
    """The two choices a business makes about its ledger (``core.settings``)."""

    reserve_unpaid: bool = True
    restock_returns_automatically: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> LedgerPolicy:
        return cls(
            reserve_unpaid=settings.reserve_unpaid_orders,
            restock_returns_automatically=settings.restock_returns_automatically,
        )


@dataclass(frozen=True, slots=True)
class Move:
    """One transition and what it does to the variant's on hand and reserved counts."""

    transition: Transition
    on_hand: int
    reserved: int


@dataclass(frozen=True, slots=True)
class Step:
    """What one status (or a confirmed return) does to one line: its moves and its next state."""

    moves: tuple[Move, ...]
    state: LedgerState

    @property
    def transitions(self) -> tuple[Transition, ...]:
        return tuple(move.transition for move in self.moves)


def _move(transition: Transition, quantity: int, *, was_reserved: bool = False) -> Move:
    if transition is Transition.RESERVE:
        return Move(transition, 0, quantity)
    if transition is Transition.RELEASE:
        return Move(transition, 0, -quantity)
    if transition is Transition.SELL:
        return Move(transition, -quantity, -quantity if was_reserved else 0)
    return Move(transition, quantity, 0)


_S, _O, _T = LedgerState, OrderStatus, Transition
# DESIGN's "order line → inventory ledger" table. A (state, status) pair not listed moves nothing:
# replays, statuses older than the line's state, and the terminal states RELEASED and RESTOCKED.
_RULES: dict[tuple[LedgerState, OrderStatus], tuple[tuple[Transition, ...], LedgerState]] = {
    (_S.NONE, _O.PENDING): ((_T.RESERVE,), _S.RESERVED),  # unless unpaid orders may not reserve
    (_S.NONE, _O.READY): ((_T.RESERVE,), _S.RESERVED),
    (_S.NONE, _O.SHIPPED): ((_T.SELL,), _S.SOLD),
    (_S.NONE, _O.COMPLETED): ((_T.SELL,), _S.SOLD),
    (_S.NONE, _O.CANCELLED): ((), _S.RELEASED),  # never held anything: nothing to give back
    # Returned means it shipped (a ship between two pulls): sold now, back on hand once confirmed.
    (_S.NONE, _O.RETURNED): ((_T.SELL,), _S.SOLD),
    (_S.RESERVED, _O.SHIPPED): ((_T.SELL,), _S.SOLD),
    (_S.RESERVED, _O.COMPLETED): ((_T.SELL,), _S.SOLD),
    (_S.RESERVED, _O.RETURNED): ((_T.SELL,), _S.SOLD),  # as above: the ship was between two pulls
    (_S.RESERVED, _O.CANCELLED): ((_T.RELEASE,), _S.RELEASED),
    # SOLD + cancelled or returned: the parcel is on its way back; stock returns when the seller
    # confirms it is in hand (plan_confirmed_return), or at once for returns if the policy says so.
}


def plan(state: LedgerState, status: OrderStatus, quantity: int, policy: LedgerPolicy) -> Step:
    """The moves an order line in ``state`` makes when its order is seen with ``status``, and its
    next state. Pure and total; states only move forward, so a move is never planned twice."""
    transitions, target = _RULES.get((state, status), ((), state))
    if status is OrderStatus.PENDING and not policy.reserve_unpaid:
        transitions, target = (), state
    # Restocking at once (a policy) follows the sale the return implies.
    if status is OrderStatus.RETURNED and policy.restock_returns_automatically and target is _S.SOLD:
        transitions, target = (*transitions, _T.RESTOCK), _S.RESTOCKED
    was_reserved = state is LedgerState.RESERVED
    return Step(tuple(_move(t, quantity, was_reserved=was_reserved) for t in transitions), target)


def plan_confirmed_return(state: LedgerState, quantity: int) -> Step:
    """The seller confirms the goods of a sold line are back: restock it (once)."""
    if state is LedgerState.SOLD:
        return Step((_move(Transition.RESTOCK, quantity),), LedgerState.RESTOCKED)
    return Step((), state)


# --- applying ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """An order line as the ledger sees it: its row id, variant (None: SKU unknown), qty and state."""

    id: int
    order_pk: int
    variant_id: int | None
    quantity: int
    state: LedgerState


@dataclass
class LedgerTally:
    """What a series of :func:`apply_step` calls did: entries written, products whose stock moved."""

    entries: int = 0
    product_ids: set[int] = field(default_factory=set)
    variant_ids: set[int] = field(default_factory=set)
    oversold_variants: set[int] = field(default_factory=set)


def load_lines(conn: Connection, order_pks: Iterable[int]) -> list[LedgerLine]:
    """The lines of these orders, locked for the rest of the transaction where the database can lock.

    The row lock (PostgreSQL) keeps two pulls of one order from planning from the same stale state;
    SQLite serialises writers anyway. Even without it, the ledger's unique key forbids a double move.
    """
    pks = sorted(set(order_pks))
    if not pks:
        return []
    query = (
        select(
            ORDER_LINE.c.id,
            ORDER_LINE.c.order_id,
            ORDER_LINE.c.variant_id,
            ORDER_LINE.c.quantity,
            ORDER_LINE.c.ledger_state,
        )
        .where(ORDER_LINE.c.order_id.in_(pks))
        .order_by(ORDER_LINE.c.id)
        .with_for_update()
    )
    return [
        LedgerLine(row.id, row.order_id, row.variant_id, row.quantity, LedgerState(row.ledger_state))
        for row in conn.execute(query)
    ]


def _insert_once(conn: Connection, values: dict[str, Any]) -> Insert:
    # Both backends speak ON CONFLICT DO NOTHING; each dialect's own insert builds it.
    key = ["order_line_id", "transition"]
    if conn.dialect.name == "sqlite":
        return sqlite.insert(LEDGER).values(values).on_conflict_do_nothing(index_elements=key)
    return postgresql.insert(LEDGER).values(values).on_conflict_do_nothing(index_elements=key)


def apply_step(conn: Connection, line: LedgerLine, step: Step, tally: LedgerTally) -> LedgerState:
    """Write ``step`` for ``line`` in the caller's transaction; returns the line's new state.

    A move whose entry already exists is skipped (its effect is already in the variant's counts).
    """
    if line.variant_id is None:
        return line.state  # an unknown SKU has no stock to move; the line waits for its variant
    now = utcnow()
    for move in step.moves:
        entry = {
            "variant_id": line.variant_id,
            "order_line_id": line.id,
            "transition": move.transition.value,
            "on_hand_delta": move.on_hand,
            "reserved_delta": move.reserved,
            "created_at": now,
        }
        # RETURNING, not rowcount: with it both backends say plainly whether a row went in.
        if conn.execute(_insert_once(conn, entry).returning(LEDGER.c.id)).first() is None:
            continue  # already in the ledger: a replay
        conn.execute(
            update(VARIANT)
            .where(VARIANT.c.id == line.variant_id)
            .values(
                stock_on_hand=VARIANT.c.stock_on_hand + move.on_hand,
                reserved=VARIANT.c.reserved + move.reserved,
                updated_at=now,
            )
        )
        tally.entries += 1
        variant = conn.execute(
            select(VARIANT.c.product_id, VARIANT.c.sku, VARIANT.c.stock_on_hand, VARIANT.c.reserved).where(
                VARIANT.c.id == line.variant_id
            )
        ).one()
        tally.product_ids.add(variant.product_id)
        tally.variant_ids.add(line.variant_id)
        if move.on_hand < 0 and variant.stock_on_hand < 0:
            tally.oversold_variants.add(line.variant_id)
            log.warning(
                "ledger.oversold",
                variant_sku=variant.sku,
                on_hand=variant.stock_on_hand,
                order_line_id=line.id,
                quantity=line.quantity,
            )
    if step.state is not line.state:
        conn.execute(update(ORDER_LINE).where(ORDER_LINE.c.id == line.id).values(ledger_state=step.state.value))
    return step.state


def advance_line(
    conn: Connection, line: LedgerLine, status: OrderStatus, policy: LedgerPolicy, tally: LedgerTally
) -> LedgerState:
    """Plan and apply what ``status`` does to ``line``."""
    return apply_step(conn, line, plan(line.state, status, line.quantity, policy), tally)


def restock_line(conn: Connection, line: LedgerLine, tally: LedgerTally) -> LedgerState:
    """Apply a confirmed return to ``line`` (a no-op unless it is sold)."""
    return apply_step(conn, line, plan_confirmed_return(line.state, line.quantity), tally)


# --- counts --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Count:
    """A count that moved on hand: the variant, its product, and on hand before and after."""

    variant_id: int
    product_id: int
    before: int
    after: int


def count_stock(conn: Connection, counts: Mapping[int, int], *, source: str, actor: str, now: datetime) -> list[Count]:
    """Record a person's counts (variant id → figure) in the caller's transaction.

    Every variant remembers its figure as the last count; where the figure differs from on hand, on hand
    becomes it and a ``stocktake`` entry records old → new, ``source`` (e.g. the file) and ``actor``.
    Returns the counts that moved on hand; the caller bumps their products' revisions. The variants are
    locked while they are read (PostgreSQL), so an order moving one meanwhile waits for this count.
    """
    moved: list[Count] = []
    ids = sorted(counts)
    for start in range(0, len(ids), _CHUNK):
        query = (
            select(VARIANT.c.id, VARIANT.c.product_id, VARIANT.c.stock_on_hand)
            .where(VARIANT.c.id.in_(ids[start : start + _CHUNK]))
            .order_by(VARIANT.c.id)
            .with_for_update()
        )
        moved += [Count(r.id, r.product_id, r.stock_on_hand, counts[r.id])
                  for r in conn.execute(query) if counts[r.id] != r.stock_on_hand]  # fmt: skip
    if not ids:
        return moved
    conn.execute(
        update(VARIANT).where(VARIANT.c.id == bindparam("_id")).values(counted_stock=bindparam("_counted")),
        [{"_id": variant_id, "_counted": figure} for variant_id, figure in counts.items()],
    )
    if moved:
        conn.execute(
            update(VARIANT)
            .where(VARIANT.c.id == bindparam("_id"))
            .values(stock_on_hand=bindparam("_after"), updated_at=now),
            [{"_id": c.variant_id, "_after": c.after} for c in moved],
        )
        conn.execute(
            LEDGER.insert(),
            [{"variant_id": c.variant_id, "order_line_id": None, "transition": STOCKTAKE,
              "on_hand_delta": c.after - c.before, "reserved_delta": 0, "on_hand_after": c.after,
              "source": source[:255], "actor": actor[:64], "created_at": now} for c in moved],
        )  # fmt: skip
    log.info("ledger.counted", counts=len(counts), moved=len(moved), source=source, actor=actor)
    return moved
