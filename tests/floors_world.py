"""One seller on the four floors the province uses: Shopee and Postmart (sandboxes, in-process) and the
assisted floors Voso and the provincial floor (fake seller centres, working folders under tmp).

Built on :func:`tests.sync_world.make_world` (the seller, its catalog, an authorised Shopee shop), to which
it adds a Postmart account on a :class:`PostmartSandbox` (the same toml as the connector) and one account
per assisted floor with its :class:`SellerCentre`. Every HTTP request goes through one routing transport.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.channels import AccountSummary, add_account, find_account, set_category_map
from core.cli import run
from core.db import Store
from core.sync.apply import RetrySchedule
from core.sync.connect import build_connector
from core.sync.orders import PullReport, pull_orders
from core.sync.pack_confirm import list_packs
from core.sync.push import PushResult, push_account
from simulators.floors.centre import SellerCentre
from simulators.postmart.harness import PASSWORD as POSTMART_PASSWORD
from simulators.postmart.harness import USERNAME as POSTMART_USER
from simulators.postmart.sandbox import BASE_URL as POSTMART_URL
from simulators.postmart.sandbox import PostmartSandbox
from tests.sync_world import API_HOST, FAST_SETTINGS, JPEG, World, make_world

__all__ = ["ASSISTED", "POSTMART_PASSWORD", "POSTMART_USER", "Floors", "make_floors"]

ASSISTED = ("voso", "provincial")
NO_WAIT = RetrySchedule(base_s=0, max_s=0)
_POSTMART_FAST = {
    "retry": FAST_SETTINGS["retry"],
    "rate": {"account_per_second": 10000, "account_burst": 100},
    "http": {"timeout_s": 2.0},
}


class _Routing(httpx.AsyncBaseTransport):
    def __init__(self, world: World, postmart: PostmartSandbox) -> None:
        self.shopee = world.sandbox.transport()
        self.postmart = postmart.transport()
        self.images = httpx.MockTransport(lambda request: httpx.Response(200, content=JPEG))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == API_HOST:
            return await self.shopee.handle_async_request(request)
        if str(request.url).startswith(POSTMART_URL):
            return await self.postmart.handle_async_request(request)
        return await self.images.handle_async_request(request)


@dataclass
class Floors:
    world: World
    postmart: PostmartSandbox
    centres: dict[str, SellerCentre]
    folders: dict[str, Path]
    transport: _Routing

    @property
    def store(self) -> Store:
        return self.world.store

    @property
    def seller(self) -> str:
        return self.world.seller

    def account(self, channel: str) -> AccountSummary:
        return find_account(self.store, seller=self.seller, channel=channel)

    def push(self, channel: str) -> PushResult:
        async def go() -> PushResult:
            async with httpx.AsyncClient(transport=self.transport, timeout=5.0) as http:
                return await push_account(self.store, self.account(channel), http, trigger="test", schedule=NO_WAIT)

        return asyncio.run(go())

    def pull(self, channel: str) -> PullReport:
        async def go() -> PullReport:
            async with httpx.AsyncClient(transport=self.transport, timeout=5.0) as http:
                account = self.account(channel)
                connector = build_connector(self.store, account, http)
                return await pull_orders(self.store, account, connector, trigger="test")

        return asyncio.run(go())

    def cli(self, *args: str) -> int:
        """``chosync ARGS`` on this world's database (output goes to pytest's capture)."""
        url = self.store.engine.url.render_as_string(hide_password=False)
        return run(["--database-url", url, *args])

    def open_pack(self, channel: str) -> Path:
        """The folder of the account's open pack."""
        [view] = [v for v in list_packs(self.store, self.account(channel).id) if v.state == "open"]
        return Path(view.path)

    def pack_dirs(self, channel: str) -> list[Path]:
        return sorted(p for p in (self.folders[channel] / "packs").iterdir() if not p.name.startswith("."))

    def manifest(self, pack: Path) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
        return data


def make_floors(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, products: int = 3, variants: int = 2
) -> Floors:
    """The seller with a Shopee shop (make_world), then Postmart, Voso and the provincial floor."""
    world = make_world(store, tmp_path, monkeypatch, products=products, variants=variants)
    monkeypatch.setenv("CHOSYNC_POSTMART_PASSWORD", POSTMART_PASSWORD)
    postmart = PostmartSandbox()
    postmart.add_merchant(POSTMART_USER, POSTMART_PASSWORD)
    set_category_map(store, "postmart", {"Gạo": "7821"})
    add_account(store, seller=world.seller, channel="postmart",
                settings={"base_url": POSTMART_URL, "username": POSTMART_USER, **_POSTMART_FAST})  # fmt: skip
    folders = {}
    for channel in ASSISTED:
        folders[channel] = tmp_path / "assisted" / channel
        add_account(store, seller=world.seller, channel=channel, settings={"folder": str(folders[channel])})
    centres = {channel: SellerCentre(channel) for channel in ASSISTED}
    return Floors(world, postmart, centres, folders, _Routing(world, postmart))
