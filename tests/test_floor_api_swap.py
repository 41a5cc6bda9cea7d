"""An API connector replacing the assisted one for a floor, with nothing in core/ changed.

The stand-in: a test-only connector for channel "voso" that talks to an in-memory floor API (what the
seller centre holds, with the floor's own item and model ids), registered in place of VosoConnector. The
listings confirmed through packs carry over by ``chosync assisted rebind``: looked up by SKU, bound to the
API's ids; what a pack still awaited goes through the API at the next sync; nothing is listed twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Self

import httpx
import pytest
from sqlalchemy import select

from connectors.floors.config import load_assisted_config
from connectors.floors.connector import map_listing
from core.catalog.records import ProductRecord
from core.errors import PermanentError
from core.models import PRODUCT
from core.ports import (
    AccountRules,
    BatchItem,
    BatchResult,
    ChannelAccount,
    ListingRef,
    ListingState,
    ListingStatus,
    MappedListing,
    OrderBatch,
    PriceUpdate,
    Problem,
    StockUpdate,
    TokenStore,
    registry,
)
from core.ports.protocols import implements_assisted, implements_connector
from core.sync.models import LISTING, UPLOAD_PACK
from core.sync.reconcile import reconcile_account
from simulators.floors.centre import SellerCentre
from tests.floors_world import Floors, make_floors
from tests.test_floors import _catalog_change, upload_and_confirm


@dataclass
class _Item:
    product_sku: str
    models: dict[str, str]  # variant SKU → the floor's model id
    prices: dict[str, int | None] = field(default_factory=dict)
    stocks: dict[str, int] = field(default_factory=dict)


class _FloorApi:
    """The floor's API in memory: each listed product under the floor's own item id."""

    def __init__(self, centre: SellerCentre, *, leave_out: Sequence[str] = ()) -> None:
        self.items: dict[str, _Item] = {}
        self.created: list[str] = []
        self.updated: list[str] = []
        for n, product in enumerate(sorted(centre.products.values(), key=lambda p: p.sku)):
            product_sku = product.sku.rsplit("-", 1)[0]
            if product_sku in leave_out:
                continue
            item_id = next((i for i, it in self.items.items() if it.product_sku == product_sku), f"VS-{900 + n}")
            item = self.items.setdefault(item_id, _Item(product_sku, {}))
            item.models[product.sku] = f"M-{n}"
            item.prices[product.sku], item.stocks[product.sku] = product.price, product.stock

    def find(self, ref: ListingRef, variant_sku: str) -> _Item | None:
        item = self.items.get(ref.item_id)
        if item is None or item.models.get(variant_sku) != ref.models.get(variant_sku):
            return None
        return item


class _VosoApiConnector:
    """Voso through an API: a Connector and not Assisted (what a real one would be, minus HTTP)."""

    channel: ClassVar[str] = "voso"
    floor: ClassVar[_FloorApi]

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> None:
        return None

    @classmethod
    def from_account(
        cls,
        account: ChannelAccount,
        *,
        http: httpx.AsyncClient,
        tokens: TokenStore,
        now: Callable[[], datetime] | None = None,
    ) -> Self:
        return cls()

    def map_product(self, product: ProductRecord) -> MappedListing[Any] | list[Problem]:
        return map_listing(product, AccountRules(), load_assisted_config("voso"))

    async def create_listing(self, product: ProductRecord) -> ListingRef:
        self.floor.created.append(product.sku)
        item_id = f"VS-NEW-{len(self.floor.created)}"
        models = {v.sku: f"M-NEW-{v.sku}" for v in product.variants}
        self.floor.items[item_id] = _Item(product.sku, models)
        return ListingRef(item_id=item_id, models=models)

    async def update_listing(self, ref: ListingRef, product: ProductRecord) -> ListingRef:
        if ref.item_id not in self.floor.items:
            raise PermanentError(f"no item {ref.item_id}")
        self.floor.updated.append(ref.item_id)
        return ref

    async def _set(self, updates: Sequence[PriceUpdate] | Sequence[StockUpdate]) -> BatchResult:
        items = []
        for u in updates:
            item = self.floor.find(u.ref, u.variant_sku)
            if item is not None and isinstance(u, PriceUpdate):
                item.prices[u.variant_sku] = u.price_vnd
            elif item is not None and isinstance(u, StockUpdate):
                item.stocks[u.variant_sku] = u.stock
            error = None if item is not None else PermanentError(f"no item {u.ref.item_id} / {u.variant_sku}")
            items.append(BatchItem(item_id=u.ref.item_id, variant_sku=u.variant_sku, error=error))
        return BatchResult(items=tuple(items))

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> BatchResult:
        return await self._set(updates)

    async def update_stock(self, updates: Sequence[StockUpdate]) -> BatchResult:
        return await self._set(updates)

    async def delist(self, refs: Sequence[ListingRef], *, delete: bool = False) -> BatchResult:
        return BatchResult(items=tuple(BatchItem(item_id=ref.item_id) for ref in refs))

    async def find_by_sku(self, sku: str) -> ListingRef | None:
        for item_id, item in self.floor.items.items():
            if item.product_sku == sku:
                return ListingRef(item_id=item_id, models=dict(item.models))
        return None

    async def listing_states(self) -> AsyncIterator[ListingState]:
        for item_id, item in self.floor.items.items():
            yield ListingState(item_id=item_id, sku=item.product_sku, status=ListingStatus.LIVE)

    async def pull_orders(self, cursor: str | None) -> AsyncIterator[OrderBatch]:
        for batch in ():
            yield batch


def _bindings(floors: Floors) -> dict[str, tuple[str | None, dict[str, str]]]:
    query = select(PRODUCT.c.sku, LISTING.c.item_id, LISTING.c.models).join(
        PRODUCT, PRODUCT.c.id == LISTING.c.product_id
    )
    with floors.store.engine.connect() as conn:
        rows = conn.execute(query.where(LISTING.c.account_id == floors.account("voso").id))
        return {row.sku: (row.item_id, dict(row.models or {})) for row in rows}


@pytest.fixture
def floors(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Floors:
    from core.db import open_store

    floors = make_floors(open_store(sqlite_url), tmp_path, monkeypatch)
    floors.push("voso")
    upload_and_confirm(floors, "voso")  # the floor knows the listings; chosync has only stand-in ids
    return floors


def _swap(monkeypatch: pytest.MonkeyPatch, api: _FloorApi) -> None:
    assert implements_connector(_VosoApiConnector) and not implements_assisted(_VosoApiConnector)
    monkeypatch.setattr(_VosoApiConnector, "floor", api, raising=False)
    registry.get_connector_class("voso")  # the real modules registered first, so the swap is what stays
    monkeypatch.setitem(registry._REGISTRY, "voso", _VosoApiConnector)


def test_an_api_connector_takes_over_the_floors_listings_without_listing_them_again(
    floors: Floors, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bindings(floors)["P000000"][0] == "P000000"  # the stand-in a pack confirmation leaves
    _catalog_change(floors, tmp_path, P000000_V0={"price_vnd": "12.500"})
    assert floors.push("voso").pack.pack_id == 2  # type: ignore[union-attr]  # never uploaded

    api = _FloorApi(floors.centres["voso"])
    _swap(monkeypatch, api)
    capsys.readouterr()
    assert floors.cli("assisted", "rebind", "--seller", floors.seller, "--channel", "voso") == 0
    assert "3 listing(s) bound" in capsys.readouterr().out
    bound = _bindings(floors)
    for item_id, item in api.items.items():
        assert bound[item.product_sku] == (item_id, item.models)
    with floors.store.engine.connect() as conn:
        assert conn.execute(select(UPLOAD_PACK.c.state).where(UPLOAD_PACK.c.id == 2)).scalar() == "superseded"

    result = floors.push("voso")
    assert (result.outcome, result.error, result.pack) == ("ok", None, None)
    assert (result.report.created, result.report.updated, result.report.prices) == (0, 0, 1)
    [rice] = [item for item in api.items.values() if item.product_sku == "P000000"]
    assert rice.prices["P000000-V0"] == 12_500  # what pack 2 asked for, sent through the API
    assert api.created == [] and api.updated == []

    # Another change goes straight through; running rebind again finds nothing to do.
    _catalog_change(floors, tmp_path, P000000_V0={"price_vnd": "12.500"}, P000001_V1={"stock": "9"})
    assert floors.push("voso").report.stocks == 1
    assert [item.stocks.get("P000001-V1") for item in api.items.values() if item.product_sku == "P000001"] == [9]
    capsys.readouterr()
    assert floors.cli("assisted", "rebind", "--seller", floors.seller, "--channel", "voso") == 0
    assert "0 listing(s) bound" in capsys.readouterr().out


def test_a_listing_the_api_does_not_find_by_sku_is_reported_and_left_as_it_was(
    floors: Floors, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _swap(monkeypatch, _FloorApi(floors.centres["voso"], leave_out=["P000002"]))
    capsys.readouterr()
    assert floors.cli("assisted", "rebind", "--seller", floors.seller, "--channel", "voso") == 0
    out, err = capsys.readouterr()
    assert "2 listing(s) bound" in out and "not found on voso by SKU (left as they were): P000002" in err
    assert _bindings(floors)["P000002"] == ("P000002", {})


def test_rebind_refuses_while_the_floor_is_still_worked_through_packs(floors: Floors) -> None:
    assert floors.cli("assisted", "rebind", "--seller", floors.seller, "--channel", "voso") == 2
    assert _bindings(floors)["P000000"][0] == "P000000"


def test_the_first_push_after_the_swap_rebinds_by_itself(floors: Floors, monkeypatch: pytest.MonkeyPatch) -> None:
    api = _FloorApi(floors.centres["voso"])
    _swap(monkeypatch, api)
    result = floors.push("voso")  # nobody ran 'chosync assisted rebind'
    assert (result.outcome, result.error, result.pack) == ("ok", None, None)
    bound = _bindings(floors)
    for item_id, item in api.items.items():
        assert bound[item.product_sku] == (item_id, item.models)
    assert api.created == [] and api.updated == []  # nothing listed twice, nothing re-sent


def test_a_reconcile_after_the_swap_rebinds_instead_of_taking_the_listings_for_gone(
    floors: Floors, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = _FloorApi(floors.centres["voso"])
    _swap(monkeypatch, api)
    report = asyncio.run(reconcile_account(floors.store, floors.account("voso"), _VosoApiConnector()))
    assert (report.missing, report.adopted) == (0, 0)
    bound = _bindings(floors)
    for item_id, item in api.items.items():
        assert bound[item.product_sku] == (item_id, item.models)
    assert floors.push("voso").report.created == 0 and api.created == []
