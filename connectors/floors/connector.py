"""Assisted channels: floors with no seller API, where chosync prepares the work and a person uploads it.

Voso (Viettel Post) and the provincial trading floor publish no seller API: sellers work in a web seller
centre. An **assisted connector** keeps them in the same loop as API channels without pretending to
call anything:

- **push**: the core plans as for any channel, then (seeing :class:`~core.ports.Assisted`) writes
  the due operations into an **upload pack** (``core/sync/packs.py``): the floor's import spreadsheet,
  the images named as the floor wants, and a checklist in Vietnamese. The operations wait for the person
  to confirm the pack. This module supplies the floor-specific parts: the mapper (limits from the toml),
  image reading and naming, and the sheet in the toml's column layout (:mod:`connectors.floors.files`).
- **pull**: :meth:`AssistedConnector.pull_orders` scans the account's ``inbox/`` for order exports
  (CSV/XLSX in the toml's layout). Each file is read whole or refused whole: a good one becomes one
  :class:`~core.ports.OrderBatch` and moves to ``processed/`` once the core has stored it; a bad
  one moves to ``rejected/`` with ``<file>.errors.txt`` beside it naming every bad row, and the pull
  reports it as failed. The scheduler's pull job therefore imports the inbox like any pull.

The write methods of :class:`~core.ports.Connector` refuse (a PermanentError saying why), and so does
reading listings back: the read-back of an assisted floor is its product export, given to ``chosync
assisted confirm --from-export``. A channel module is a subclass naming its channel (``voso``,
``provincial``); its toml is `config/channels/<channel>.toml`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx
import structlog

from connectors.floors.config import AssistedConfig, load_assisted_config
from connectors.floors.files import (
    AssistedListing,
    AssistedVariant,
    ExportRejected,
    read_order_export,
    read_product_export,
    write_upload_sheet,
)
from connectors.kit.connector import Clock, ConfiguredConnector
from connectors.kit.description import origin_of
from connectors.kit.images import ImageFetcher, fit_image
from connectors.kit.listing_checks import ListingChecks
from core.catalog.records import ProductRecord
from core.errors import ConfigError, InputRejected, PermanentError, UsageError
from core.logs import scrub
from core.ports import (
    AccountRules,
    BatchResult,
    ChannelAccount,
    ExportedVariant,
    ListingRef,
    ListingState,
    MappedListing,
    Order,
    OrderBatch,
    PriceUpdate,
    Problem,
    StockUpdate,
    TokenStore,
    UploadLine,
    VariantStatus,
)

__all__ = [
    "FOLDERS",
    "AssistedConnector",
    "AssistedListing",
    "map_listing",
]

FOLDERS = ("packs", "inbox", "processed", "rejected")
_log = structlog.get_logger("chosync.connectors.assisted")
_EXPORT_SUFFIXES = (".csv", ".xlsx")


def map_listing(
    product: ProductRecord, rules: AccountRules, config: AssistedConfig, /
) -> MappedListing[AssistedListing] | list[Problem]:
    """The floor's listing of ``product`` (limits from the toml), or every problem that stops it."""
    limits, title = config.limits, config.title
    run = ListingChecks(product, limits, channel=title, template=config.description_template)
    name, description = run.name(), run.description()
    run.image_count()
    category = config.category_map.get(product.category)
    if category is None and config.category_required:
        run.problem("category", f"category {product.category} has no {title} category mapped")
    active = [v for v in product.variants if v.status is VariantStatus.ACTIVE]
    if not active:
        run.problem("variants", "the product has no active variant to sell")
    for sku in (product.sku, *(v.sku for v in active)):
        if len(sku) > limits.sku_max_chars:
            run.problem("sku", f"SKU {sku} is longer than {title}'s {limits.sku_max_chars} characters")
    if run.problems:
        return run.problems
    listing = AssistedListing(
        product_sku=product.sku, name=name, description=description,
        category=str(category if category is not None else product.category), brand=product.brand or "",
        images=product.images, weight_g=product.weight_g, origin=origin_of(product), ocop_stars=product.ocop_stars,
        ocop_certificate=product.ocop_certificate or "", traceability_code=product.traceability_code or "",
        traceability_url=product.traceability_url or "",
        variants=tuple(
            AssistedVariant(sku=v.sku, options=tuple((o.name, o.value) for o in v.options),
                            weight_g=v.weight_g if product.packages_differ else None)
            for v in active
        ),
    )  # fmt: skip
    return MappedListing[AssistedListing](
        sku=product.sku,
        content=listing,
        prices={v.sku: rules.price_for(v.price_vnd) for v in active},
        stocks={v.sku: rules.stock_for(v.stock) for v in active},
    )


class _Refusal:
    """An async iterator that refuses at its first step (reading back needs an API these floors lack)."""

    def __init__(self, error: PermanentError) -> None:
        self._error = error

    def __aiter__(self) -> _Refusal:
        return self

    async def __anext__(self) -> ListingState:
        raise self._error


def _manual(what: str, channel: str) -> PermanentError:
    return PermanentError(
        f"{channel} has no seller API: chosync cannot {what} there",
        hint=f"changes for {channel} go in an upload pack (chosync sync), confirmed with 'chosync assisted confirm'",
    )


class AssistedConnector(ConfiguredConnector[AssistedConfig, AssistedListing]):
    """A floor worked by hand through upload packs and exported files (subclasses set ``channel``).

    ``folder`` is the account's working folder, by default the one its config names (built from an
    account, always set: see :meth:`account_config`). ``tokens`` is accepted and unused: no floor
    without an API hands out tokens.
    """

    def __init__(
        self,
        config: AssistedConfig,
        *,
        folder: Path | None = None,
        http: httpx.AsyncClient | None = None,
        tokens: TokenStore | None = None,
        rules: AccountRules | None = None,
        now: Clock | None = None,
    ) -> None:
        super().__init__(config, http=http, tokens=tokens, rules=rules, now=now)
        folder = folder or config.folder
        if folder is None:
            raise ConfigError(f"no working folder for this {config.title} account", hint="set its folder setting")
        self._folder = folder
        limits = config.limits
        self._images = ImageFetcher(
            http,
            marketplace=config.title,
            # A photo is scaled down after it is read: what is read may be more than the floor takes.
            max_bytes=limits.image_source_max_bytes if limits.image_max_px else limits.image_max_bytes,
            timeout_s=config.http_timeout_s,
            allowed_hosts=config.images.allowed_hosts,
        )

    @classmethod
    def load_config(cls, settings: Mapping[str, Any]) -> AssistedConfig:
        return load_assisted_config(cls.channel, **settings)

    @classmethod
    def account_config(cls, account: ChannelAccount) -> AssistedConfig:
        """The account's config, its working folder settled: the ``folder`` setting, or else
        ``assisted/<seller>/<account name>``, under the working directory when relative."""
        config = cls.load_config(account.settings)
        folder = config.folder or Path("assisted") / (account.seller or "_") / (account.name or cls.channel)
        return config.model_copy(update={"folder": folder if folder.is_absolute() else Path.cwd() / folder})

    # --- the Assisted side -----------------------------------------------------------------------

    @property
    def folder(self) -> Path:
        return self._folder

    @property
    def title(self) -> str:
        return self.config.title

    @property
    def seller_centre_url(self) -> str:
        return self.config.seller_centre_url

    def subfolder(self, name: str) -> Path:
        """One of :data:`FOLDERS`, created on first use."""
        path = self._folder / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def image_file_name(self, product_sku: str, position: int, reference: str) -> str:
        suffix = Path(unquote(urlparse(reference).path)).suffix.lower() or ".jpg"
        return self.config.upload.image_name.format(product_sku=product_sku, n=position, ext=suffix)

    async def read_image(self, reference: str) -> bytes:
        """The image as the floor takes it: fetched and checked by the kit, scaled to the floor's size."""
        image = await self._images.fetch(reference)
        content = await asyncio.to_thread(fit_image, image.content, max_px=self.config.limits.image_max_px)
        if len(content) > self.config.limits.image_max_bytes:
            raise PermanentError(scrub(f"image {reference}: {len(content)} bytes is more than {self.title} takes"))
        return content

    def write_upload_sheet(self, directory: Path, lines: Sequence[UploadLine]) -> str:
        return write_upload_sheet(directory, self.config.upload, lines)

    def read_product_export(self, path: Path) -> dict[str, ExportedVariant]:
        return read_product_export(path, self.config.products)

    def read_order_export(self, path: Path) -> tuple[Order, ...]:
        snapshot = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        return read_order_export(path, self.config.orders, snapshot=snapshot)

    # --- Connector: push ---------------------------------------------------------------------------

    def map_product(self, product: ProductRecord) -> MappedListing[AssistedListing] | list[Problem]:
        return map_listing(product, self.rules, self.config)

    async def create_listing(self, product: ProductRecord) -> ListingRef:
        raise _manual("create a listing", self.channel)

    async def update_listing(self, ref: ListingRef, product: ProductRecord) -> ListingRef:
        raise _manual("update a listing", self.channel)

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> BatchResult:
        raise _manual("set prices", self.channel)

    async def update_stock(self, updates: Sequence[StockUpdate]) -> BatchResult:
        raise _manual("set stock", self.channel)

    async def delist(self, refs: Sequence[ListingRef], *, delete: bool = False) -> BatchResult:
        raise _manual("delist", self.channel)

    async def find_by_sku(self, sku: str) -> ListingRef | None:
        raise _manual("look a SKU up", self.channel)

    def listing_states(self) -> AsyncIterator[ListingState]:
        return _Refusal(
            PermanentError(
                f"{self.channel} has no seller API to read listings back from",
                hint="export the products from the seller centre and run 'chosync assisted confirm --from-export'",
            )
        )

    # --- Connector: pull (the inbox) ---------------------------------------------------------------

    async def pull_orders(self, cursor: str | None) -> AsyncIterator[OrderBatch]:
        """One batch per good export in ``inbox/`` (oldest name first); bad ones go to ``rejected/``."""
        inbox = self.subfolder("inbox")
        rejected: list[str] = []
        for path in sorted(inbox.iterdir()):
            if not path.is_file() or path.name.startswith((".", "~$")):
                continue  # being copied in (chosync writes a dot name first), or an Excel lock file
            if path.suffix.lower() not in _EXPORT_SUFFIXES:
                _log.warning("assisted.inbox_ignored", file=path.name, reason="not a .csv or .xlsx file")
                continue
            try:
                orders = await asyncio.to_thread(self.read_order_export, path)
            except (InputRejected, UsageError) as exc:
                problems = exc.problems if isinstance(exc, ExportRejected) else []
                self._reject(path, str(exc))
                rejected.append(exc.message if isinstance(exc, ExportRejected) else f"{path.name}: {exc.message}")
                _log.warning("assisted.export_rejected", file=path.name, problems=len(problems) or 1)
                continue
            yield OrderBatch(orders=orders, cursor=json.dumps({"v": 1, "file": path.name}, ensure_ascii=False))
            # Reached only once the core has stored the batch: a crash before leaves the file to be read again.
            self._move(path, self.subfolder("processed"))
            _log.info("assisted.export_imported", file=path.name, orders=len(orders))
        if rejected:
            raise InputRejected(
                f"{len(rejected)} order export(s) rejected whole, nothing of them applied.\n" + "\n".join(rejected),
                hint=f"read the .errors.txt beside each file in {self.subfolder('rejected')}, fix, drop it in again",
            )

    def _move(self, path: Path, folder: Path) -> Path:
        target = folder / path.name
        if target.exists():
            stamp = self._now().strftime("%Y%m%d-%H%M%S")
            target = folder / f"{path.stem}-{stamp}-{os.getpid()}{path.suffix}"
        path.replace(target)
        return target

    def prune_exports(self, older_than: datetime) -> int:
        """Delete imported and rejected order exports (buyers' personal data) last changed before ``older_than``.

        A rejected file goes with its ``.errors.txt``. Packs stay: they hold no buyer data and are the record
        of what was asked of the floor.
        """
        cutoff = older_than.timestamp()
        removed = 0
        for name in ("processed", "rejected"):
            folder = self._folder / name
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    removed += 0 if path.name.endswith(".errors.txt") else 1
        if removed:
            _log.info("assisted.exports_pruned", files=removed, before=older_than.isoformat())
        return removed

    def _reject(self, path: Path, message: str) -> None:
        target = self._move(path, self.subfolder("rejected"))
        errors = target.with_name(f"{target.name}.errors.txt")
        errors.write_text(scrub(message) + "\n", encoding="utf-8")
