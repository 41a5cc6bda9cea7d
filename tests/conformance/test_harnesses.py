"""The suite's own machinery: which connectors it runs for, how it finds their harnesses, aimed faults."""

from __future__ import annotations

import sys
from types import ModuleType

import httpx
import pytest

from simulators.common.faults import Fault
from simulators.common.harness import MarketplaceHarness, NoHarness, Operation, load_harness
from simulators.postmart.harness import PostmartHarness
from tests.conformance.conftest import API_CHANNELS


def test_the_suite_runs_for_every_api_connector_and_no_floor() -> None:
    assert {"shopee", "postmart"} <= set(API_CHANNELS)
    assert not {"voso", "provincial"} & set(API_CHANNELS)


@pytest.mark.parametrize("channel", API_CHANNELS)
def test_every_api_connector_has_a_harness(channel: str) -> None:
    harness = load_harness(channel)
    assert isinstance(harness, MarketplaceHarness)
    assert harness.channel == channel
    assert harness.batch_limit >= 1


def _plant(monkeypatch: pytest.MonkeyPatch, channel: str, **members: object) -> None:
    module = ModuleType(f"simulators.{channel}.harness")
    for name, value in members.items():
        setattr(module, name, value)
    monkeypatch.setitem(sys.modules, module.__name__, module)


def test_a_channel_without_a_harness_is_named_with_the_module_to_write() -> None:
    with pytest.raises(NoHarness, match=r"'nomarket' has no conformance harness: add simulators\.nomarket\.harness"):
        load_harness("nomarket")


@pytest.mark.parametrize(
    ("members", "message"),
    [
        pytest.param({}, "has no build_harness", id="no-factory"),
        pytest.param({"build_harness": object}, "returned object, not a MarketplaceHarness", id="not-a-harness"),
        pytest.param({"build_harness": PostmartHarness}, "for 'postmart', not 'fakemart'", id="other-channel"),
    ],
)
def test_a_harness_module_that_does_not_fit_is_refused(
    monkeypatch: pytest.MonkeyPatch, members: dict[str, object], message: str
) -> None:
    _plant(monkeypatch, "fakemart", **members)
    with pytest.raises(NoHarness, match=message):
        load_harness("fakemart")


@pytest.mark.anyio
async def test_a_fault_aimed_at_create_spares_the_listing_call_on_the_same_path() -> None:
    """Postmart lists products (GET) and creates one (POST) on one path: a create fault waits for the POST."""
    harness = PostmartHarness()
    path = harness.sandbox.path_of("product_create")
    assert path == harness.sandbox.path_of("product_list")
    harness.inject(Operation.CREATE, Fault.server_error(503))
    async with httpx.AsyncClient(transport=harness.transport(), base_url=harness.base_url) as http:
        listed = await http.get(path)
        created = await http.post(path, json={})
        again = await http.post(path, json={})
        image = await http.get("https://anh.example/a.jpg")
    assert (listed.status_code, created.status_code, again.status_code) == (200, 503, 200)
    assert harness.calls(Operation.CREATE) == 2 and harness.calls(Operation.ANY) == 3
    assert image.content.startswith(b"\xff\xd8\xff")
