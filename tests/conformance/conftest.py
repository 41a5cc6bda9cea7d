"""Which connectors the conformance suite runs for, and their harnesses.

Every channel the registry knows (``chosync.connectors`` entry points, and classes registered by hand)
whose connector is not assisted is an API connector: each case runs once per such channel, against the
harness of its simulator. A channel without a harness fails every case, naming the module to write.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import Store, open_store
from core.ports import available_channels, get_connector_class, implements_assisted
from simulators.common.harness import MarketplaceHarness, NoHarness, load_harness


def api_channels() -> list[str]:
    """Every registered channel whose connector talks to an API (not a floor worked by hand)."""
    return [name for name in available_channels() if not implements_assisted(get_connector_class(name))]


API_CHANNELS = api_channels()


@pytest.fixture(params=API_CHANNELS)
def harness(request: pytest.FixtureRequest) -> MarketplaceHarness:
    """A fresh simulator of one API channel, driven through its harness."""
    try:
        return load_harness(request.param)
    except NoHarness as exc:
        pytest.fail(str(exc))


@pytest.fixture
def sqlite_store(tmp_path: Path, _sqlite_template: Path) -> Iterator[Store]:
    """A store on SQLite alone, for the cases that are about a connector rather than the store."""
    shutil.copyfile(_sqlite_template, tmp_path / "chosync.db")
    store = open_store(f"sqlite:///{tmp_path / 'chosync.db'}")
    yield store
    store.dispose()
