"""Upload packs: what a push sends to an assisted floor (no seller API) is a folder a person uploads.

A push of an assisted account plans and queues exactly as for any channel; then :func:`write_pack` turns
every operation not yet confirmed into ONE pack in ``<account folder>/packs/pack-<id>-<time>/``: the
floor's import spreadsheet (the connector writes it, in the toml's layout), the listings' images named
and sized as the floor wants (the connector's ``read_image`` scales them to the toml's limit), a checklist
in Markdown and HTML (:mod:`core.sync.checklist`) and ``manifest.json``, the exact record of what the
pack holds, which confirming reads. The operations move to ``awaiting_confirmation`` with the pack's id.

Nothing is lost or half written (DESIGN rule 2). Images are fetched into a hidden folder
(``packs/.writing-…``); then one transaction records the pack (state ``open``), supersedes the previous
open pack and marks the operations; then the sheet, checklists and manifest are written and the hidden
folder is renamed to its final name. A crash before the transaction leaves only a hidden folder (removed
by the next push); a crash after it leaves an open pack with no folder, which the next push writes again
whole, under the same id. Nobody ever sees a half pack.

A newer pack supersedes an open one and repeats everything not confirmed (its operations move to the new
pack), never what was confirmed (those are done). Running a push with nothing new changes nothing.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

import structlog
from pydantic import BaseModel
from sqlalchemy import Connection, select, update

from core.catalog.records import ProductRecord
from core.channels import AccountSummary
from core.db import Store
from core.errors import ConfigError, PermanentError, RetryableError, UsageError
from core.logs import scrub
from core.models import PRODUCT, ProductStatus, VariantStatus, utcnow
from core.ports import Assisted, Connector, MappedListing, Problem, UploadLine, payload_hash
from core.sync.checklist import ChecklistHeader, content_changes, render_html, render_markdown
from core.sync.models import LISTING, OPERATION, UPLOAD_PACK, OpKind, OpState
from core.sync.plan import load_products

__all__ = [
    "MANIFEST",
    "PACK_CONFIRMED",
    "PACK_OPEN",
    "PACK_SUPERSEDED",
    "PackEntry",
    "PackResult",
    "assisted_connector",
    "write_pack",
]

log = structlog.get_logger(__name__)
PACK_OPEN, PACK_SUPERSEDED, PACK_CONFIRMED = "open", "superseded", "confirmed"
MANIFEST = "manifest.json"
_STAGE = ".writing-"
_VIETNAM = timezone(timedelta(hours=7))
_DUE = (OpState.PLANNED, OpState.RETRY_WAIT, OpState.UNKNOWN, OpState.SENDING, OpState.AWAITING)
_ORDER = {"create": 0, "delist": 1, "update": 2, "price": 3, "stock": 4}
_SHEET_ACTION = {"create": "new", "update": "update", "price": "price", "stock": "stock", "delist": "delist"}


@dataclass
class PackEntry:
    """One operation as the pack shows it; ``old`` is the last confirmed value, ``new`` the one to set."""

    op_id: int
    listing_id: int
    product_id: int
    kind: str
    product_sku: str
    name: str
    variant_sku: str | None = None
    old: int | None = None
    new: int | None = None
    content_hash: str | None = None
    prices: dict[str, int] = field(default_factory=dict)  # a new listing's, per variant SKU
    stocks: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # variant SKU → its options ("5kg")
    images: list[str] = field(default_factory=list)  # file names in images/
    # A new or updated listing's facts as the floor shows them (name, description, ...), so that a later
    # update can say what changed since the confirmed one; and, for an update, that "field: old → new".
    content: dict[str, str] = field(default_factory=dict)
    changes: list[str] | None = None  # None: the confirmed content is in no pack left to compare with


@dataclass
class PackResult:
    pack_id: int | None = None
    path: Path | None = None
    entries: int = 0
    written: bool = False
    replaced: int | None = None
    failed: list[str] = field(default_factory=list)
    title: str = ""  # the floor's name and seller centre, for saying where the pack goes next
    seller_centre_url: str = ""

    @property
    def awaiting(self) -> int:
        return self.entries


class _AssistedConnector(Connector, Assisted, Protocol):
    """Both halves, for the type checker: a connector that is also assisted."""


def assisted_connector(connector: Connector) -> _AssistedConnector:
    if not isinstance(connector, Assisted):
        raise UsageError(f"{connector.channel} is not an assisted channel: it has no upload packs")
    return connector


def _due(conn: Connection, account_id: int) -> list[Any]:
    query = (
        select(OPERATION, PRODUCT.c.id.label("product_id"), PRODUCT.c.sku.label("product_sku"),
               PRODUCT.c.name.label("product_name"), LISTING.c.item_id, LISTING.c.prices.label("bound_prices"),
               LISTING.c.stocks.label("bound_stocks"), LISTING.c.content_hash.label("bound_hash"))
        .join(LISTING, LISTING.c.id == OPERATION.c.listing_id)
        .join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id)
        .where(OPERATION.c.account_id == account_id, OPERATION.c.state.in_([s.value for s in _DUE]))
        .order_by(OPERATION.c.id)
    )  # fmt: skip
    return list(conn.execute(query))


def _prune(rows: list[Any], products: dict[int, ProductRecord]) -> tuple[list[Any], list[Any]]:
    """(kept, dropped): the newest operation per target; a delist drops the listing's other changes; a
    change the catalog no longer wants (a delist of a product sold again, a price of an archived one)."""
    newest: dict[tuple[int, str, str | None], Any] = {}
    for row in rows:
        newest[(row.listing_id, row.kind, row.variant_sku)] = row
    delisted = {row.listing_id for row in newest.values() if row.kind == OpKind.DELIST.value}
    kept = []
    for row in newest.values():
        product = products.get(row.product_id)
        selling = (
            product is not None
            and product.status is ProductStatus.ACTIVE
            and any(v.status is VariantStatus.ACTIVE for v in product.variants)
        )
        delist = row.kind == OpKind.DELIST.value
        if (not selling) if delist else (selling and row.listing_id not in delisted):
            kept.append(row)
    kept_ids = {row.id for row in kept}
    return kept, [row for row in rows if row.id not in kept_ids]


def _open_pack(conn: Connection, account_id: int) -> Any:
    return conn.execute(
        select(UPLOAD_PACK)
        .where(UPLOAD_PACK.c.account_id == account_id, UPLOAD_PACK.c.state == PACK_OPEN)
        .order_by(UPLOAD_PACK.c.id.desc())
    ).first()


class _Builder:
    """Entries, sheet lines and images of one pack, fetched into its hidden staging folder."""

    def __init__(self, connector: _AssistedConnector, stage: Path, earlier: Sequence[Path] = ()) -> None:
        self.connector = connector
        self.stage = stage
        self.entries: list[PackEntry] = []
        self.lines: list[UploadLine] = []
        self.failed: dict[int, str] = {}  # op id → why it cannot go in a pack
        self._earlier = earlier  # the account's earlier pack folders, newest first
        self._contents: dict[tuple[int, str], dict[str, str]] | None = None

    def confirmed_content(self, listing_id: int, content_hash: str | None) -> dict[str, str] | None:
        """The facts of the content the binding holds as confirmed (found by its hash in an earlier
        pack's manifest: the hash is of that very content), or None when no pack left on disk has it."""
        if content_hash is None:
            return None
        if self._contents is None:
            self._contents = {}
            for folder in self._earlier:
                try:
                    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue  # a pack folder removed by hand: its contents are simply not known
                for entry in manifest.get("entries") or []:
                    if entry.get("content") and entry.get("content_hash"):
                        key = (int(entry["listing_id"]), str(entry["content_hash"]))
                        self._contents.setdefault(key, entry["content"])
        return self._contents.get((listing_id, content_hash))

    async def add_product(self, product: ProductRecord, rows: Sequence[Any]) -> None:
        mapped = self.connector.map_product(product)
        listing = mapped if isinstance(mapped, MappedListing) else None
        content_kinds = {row.kind for row in rows} & {"create", "update"}
        if content_kinds and listing is None:
            reason = "; ".join(f"{p.field}: {p.message}" for p in mapped if isinstance(p, Problem))
            for row in rows:
                self.failed[row.id] = f"{product.sku} cannot be listed: {reason}"
            return
        images: list[str] = []
        if content_kinds and listing is not None:
            try:
                images = await self._images(product)
            except PermanentError as exc:
                for row in rows:
                    self.failed[row.id] = scrub(str(exc))
                return
        per_variant: dict[str, list[str]] = {}
        variants = list(listing.prices) if listing else [v.sku for v in product.variants]
        labels = {v.sku: " ".join(o.value for o in v.options) for v in product.variants}
        for row in sorted(rows, key=lambda r: _ORDER[r.kind]):
            entry = PackEntry(row.id, row.listing_id, product_id=row.product_id, kind=row.kind,
                              product_sku=product.sku, name=product.name, variant_sku=row.variant_sku,
                              new=row.value)  # fmt: skip
            if row.kind in ("create", "update") and listing is not None:
                entry.content_hash, entry.images = payload_hash(listing.content), images
                entry.content = _facts(listing.content)
                if row.kind == "update":
                    entry.changes = content_changes(self.confirmed_content(row.listing_id, row.bound_hash),
                                                    entry.content)  # fmt: skip
                if row.kind == "create":
                    entry.prices, entry.stocks = dict(listing.prices), dict(listing.stocks)
                    entry.labels = {sku: labels.get(sku, "") for sku in listing.prices}
            elif row.kind in ("price", "stock"):
                bound = (row.bound_prices if row.kind == "price" else row.bound_stocks) or {}
                entry.old = bound.get(row.variant_sku)
            self.entries.append(entry)
            for sku in [row.variant_sku] if row.variant_sku else variants:
                per_variant.setdefault(sku, []).append(_SHEET_ACTION[row.kind])
        values = {(r.kind, r.variant_sku): r.value for r in rows if r.kind in ("price", "stock")}
        for sku, actions in per_variant.items():
            gone = "delist" in actions
            price = values.get(("price", sku), listing.prices.get(sku) if listing else None)
            stock = values.get(("stock", sku), listing.stocks.get(sku) if listing else None)
            self.lines.append(UploadLine(
                action="+".join(actions), product_sku=product.sku, variant_sku=sku, name=product.name,
                listing=listing.content if listing else None, price=None if gone else price,
                stock=None if gone else stock, image_files=tuple(images),
            ))  # fmt: skip

    async def _images(self, product: ProductRecord) -> list[str]:
        folder = self.stage / "images"
        folder.mkdir(parents=True, exist_ok=True)
        names = []
        for position, reference in enumerate(product.images, start=1):
            name = self.connector.image_file_name(product.sku, position, reference)
            if not (folder / name).exists():
                # read_image hands back the image as the floor takes it (checked, scaled to its size).
                (folder / name).write_bytes(await self.connector.read_image(reference))
            names.append(name)
        return names


def _facts(content: object) -> dict[str, str]:
    """A listing's content as text per field, for the checklist to compare (the SKU is the key, not a fact)."""
    data: dict[str, Any] = content.model_dump(mode="json") if isinstance(content, BaseModel) else {}
    facts: dict[str, str] = {}
    for key, value in data.items():
        if key == "product_sku":
            continue
        if key == "variants":
            text = ", ".join(" ".join(str(o[1]) for o in v.get("options") or []) or str(v.get("sku")) for v in value)
        elif key == "images":
            text = "\n".join(str(reference) for reference in value)
        elif isinstance(value, list | dict):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = "" if value is None else str(value)
        facts[key] = text
    return facts


def _write_files(stage: Path, header: ChecklistHeader, builder: _Builder, account: AccountSummary) -> None:
    """Sheet, checklists and manifest into the hidden folder (the last step before its rename)."""
    header = replace(header, sheet=builder.connector.write_upload_sheet(stage, builder.lines))
    (stage / "checklist.md").write_text(render_markdown(header, builder.entries), encoding="utf-8")
    (stage / "checklist.html").write_text(render_html(header, builder.entries), encoding="utf-8")
    manifest = {
        "pack_id": header.pack_id, "account_id": account.id, "seller": account.seller, "channel": account.channel,
        "account": account.name, "created_at": header.created_at.isoformat(), "sheet": header.sheet,
        "replaces": header.replaces, "entries": [asdict(entry) for entry in builder.entries],
    }  # fmt: skip
    (stage / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _record(conn: Connection, account: AccountSummary, builder: _Builder, dropped: list[Any], *,
            pack_id: int | None, open_id: int | None, now: datetime) -> int | None:  # fmt: skip
    """The transaction: drop, fail, put the entries' operations in the pack (a new one when ``pack_id``
    is None), supersede the old open pack. Returns the pack id (None when nothing is left to pack)."""
    if dropped:
        ids = [row.id for row in dropped]
        conn.execute(update(OPERATION).where(OPERATION.c.id.in_(ids)).values(state=OpState.SUPERSEDED.value,
                                                                              updated_at=now))  # fmt: skip
    for op_id, reason in builder.failed.items():
        conn.execute(update(OPERATION).where(OPERATION.c.id == op_id).values(
            state=OpState.FAILED.value, error=reason, error_code="PermanentError", updated_at=now))  # fmt: skip
        listing_id = select(OPERATION.c.listing_id).where(OPERATION.c.id == op_id).scalar_subquery()
        conn.execute(update(LISTING).where(LISTING.c.id == listing_id).values(last_error=reason, updated_at=now))
    if pack_id is None and builder.entries:
        inserted = conn.execute(UPLOAD_PACK.insert().values(
            account_id=account.id, state=PACK_OPEN, path="", operations=len(builder.entries), created_at=now,
        )).inserted_primary_key  # fmt: skip
        assert inserted is not None
        pack_id = int(inserted[0])
    if open_id is not None and open_id != pack_id:
        conn.execute(update(UPLOAD_PACK).where(UPLOAD_PACK.c.id == open_id).values(state=PACK_SUPERSEDED))
    if pack_id is None:
        return None
    ids = [entry.op_id for entry in builder.entries]
    conn.execute(update(OPERATION).where(OPERATION.c.id.in_(ids)).values(
        state=OpState.AWAITING.value, pack_id=pack_id, error=None, error_code=None, updated_at=now))  # fmt: skip
    new_listings = [e.listing_id for e in builder.entries if e.kind == "create"]
    if new_listings:
        conn.execute(update(LISTING).where(LISTING.c.id.in_(new_listings), LISTING.c.item_id.is_(None))
                     .values(status="awaiting", updated_at=now))  # fmt: skip
    conn.execute(update(UPLOAD_PACK).where(UPLOAD_PACK.c.id == pack_id).values(operations=len(ids)))
    return int(pack_id)


def _packs_folder(floor: _AssistedConnector) -> Path:
    """``<account folder>/packs``, created, without what a crash left half-staged."""
    packs = floor.folder / "packs"
    try:
        packs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot write upload packs in {packs}: {exc.strerror}",
            hint="set the account's folder setting to a folder chosync may write in",
        ) from exc
    for stale in packs.glob(f"{_STAGE}*"):  # left by a crash before its pack was recorded
        shutil.rmtree(stale, ignore_errors=True)
    return packs


async def write_pack(
    store: Store, account: AccountSummary, connector: Connector, *, now: Callable[[], datetime] = utcnow
) -> PackResult:
    """Write (or refresh) the account's upload pack from its unconfirmed operations; see the module doc."""
    floor = assisted_connector(connector)
    packs = _packs_folder(floor)
    with store.engine.begin() as conn:
        rows = _due(conn, account.id)
        products = load_products(conn, sorted({row.product_id for row in rows}))
        open_pack = _open_pack(conn, account.id)
        earlier = [Path(p) for p in conn.execute(select(UPLOAD_PACK.c.path).where(
            UPLOAD_PACK.c.account_id == account.id, UPLOAD_PACK.c.path != "").order_by(UPLOAD_PACK.c.id.desc())
        ).scalars()]  # fmt: skip
    kept, dropped = _prune(rows, products)
    open_id = None if open_pack is None else int(open_pack.id)
    fresh = any(row.state != OpState.AWAITING.value or row.pack_id != open_id for row in kept)
    # A pack partly confirmed (from an export) holds done changes: the next one repeats only the rest.
    partly_done = open_pack is not None and open_pack.operations != len(kept)
    changed = fresh or partly_done or any(row.state == OpState.AWAITING.value for row in dropped)
    folder_missing = open_pack is not None and not (open_pack.path and Path(open_pack.path).is_dir())
    if not changed and not folder_missing:
        result = PackResult(open_id, Path(open_pack.path) if open_pack else None, entries=len(kept))
        if dropped:
            with store.engine.begin() as conn:
                _record(conn, account, _Builder(floor, packs), dropped, pack_id=open_id, open_id=open_id, now=now())
        return result
    stage = packs / f"{_STAGE}{uuid.uuid4().hex}"
    stage.mkdir()
    try:
        builder = _Builder(floor, stage, earlier)
        by_product: dict[int, list[Any]] = {}
        for row in kept:
            by_product.setdefault(row.product_id, []).append(row)
        for product_id, product_rows in by_product.items():
            await builder.add_product(products[product_id], product_rows)
        builder.entries = [e for e in builder.entries if e.op_id not in builder.failed]
        created = now()
        with store.engine.begin() as conn:
            pack_id = _record(conn, account, builder, dropped, pack_id=None if changed else open_id,
                              open_id=open_id, now=created)  # fmt: skip
            if pack_id is None:
                shutil.rmtree(stage, ignore_errors=True)
                return PackResult(failed=list(builder.failed.values()), replaced=open_id)
            rewrite = not changed and open_pack is not None and bool(open_pack.path)
            local = created.astimezone(_VIETNAM)  # the folder is named in the time its readers live in
            final = Path(open_pack.path) if rewrite else packs / f"pack-{pack_id:04d}-{local:%Y%m%d-%H%M%S}"
            conn.execute(update(UPLOAD_PACK).where(UPLOAD_PACK.c.id == pack_id).values(path=str(final)))
        header = ChecklistHeader(
            pack_id=pack_id, title=floor.title, seller=account.seller, channel=account.channel, account=account.name,
            created_at=created, seller_centre_url=floor.seller_centre_url, sheet="",
            replaces=open_id if changed and open_id != pack_id else None,
        )  # fmt: skip
        _write_files(stage, header, builder, account)
        stage.rename(final)
    except OSError as exc:  # a full disk, a folder taken away: the next push tries again, whole
        shutil.rmtree(stage, ignore_errors=True)
        raise RetryableError(f"the upload pack could not be written in {packs}: {exc.strerror}") from exc
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    log.info("assisted.pack_written", seller=account.seller, channel=account.channel, pack_id=pack_id,
             entries=len(builder.entries), failed=len(builder.failed), replaces=header.replaces)  # fmt: skip
    return PackResult(pack_id, final, len(builder.entries), written=True, replaced=header.replaces,
                      failed=list(builder.failed.values()))  # fmt: skip
