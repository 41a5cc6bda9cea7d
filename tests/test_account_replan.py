"""An account's settings, rules and category map are part of what its listings show: a change re-plans them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.channels import set_category_map, update_account
from core.db import Store
from core.scheduler.changes import accounts_with_work
from core.sync.connect import build_connector
from core.sync.models import OpKind
from core.sync.plan import AccountPlan, plan_account
from tests.sync_world import World, make_world

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py


def plan(world: World) -> AccountPlan:
    async def run() -> AccountPlan:
        async with world.http() as http:
            return plan_account(world.store, world.account(), build_connector(world.store, world.account(), http))

    return asyncio.run(run())


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(store, tmp_path, monkeypatch, products=3)


def test_a_changed_account_setting_rule_or_category_map_replans_its_listings(world: World) -> None:
    """How an account learns its channels' fee types (or a new markup) at all: its listings are planned again."""
    assert world.push().outcome == "ok"
    account = world.accounts[0]
    assert accounts_with_work(world.store) == set()
    update_account(world.store, account.id, settings={"listing": {"tier_variation_delay_s": 0}})
    assert accounts_with_work(world.store) == set(), "the same settings again: nothing to plan"
    update_account(world.store, account.id, rules={"price_markup_percent": 10})
    assert accounts_with_work(world.store) == {account.id}
    assert {op.kind for op in plan(world).ops} == {OpKind.PRICE}
    assert world.push().report.prices == 6
    set_category_map(world.store, "shopee", {"Gạo": "100012"})
    assert accounts_with_work(world.store) == set(), "the same map again: nothing to plan"
    set_category_map(world.store, "shopee", {"Gạo": "100111"}, account_id=account.id)
    assert accounts_with_work(world.store) == {account.id}
    assert {op.kind for op in plan(world).ops} == {OpKind.UPDATE}
