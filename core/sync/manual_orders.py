"""Orders that arrive without an API: an export file given by hand, or an order keyed in by an operator.

Both end in :func:`core.sync.orders.save_orders`, exactly as pulled orders do: upserted by (account,
order id), the same ledger (reserve, sell, release once per line and transition), the same stock moves
on every other channel of the seller. Each is recorded as a sync run of kind ``pull``.

- :func:`import_order_file`: a CSV/XLSX export of an assisted floor, given on the command line, is
  copied into the account's ``inbox/`` (under a hidden name, then renamed, so a half-copied file is never
  read) and the inbox is pulled: the same path the scheduler's pull job takes, all or nothing per file.
- :func:`add_phone_order`: one line of one order (a phone call, a market stall). The SKU must be one
  of the seller's variants; the price defaults to the catalog's. Adding the same order id again with
  another status moves it on (ready → shipped sells the stock); its lines never change.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from connectors.base import Connector, Order, OrderLine, OrderStatus
from core.channels import AccountSummary
from core.db import Store
from core.errors import NotFound, UsageError
from core.models import VARIANT, utcnow
from core.settings import load_settings
from core.sync.ledger import LedgerPolicy
from core.sync.orders import PullReport, pull_orders, save_orders, seller_of
from core.sync.packs import assisted_connector
from core.sync.runs import finish_run, start_run

__all__ = ["add_phone_order", "import_order_file"]


async def import_order_file(
    store: Store,
    account: AccountSummary,
    connector: Connector,
    path: Path,
    *,
    trigger: str,
    policy: LedgerPolicy | None = None,
) -> tuple[PullReport, Path]:
    """Put ``path`` (left where it is) in the account's inbox and pull the inbox; returns the pull and
    where the copy went in the inbox (it then moves to ``processed/`` or ``rejected/``)."""
    floor = assisted_connector(connector)
    if not path.is_file():
        raise UsageError(f"file {str(path)!r} not found")
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise UsageError(f"{path.name} is not an order export", hint="give a .csv or .xlsx file")
    inbox = floor.folder / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / path.name
    counter = 1
    while target.exists():
        counter += 1
        target = inbox / f"{path.stem}-{counter}{path.suffix}"
    hidden = inbox / f".{target.name}.copying"
    await asyncio.to_thread(shutil.copy2, path, hidden)  # copy2 keeps the file's time: the export's snapshot
    hidden.replace(target)
    report = await pull_orders(store, account, connector, trigger=trigger, policy=policy)
    return report, target


def add_phone_order(
    store: Store,
    account: AccountSummary,
    *,
    order_id: str,
    sku: str,
    quantity: int,
    trigger: str,
    price_vnd: int | None = None,
    status: OrderStatus = OrderStatus.READY,
    policy: LedgerPolicy | None = None,
    now: Callable[[], datetime] = utcnow,
) -> PullReport:
    """Record one order keyed in by hand on ``account``; see the module doc."""
    if quantity <= 0:
        raise UsageError("the quantity must be a whole number above 0")
    if price_vnd is not None and price_vnd <= 0:
        raise UsageError("the price must be a whole number of đồng above 0")
    seller_id = seller_of(store, account.id)
    with store.engine.connect() as conn:
        catalog_price = conn.execute(
            select(VARIANT.c.price_vnd).where(VARIANT.c.seller_id == seller_id, VARIANT.c.sku == sku)
        ).scalar()
    if catalog_price is None:
        raise NotFound(f"{sku!r} is not a variant SKU of {account.seller}", hint="see 'chosync catalog list'")
    unit = price_vnd if price_vnd is not None else int(catalog_price)
    moment = now()
    line = OrderLine(line_id=sku, variant_sku=sku, item_id=sku, model_id="", quantity=quantity, unit_price_vnd=unit)
    order = Order(order_id=order_id, status=status, raw_status=f"manual:{status.value}", created_at=moment,
                  updated_at=moment, currency="VND", lines=(line,), total_vnd=unit * quantity)  # fmt: skip
    run_id = start_run(store, account_id=account.id, kind="pull", trigger=trigger)
    report = save_orders(store, account, seller_id, [order], policy or LedgerPolicy.from_settings(load_settings()))
    report.run_id, report.outcome = run_id, "ok"
    finish_run(store, run_id, outcome="ok", counts=report.counts())
    return report
