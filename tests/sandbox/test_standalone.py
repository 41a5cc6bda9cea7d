"""``chosync sandbox serve shopee`` as a person runs it: its knobs, its category tree, and a real process."""

from __future__ import annotations

import csv
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from connectors.shopee.auth import AUTH_PARTNER_PATH, TOKEN_PATH, signed_query
from core.errors import UsageError
from core.settings import PROJECT_ROOT
from simulators.common.faults import FaultKind
from simulators.common.serving import free_port
from simulators.common.standalone import Tuning, parse_duration, parse_fault, parse_rate
from simulators.shopee.config import ShopeeConfig
from simulators.shopee.fleet import tuned as shopee_sandbox
from simulators.shopee.sandbox import DEMO_PARTNER_ID, DEMO_PARTNER_KEY, DEMO_SHOP_ID, ShopeeSandbox
from tests.conftest import Invoke

pytestmark = pytest.mark.anyio

CHOSYNC = Path(sys.executable).parent / "chosync"


def test_the_knobs_read_as_a_person_writes_them() -> None:
    assert [parse_rate(t) for t in ("5", "5/s", "0.5/s", "120/min")] == [5, 5, 0.5, 2]
    assert [parse_duration(t) for t in ("90", "90s", "10m", "4h", "30d")] == [90, 90, 600, 14400, 2_592_000]
    fault, chance = parse_fault("lost-response:5%")
    assert (fault.kind, chance) == (FaultKind.LOST_RESPONSE, 0.05)
    assert parse_fault("server_error:0.25")[0].kind is FaultKind.SERVER_ERROR
    for bad in ("fast", "0/s", "5/h"):
        with pytest.raises(UsageError, match="--rate-limit"):
            parse_rate(bad)
    for bad in ("soon", "0", "10y"):
        with pytest.raises(UsageError, match="is not a duration"):
            parse_duration(bad)
    for bad, message in (("gremlins:0.1", "no fault kind"), ("timeout", "needs KIND:RATE"), ("timeout:2", "at most 1")):
        with pytest.raises(UsageError, match=message):
            parse_fault(bad)


async def test_a_tuned_shopee_sandbox_has_the_limits_lifetimes_and_faults_asked_for() -> None:
    tuning = Tuning.parse(rate_limit="2/s", access_token_ttl="90s", refresh_token_ttl="1h", faults=["server_error:1"])
    sandbox = shopee_sandbox(tuning)
    config = sandbox.config
    assert (config.rate_limit_per_partner, config.access_token_lifetime, config.refresh_token_lifetime) == (
        2,
        90,
        3600,
    )
    assert config.partners == {DEMO_PARTNER_ID: DEMO_PARTNER_KEY} and config.shops == [DEMO_SHOP_ID]
    async with sandbox.client() as client:
        answer = await client.get(AUTH_PARTNER_PATH, params=_auth_partner_query())
    assert answer.status_code == 500  # every request meets the fault
    assert sandbox.recorded()[0].fault is FaultKind.SERVER_ERROR
    assert shopee_sandbox(Tuning()).config.access_token_lifetime == ShopeeConfig().access_token_lifetime


def test_the_default_category_tree_holds_every_category_the_demo_map_names() -> None:
    """README: map config/demo/shopee-categories.csv onto `sandbox serve shopee`: every id must be a leaf."""
    with (PROJECT_ROOT / "config" / "demo" / "shopee-categories.csv").open(encoding="utf-8") as handle:
        mapped = {int(row["marketplace_category_id"]) for row in csv.DictReader(handle)}
    assert mapped
    config = ShopeeSandbox().config
    assert sorted(c for c in mapped if not config.is_leaf(c)) == []
    ids = [c.category_id for c in config.categories]
    assert len(ids) == len(set(ids))


def test_the_knobs_are_refused_where_they_cannot_apply(run_cli: Invoke) -> None:
    code, _, err = run_cli("sandbox", "serve", "postmart", "--port", "1", "--rate-limit", "5/s")
    assert code == 2 and "do not go with postmart" in err and "they tune the shopee sandbox" in err
    code, _, err = run_cli("sandbox", "serve", "all", "--fault", "latency:0.5")
    assert code == 2 and "go with one sandbox" in err
    code, _, err = run_cli("sandbox", "serve", "shopee", "--port", "1", "--fault", "gremlins:0.1")
    assert code == 2 and "kinds: latency, server_error" in err


def test_serve_shopee_runs_as_a_process_and_answers_a_signed_call() -> None:
    port = free_port()
    process = subprocess.Popen(
        [str(CHOSYNC), "sandbox", "serve", "shopee", "--port", str(port), "--access-token-ttl", "90s",
         "--rate-limit", "50/s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        _wait_for_port(process, port)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=5) as client:
            consent = client.get(AUTH_PARTNER_PATH, params=_auth_partner_query())
            assert consent.status_code == 302
            redirect = parse_qs(urlparse(consent.headers["location"]).query)
            code, shop_id = redirect["code"][0], int(redirect["shop_id"][0])
            query = signed_query(
                partner_id=DEMO_PARTNER_ID, partner_key=DEMO_PARTNER_KEY, path=TOKEN_PATH, timestamp=int(time.time())
            )
            answer = client.post(
                TOKEN_PATH, params=query, json={"code": code, "partner_id": DEMO_PARTNER_ID, "shop_id": shop_id}
            ).json()
        assert answer["error"] == "" and answer["expire_in"] == 90  # the lifetime asked for on the command line
        assert shop_id == DEMO_SHOP_ID
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    assert f"shopee sandbox on http://127.0.0.1:{port}" in out, err
    assert f"partner {DEMO_PARTNER_ID}, key {DEMO_PARTNER_KEY}" in out
    assert "rate limit 50 requests/s per partner" in out and "access tokens live 90 s" in out


def _auth_partner_query() -> dict[str, str | int]:
    query = signed_query(
        partner_id=DEMO_PARTNER_ID, partner_key=DEMO_PARTNER_KEY, path=AUTH_PARTNER_PATH, timestamp=int(time.time())
    )
    return {**query, "redirect": "https://chosync.test/back"}


def _wait_for_port(process: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"chosync sandbox serve exited {process.returncode}: {process.communicate()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("chosync sandbox serve did not listen within 30 s")
