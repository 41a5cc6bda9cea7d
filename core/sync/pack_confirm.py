"""Confirming an upload pack: the person says it is on the floor, and the bindings learn it.

``chosync assisted confirm`` marks a pack's operations done and records in the listing bindings what the
floor now shows (item id = our product SKU, since the floor knows the listing by it; content hash,
prices and stock per variant; delisted), all in ONE transaction, so the next plan sends only what
changed since. It reads the pack's ``manifest.json``, the exact record of what the pack held, so a pack
already superseded by a newer one can still be confirmed (the person uploaded the older one): its
values are recorded, and the newer pack's own changes stay awaiting.

Confirming from the floor's product export (``--from-export FILE``) confirms only the operations whose
values the export shows: a new listing whose variants are all there at its price, a price or stock
equal to the value sent, a delisting whose variants are gone or hidden. The rest stays awaiting and is
repeated by the next pack. Confirming twice changes nothing; an entry whose target has since been
confirmed with a newer value is skipped (an old pack never takes a listing back).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, select, update

from core.channels import AccountSummary
from core.db import Store
from core.errors import InputRejected, NotFound
from core.models import utcnow
from core.ports import Connector, ExportedVariant
from core.sync.models import LISTING, OPERATION, UPLOAD_PACK, OpState
from core.sync.packs import MANIFEST, PACK_CONFIRMED, PACK_OPEN, assisted_connector

__all__ = ["ConfirmResult", "PackView", "confirm_pack", "list_packs"]

log = structlog.get_logger(__name__)


@dataclass
class ConfirmResult:
    pack_id: int
    state: str
    confirmed: int = 0
    already: int = 0  # done before (confirming twice changes nothing)
    outdated: int = 0  # a newer value of the same target was confirmed since
    unconfirmed: list[str] = field(default_factory=list)  # not shown by the export: the next pack repeats them


@dataclass(frozen=True, slots=True)
class PackView:
    id: int
    state: str
    operations: int
    created_at: datetime
    confirmed_at: datetime | None
    confirmed_by: str | None
    path: str
    written: bool  # False: the folder is missing (a crash); the next push writes it again


def list_packs(store: Store, account_id: int) -> list[PackView]:
    """The account's packs, newest first."""
    query = select(UPLOAD_PACK).where(UPLOAD_PACK.c.account_id == account_id).order_by(UPLOAD_PACK.c.id.desc())
    with store.engine.connect() as conn:
        return [
            PackView(r.id, r.state, r.operations, r.created_at, r.confirmed_at, r.confirmed_by, r.path,
                     bool(r.path) and Path(r.path, MANIFEST).is_file())
            for r in conn.execute(query)
        ]  # fmt: skip


def _pack(conn: Connection, account_id: int, pack_id: int | None) -> Any:
    query = select(UPLOAD_PACK).where(UPLOAD_PACK.c.account_id == account_id)
    if pack_id is not None:
        row = conn.execute(query.where(UPLOAD_PACK.c.id == pack_id)).first()
        if row is None:
            raise NotFound(f"pack {pack_id} is not a pack of this account", hint="see 'chosync assisted packs'")
        return row
    row = conn.execute(query.where(UPLOAD_PACK.c.state == PACK_OPEN).order_by(UPLOAD_PACK.c.id.desc())).first()
    if row is None:
        raise NotFound("this account has no open pack to confirm", hint="see 'chosync assisted packs'")
    return row


def _same(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return norm(b) in norm(a)


def _shown(entry: Mapping[str, Any], variants: list[str], export: Mapping[str, ExportedVariant]) -> bool:
    """Whether the floor's export shows what this entry set."""
    kind, sku = entry["kind"], entry.get("variant_sku")
    if kind == "delist":
        return all(v not in export or export[v].hidden for v in variants)
    if kind in ("price", "stock"):
        seen = export.get(sku or "")
        return seen is not None and getattr(seen, kind) == entry["new"]
    wanted = list(entry["prices"]) if kind == "create" else variants
    for variant in wanted:
        seen = export.get(variant)
        if seen is None or seen.hidden:
            return False
        if kind == "create" and seen.price is not None and seen.price != entry["prices"][variant]:
            return False
        if seen.name is not None and not _same(seen.name, entry["name"]):
            return False
    return bool(wanted)


def _apply(conn: Connection, entry: Mapping[str, Any], listing: Any, now: datetime) -> None:
    kind = entry["kind"]
    values: dict[str, Any] = {"updated_at": now, "last_error": None}
    if kind in ("create", "update"):
        # The floor knows the listing by our product SKU: it stands for the item id we cannot learn
        # (core/sync/rebind.py swaps it for the real one if the channel later gets an API connector).
        values |= {"item_id": listing.item_id or entry["product_sku"], "content_hash": entry["content_hash"],
                   "status": "live"}  # fmt: skip
        if kind == "create":
            values |= {"prices": {**(listing.prices or {}), **entry["prices"]},
                       "stocks": {**(listing.stocks or {}), **entry["stocks"]}}  # fmt: skip
    elif kind == "delist":
        values["status"] = "delisted"
    else:
        column = "prices" if kind == "price" else "stocks"
        values[column] = {**(getattr(listing, column) or {}), entry["variant_sku"]: entry["new"]}
    conn.execute(update(LISTING).where(LISTING.c.id == entry["listing_id"]).values(values))


def confirm_pack(
    store: Store,
    account: AccountSummary,
    connector: Connector,
    *,
    by: str,
    pack_id: int | None = None,
    export: Path | None = None,
    now: Callable[[], datetime] = utcnow,
) -> ConfirmResult:
    """Confirm a pack (the open one by default), wholly or as far as ``export`` shows it."""
    floor = assisted_connector(connector)
    with store.engine.connect() as conn:
        pack = _pack(conn, account.id, pack_id)
    if pack.state == PACK_CONFIRMED:
        return ConfirmResult(pack.id, pack.state, already=pack.operations)
    manifest_path = Path(pack.path or ".", MANIFEST)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound(
            f"pack {pack.id} has no readable {MANIFEST} in {pack.path or 'its folder'}",
            hint="run 'chosync sync' for this account: it writes an unwritten pack again",
        ) from None
    entries: list[dict[str, Any]] = sorted(manifest.get("entries") or [], key=lambda e: e["op_id"])
    if manifest.get("pack_id") != pack.id or not entries:
        raise InputRejected(f"{manifest_path} is not the manifest of pack {pack.id}")
    shown = floor.read_product_export(export) if export is not None else None
    result = ConfirmResult(pack.id, pack.state)
    moment = now()
    with store.engine.begin() as conn:
        ops = {
            r.id: r for r in conn.execute(select(OPERATION).where(OPERATION.c.id.in_([e["op_id"] for e in entries])))
        }
        listing_ids = sorted({e["listing_id"] for e in entries})
        listings = {r.id: r for r in conn.execute(select(LISTING).where(LISTING.c.id.in_(listing_ids)))}
        for entry in entries:
            op = ops.get(entry["op_id"])
            if op is None or op.state == OpState.DONE.value:
                result.already += 1
                continue
            newer_done = conn.execute(
                select(OPERATION.c.id).where(
                    OPERATION.c.listing_id == op.listing_id, OPERATION.c.kind == op.kind, OPERATION.c.id > op.id,
                    OPERATION.c.state == OpState.DONE.value,
                    OPERATION.c.variant_sku.is_(None) if op.variant_sku is None
                    else OPERATION.c.variant_sku == op.variant_sku,
                )
            ).first()  # fmt: skip
            if newer_done is not None:
                result.outdated += 1
                continue
            listing = listings[entry["listing_id"]]
            if shown is not None and not _shown(entry, sorted(listing.prices or {}), shown):
                result.unconfirmed.append(f"{entry['kind']} {entry.get('variant_sku') or entry['product_sku']}")
                continue
            _apply(conn, entry, listing, moment)
            listings[listing.id] = conn.execute(select(LISTING).where(LISTING.c.id == listing.id)).one()
            conn.execute(update(OPERATION).where(OPERATION.c.id == op.id).values(
                state=OpState.DONE.value, error=None, error_code=None, updated_at=moment))  # fmt: skip
            result.confirmed += 1
        if not result.unconfirmed:
            result.state = PACK_CONFIRMED
            conn.execute(update(UPLOAD_PACK).where(UPLOAD_PACK.c.id == pack.id).values(
                state=PACK_CONFIRMED, confirmed_at=moment, confirmed_by=by[:64]))  # fmt: skip
    log.info("assisted.pack_confirmed", seller=account.seller, channel=account.channel, pack_id=pack.id,
             confirmed=result.confirmed, unconfirmed=len(result.unconfirmed), outdated=result.outdated)  # fmt: skip
    return result
