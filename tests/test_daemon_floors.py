"""The daemon on the assisted floors (issue 6): the pull job scans the inbox, the push job refreshes the pack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.db import Store, open_store
from core.ports import OrderStatus
from core.sync.pack_confirm import list_packs
from tests.daemon_world import running_daemon, runs, wait_until
from tests.floors_world import ASSISTED, Floors, make_floors

pytestmark = pytest.mark.anyio
SKU = "P000002-V1"  # 3 on hand


@pytest.fixture
def floors(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Floors]:
    store = open_store(sqlite_url)
    floors = make_floors(store, tmp_path, monkeypatch)
    for channel in ("shopee", "postmart", *ASSISTED):
        assert floors.push(channel).outcome == "ok", channel
    for channel in ASSISTED:  # the person uploads the first packs and confirms them
        floors.centres[channel].import_pack(floors.open_pack(channel))
        assert floors.cli("assisted", "confirm", "--seller", floors.seller, "--channel", channel) == 0
    yield floors
    store.dispose()


def stock_entries(floors: Floors, channel: str) -> list[tuple[str, object, object]]:
    """The stock changes in the account's open pack, as (SKU, old, new)."""
    opened = [v for v in list_packs(floors.store, floors.account(channel).id) if v.state == "open"]
    if not opened:
        return []
    entries = floors.manifest(Path(opened[0].path))["entries"]
    return [(e["variant_sku"], e["old"], e["new"]) for e in entries if e["kind"] == "stock"]


def drop(export: Path, inbox: Path) -> None:
    """The seller moves the downloaded export into the inbox whole (a rename: never read half-written)."""
    export.rename(inbox / export.name)


def pack_ids(store: Store, account_id: int) -> list[int]:
    return [v.id for v in list_packs(store, account_id)]


async def test_an_order_export_in_the_inbox_refreshes_both_floors_packs_within_seconds(
    floors: Floors, sqlite_url: str
) -> None:
    """Pushes only on their hourly interval, or when something changed: an order dropped in Voso's inbox
    is pulled by the daemon, moves stock, and both assisted floors get a refreshed pack at once; a second
    order while the first pack still waits for its upload refreshes it again, just as fast."""
    voso = floors.centres["voso"]
    inbox, outside = floors.folders["voso"] / "inbox", floors.folders["voso"].parent / "downloads"
    inbox.mkdir(parents=True, exist_ok=True)
    outside.mkdir()
    provincial = floors.account("provincial").id
    async with (
        httpx.AsyncClient(transport=floors.transport, timeout=5.0) as http,
        running_daemon(floors.store, sqlite_url, http=http, pull_every=0.2) as daemon,
    ):
        assert stock_entries(floors, "provincial") == []
        voso.place_order("VS-1001", [(SKU, 2)])
        drop(voso.export_orders(outside, name="don-hang-1"), inbox)
        await wait_until(
            lambda: all(stock_entries(floors, channel) == [(SKU, 3, 1)] for channel in ASSISTED),
            what="both floors' packs refreshed",  # each account is pushed on its own: either may come first
        )
        first_pack = pack_ids(floors.store, provincial)
        assert not list(inbox.iterdir()) and list((floors.folders["voso"] / "processed").iterdir()), "pulled"
        # Another order comes while that pack waits for the seller: the pack is refreshed again, at once.
        voso.set_status("VS-1001", OrderStatus.CANCELLED)
        voso.place_order("VS-1002", [(SKU, 3)])
        drop(voso.export_orders(outside, name="don-hang-2"), inbox)
        await wait_until(
            lambda: stock_entries(floors, "provincial") == [(SKU, 3, 0)],
            what="the pack refreshed after the second order",
        )
        assert pack_ids(floors.store, provincial) != first_pack
        watcher_waits = dict(daemon.watcher._misses)
    assert watcher_waits.get(provincial) is None, "a pack written is headway: the fast path does not back off"
    pushes = [r for r in runs(floors.store, "push") if r.account_id == provincial and r.trigger != "test"]
    # Every refresh came from the change watcher, not the hourly push: that is what "at once" means here
    # (no timing assertion: wait_until's timeout only bounds a broken run).
    assert pushes and {r.trigger for r in pushes} == {"scheduler:change"}
    assert all(r.outcome == "ok" for r in pushes), [(r.outcome, r.error) for r in pushes]
