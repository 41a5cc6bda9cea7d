"""``chosync channels remove``: a shop leaves chosync without losing the orders and ledger that are the stock truth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy import Table, func, select, update

from core.channels import find_account, list_accounts
from core.db import open_store
from core.models import CHANNEL_ACCOUNT, PRODUCT, ProductStatus
from core.revisions import touch_products
from core.sync.connect import build_connector
from core.sync.ledger import LedgerPolicy
from core.sync.models import LEDGER, LISTING, ORDER, SYNC_RUN
from core.sync.orders import pull_orders
from core.sync.push import push_account
from simulators.shopee.harness import PARTNER_ID
from tests.conftest import Invoke
from tests.sync_world import World, make_world

pytestmark = pytest.mark.anyio
SHOPS = (14701711, 14701712)
ADD_SHOPEE2 = ("channels", "add", "shopee", "--seller", "HTX-DANTIEN", "--name", "shopee2",
               "--base-url", "https://partner.example", "--partner-id", str(PARTNER_ID), "--shop-id", "1")  # fmt: skip


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    store = open_store(sqlite_url)
    yield make_world(store, tmp_path, monkeypatch, products=2, variants=1, shops=SHOPS)
    store.dispose()


def count(world: World, table: Table, **where: object) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with world.store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


async def push_all(world: World) -> None:
    async with world.http() as http:
        for account in world.accounts:
            assert (await push_account(world.store, account, http, trigger="test")).outcome == "ok"


async def test_a_shop_never_synced_is_deleted_and_its_name_can_be_used_again(world: World, run_cli: Invoke) -> None:
    code, out, err = await anyio.to_thread.run_sync(run_cli, "channels", "remove", "shopee", "--seller", world.seller,
                                                    "--name", "shopee2")  # fmt: skip
    assert code == 0, err
    assert "shopee account 'shopee2' of HTX-DANTIEN deleted." in out
    assert "drops its jobs within a minute" in out
    assert count(world, CHANNEL_ACCOUNT) == 1
    code, _, err = run_cli(*ADD_SHOPEE2)
    assert code == 0, err


async def test_a_shop_with_live_listings_and_open_orders_is_refused_then_forced_keeping_its_orders(
    world: World, run_cli: Invoke
) -> None:
    await push_all(world)
    second = world.accounts[1]
    [item] = [i for i in world.items(SHOPS[1]) if i.item_sku == "P000001"]
    [model] = item.models.values()
    world.sandbox.place_order(SHOPS[1], [(item.item_id, model.model_id, 1)], status="READY_TO_SHIP")
    async with world.http() as http:
        report = await pull_orders(world.store, second, build_connector(world.store, second, http),
                                   trigger="test", policy=LedgerPolicy())  # fmt: skip
    assert report.outcome == "ok"
    ledger_before = count(world, LEDGER)
    assert ledger_before == 1

    remove = ("channels", "remove", "shopee", "--seller", world.seller, "--name", "shopee2")
    code, _, err = run_cli(*remove)
    assert code != 0
    assert "HTX-DANTIEN shopee (shopee2) still has 2 live listings, 1 open order line holding stock" in err
    assert "--force" in err and "archive its products and sync" in err
    assert find_account(world.store, seller=world.seller, channel="shopee", name="shopee2").enabled

    code, out, err = run_cli(*remove, "--force")
    assert code == 0, err
    assert "removed; its orders, ledger entries and run history are kept" in out
    listed = json.loads(run_cli("channels", "list", "--json")[1])
    assert [a["name"] for a in listed] == ["shopee"]
    assert count(world, ORDER, account_id=second.id) == 1
    assert count(world, LEDGER) == ledger_before
    assert count(world, LISTING, account_id=second.id) == 2
    assert count(world, SYNC_RUN, account_id=second.id) > 0
    assert [a.name for a in list_accounts(world.store, removed=True) if a.id == second.id] == ["shopee2"]
    code, _, err = run_cli(*remove)
    assert code != 0 and "has no shopee account named 'shopee2'" in err, "removed once, not found again"
    code, _, err = run_cli(*ADD_SHOPEE2)
    assert code != 0 and "removed but kept for its orders" in err and "--name" in err


async def test_a_shop_whose_products_were_archived_and_delisted_is_removed_without_force(
    world: World, run_cli: Invoke
) -> None:
    await push_all(world)
    with world.store.engine.begin() as conn:  # the seller archived the catalog (an import would do the same)
        ids = [row.id for row in conn.execute(select(PRODUCT.c.id))]
        conn.execute(update(PRODUCT).values(status=ProductStatus.ARCHIVED.value))
        touch_products(conn, ids)
    await push_all(world)
    assert count(world, LISTING, status="delisted") == 4
    code, out, err = run_cli("channels", "remove", "shopee", "--seller", world.seller, "--name", "shopee")
    assert code == 0, err
    assert "shopee account 'shopee' of HTX-DANTIEN removed" in out
    with world.store.engine.connect() as conn:
        removed = conn.execute(select(CHANNEL_ACCOUNT).where(CHANNEL_ACCOUNT.c.id == world.accounts[0].id)).one()
    assert removed.removed_at is not None and removed.enabled is False
