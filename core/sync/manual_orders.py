"""Orders that arrive without an API: an export file given by hand, or an order keyed in by an operator.

Both end in :func:`core.sync.orders.save_orders`, exactly as pulled orders do: upserted by (account,
order id), the same ledger (reserve, sell, release once per line and transition), the same stock moves
on every other channel of the seller. Each is recorded as a sync run of kind ``pull``.

- :func:`import_order_file`: a CSV/XLSX export of an assisted floor, given on the command line, is
  copied into the account's ``inbox/`` (under a hidden name, then renamed, so a half-copied file is never
  read) and the inbox is pulled: the same path the scheduler's pull job takes, all or nothing per file.
  The result is about the given file; other exports the pull met are reported beside it.
- :func:`add_phone_order`: an order taken by phone or at a market stall, with one or more lines (each a
  variant SKU of the seller, a quantity, a price defaulting to the catalog's). Adding the same order id
  again with another status moves the whole order on (ready → shipped sells the stock of every line).
  The lines are fixed when the order is first recorded: given again they must be the same, or the
  command is refused (the ledger has already moved stock for them).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, select

from core.channels import AccountSummary
from core.db import Store
from core.errors import NotFound, UsageError
from core.models import VARIANT, utcnow
from core.ports import Connector, Order, OrderLine, OrderStatus
from core.settings import load_settings
from core.sync.ledger import LedgerPolicy
from core.sync.models import ORDER, ORDER_LINE
from core.sync.orders import PullReport, pull_orders, save_orders, seller_of
from core.sync.packs import assisted_connector
from core.sync.runs import finish_run, start_run

__all__ = ["ImportResult", "PhoneLine", "add_phone_order", "import_order_file"]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What became of the file given to :func:`import_order_file`, and of any other export the same pull
    of the inbox met (the scheduler would have met them too)."""

    report: PullReport
    kept: Path | None  # where the file went: processed/ (imported) or rejected/; None: still in the inbox
    error: str | None  # why the file was not imported; None when it was
    others_imported: tuple[Path, ...] = ()
    others_rejected: tuple[Path, ...] = ()  # each with <name>.errors.txt beside it

    @property
    def imported(self) -> bool:
        return self.error is None


async def import_order_file(
    store: Store,
    account: AccountSummary,
    connector: Connector,
    path: Path,
    *,
    trigger: str,
    policy: LedgerPolicy | None = None,
) -> ImportResult:
    """Put ``path`` (left where it is) in the account's inbox and pull the inbox; the result is about
    ``path``: another export already waiting there that is refused does not make this one fail."""
    floor = assisted_connector(connector)
    if not path.is_file():
        raise UsageError(f"file {str(path)!r} not found")
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise UsageError(f"{path.name} is not an order export", hint="give a .csv or .xlsx file")
    inbox, processed, rejected = (floor.folder / name for name in ("inbox", "processed", "rejected"))
    inbox.mkdir(parents=True, exist_ok=True)
    # A name free in all three folders: the file keeps it when it moves on, so it can be found after.
    target, counter = inbox / path.name, 1
    while any((folder / target.name).exists() for folder in (inbox, processed, rejected)):
        counter += 1
        target = inbox / f"{path.stem}-{counter}{path.suffix}"
    before = {folder: _files(folder) for folder in (processed, rejected)}
    hidden = inbox / f".{target.name}.copying"
    await asyncio.to_thread(shutil.copy2, path, hidden)  # copy2 keeps the file's time: the export's snapshot
    hidden.replace(target)
    report = await pull_orders(store, account, connector, trigger=trigger, policy=policy)
    # The account is locked for the pull (hold_accounts), so whatever appeared in these folders is its doing.
    done, refused = (sorted(_files(folder) - before[folder]) for folder in (processed, rejected))
    others = {"others_imported": tuple(processed / n for n in done if n != target.name),
              "others_rejected": tuple(rejected / n for n in refused if n != target.name)}  # fmt: skip
    if target.name in done:
        return ImportResult(report, processed / target.name, None, **others)
    if target.name in refused:
        errors = rejected / f"{target.name}.errors.txt"
        why = errors.read_text(encoding="utf-8").strip() if errors.is_file() else f"{target.name} rejected"
        return ImportResult(report, rejected / target.name, why, **others)
    return ImportResult(report, None, report.error or f"{target.name} was not read", **others)


def _files(folder: Path) -> set[str]:
    """The export files in ``folder`` (not the errors files written beside rejected ones)."""
    if not folder.is_dir():
        return set()
    return {p.name for p in folder.iterdir() if p.is_file() and not p.name.endswith(".errors.txt")}


@dataclass(frozen=True, slots=True)
class PhoneLine:
    """One item of an order keyed in by hand: a variant SKU, how many, the unit price (None: the catalog's)."""

    sku: str
    quantity: int
    price_vnd: int | None = None


def add_phone_order(
    store: Store,
    account: AccountSummary,
    *,
    order_id: str,
    lines: Sequence[PhoneLine],
    trigger: str,
    status: OrderStatus = OrderStatus.READY,
    policy: LedgerPolicy | None = None,
    now: Callable[[], datetime] = utcnow,
) -> PullReport:
    """Record an order keyed in by hand on ``account``, or move a recorded one on; see the module doc.

    A new order needs its ``lines``; a recorded one takes none (or exactly the ones it has), because its
    lines were fixed when it was placed and the ledger has already moved stock for them.
    """
    _check(lines)
    seller_id = seller_of(store, account.id)
    with store.engine.connect() as conn:
        stored = _stored_lines(conn, account.id, order_id)
        if stored is None:
            order_lines = _new_lines(conn, account, seller_id, lines)
        else:
            _same_lines(order_id, stored, lines)
            order_lines = stored
    moment = now()
    total = sum(line.unit_price_vnd * line.quantity for line in order_lines)
    order = Order(order_id=order_id, status=status, raw_status=f"manual:{status.value}", created_at=moment,
                  updated_at=moment, currency="VND", lines=tuple(order_lines), total_vnd=total)  # fmt: skip
    run_id = start_run(store, account_id=account.id, kind="pull", trigger=trigger)
    report = save_orders(store, account, seller_id, [order], policy or LedgerPolicy.from_settings(load_settings()))
    report.run_id, report.outcome = run_id, "ok"
    finish_run(store, run_id, outcome="ok", counts=report.counts())
    return report


def _check(lines: Sequence[PhoneLine]) -> None:
    seen: set[str] = set()
    for line in lines:
        if line.quantity <= 0:
            raise UsageError(f"{line.sku}: the quantity must be a whole number above 0")
        if line.price_vnd is not None and line.price_vnd <= 0:
            raise UsageError(f"{line.sku}: the price must be a whole number of đồng above 0")
        if line.sku in seen:
            raise UsageError(f"{line.sku} is given twice", hint="give each SKU once, with the total quantity")
        seen.add(line.sku)


def _stored_lines(conn: Connection, account_id: int, order_id: str) -> list[OrderLine] | None:
    """The lines of the account's order ``order_id`` as stored, or None when it is not recorded yet."""
    pk = conn.execute(select(ORDER.c.id).where(ORDER.c.account_id == account_id, ORDER.c.order_id == order_id)).scalar()
    if pk is None:
        return None
    columns = ("line_id", "variant_sku", "item_id", "model_id", "quantity", "unit_price_vnd")
    rows = conn.execute(
        select(*(ORDER_LINE.c[name] for name in columns)).where(ORDER_LINE.c.order_id == pk).order_by(ORDER_LINE.c.id)
    )
    return [OrderLine(**row._mapping) for row in rows]


def _new_lines(
    conn: Connection, account: AccountSummary, seller_id: int, lines: Sequence[PhoneLine]
) -> list[OrderLine]:
    if not lines:
        raise UsageError("a new order needs its lines", hint="give --line SKU:QTY once per item (or --sku and --qty)")
    skus = [line.sku for line in lines]
    prices = {
        row.sku: int(row.price_vnd)
        for row in conn.execute(
            select(VARIANT.c.sku, VARIANT.c.price_vnd).where(VARIANT.c.seller_id == seller_id, VARIANT.c.sku.in_(skus))
        )
    }
    missing = [sku for sku in skus if sku not in prices]
    if missing:
        named = ", ".join(repr(sku) for sku in missing)
        raise NotFound(f"{named} {'is' if len(missing) == 1 else 'are'} not a variant SKU of {account.seller}; "
                       "nothing was recorded", hint="see 'chosync catalog list'")  # fmt: skip
    # The line id is the SKU: an order lists each SKU once, and the ledger keys on (order, line id).
    return [
        OrderLine(line_id=line.sku, variant_sku=line.sku, item_id=line.sku, model_id="", quantity=line.quantity,
                  unit_price_vnd=line.price_vnd if line.price_vnd is not None else prices[line.sku])
        for line in lines
    ]  # fmt: skip


def _same_lines(order_id: str, stored: Sequence[OrderLine], lines: Sequence[PhoneLine]) -> None:
    """Lines given again for a recorded order must be the ones it has: a changed line would need the
    ledger to take back stock it already moved, so it is refused rather than silently ignored."""
    if not lines:
        return
    have = {(line.variant_sku, line.quantity) for line in stored}
    given = {(line.sku, line.quantity) for line in lines}
    prices = {line.variant_sku: line.unit_price_vnd for line in stored}
    repriced = any(line.price_vnd is not None and line.price_vnd != prices.get(line.sku) for line in lines)
    if have != given or repriced:
        described = ", ".join(f"{line.variant_sku or line.line_id} × {line.quantity}" for line in stored)
        raise UsageError(
            f"order {order_id} is already recorded with {described}; the lines of a recorded order do not change",
            hint="give only --order-id and --status to move it on, or record the other items as a new order",
        )
