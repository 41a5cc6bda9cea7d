"""``python scheduler.py`` as a real process: JSON logs, SIGTERM mid-apply exits 0, a restart finishes the work."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from core.db import open_store
from core.settings import PROJECT_ROOT
from core.sync.apply import pending_count
from simulators.common.faults import ANY_PATH, Fault
from simulators.shopee.config import ShopeeConfig as SandboxConfig
from simulators.shopee.sandbox import ShopeeSandbox
from tests.daemon_world import loopback_store, write_config
from tests.servers import serve_in_thread
from tests.sync_world import PARTNER_ID, PARTNER_KEY
from tests.test_sync_faults import assert_marketplace_matches_catalog

PRODUCTS = 20


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.02)


def _events(log: Path) -> list[dict[str, Any]]:
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is one JSON object, or this fails


def test_sigterm_mid_apply_exits_0_and_a_restart_finishes_with_nothing_sent_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chosync.db'}"
    sandbox = ShopeeSandbox(SandboxConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[14701711]), seed=3)
    sandbox.faults.add_chance(ANY_PATH, Fault.latency(0.05), 1.0)  # slow enough to stop mid-apply
    store = open_store(url)
    # Push only through the change watcher, every job else far away; a short grace, so the stop cuts work.
    config = write_config(tmp_path / "chosync.toml", stop_grace=0.2, log_format="json", log_level="INFO")
    env = {**os.environ, "CHOSYNC_DATABASE_URL": url, "CHOSYNC_SHOPEE_PARTNER_KEY": PARTNER_KEY,
           "CHOSYNC_CONFIG": str(config)}  # fmt: skip
    with serve_in_thread(sandbox) as base_url:
        loopback_store(store, tmp_path, sandbox, base_url, products=PRODUCTS)
        account_id = 1

        def start(log: Path) -> subprocess.Popen[bytes]:
            with log.open("wb") as sink:
                return subprocess.Popen(
                    [sys.executable, "scheduler.py"], cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=sink
                )

        first = start(tmp_path / "first.log")
        _wait(lambda: sandbox.calls() >= 25, 30, "the daemon pushing")
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=15) == 0
        cut = pending_count(store, account_id)
        assert cut > 0, "the stop came mid-apply: work was left queued"
        events = _events(tmp_path / "first.log")
        names = [e["event"] for e in events]
        assert "daemon.stopping" in names and names[-1] == "daemon.stopped"

        second = start(tmp_path / "second.log")
        _wait(lambda: pending_count(store, account_id) == 0 and len(sandbox.items) >= PRODUCTS, 60, "the restart")
        _wait(lambda: any(e["event"] == "job.finished" and e.get("outcome") == "ok" and e.get("job") == "push"
                          for e in _events(tmp_path / "second.log")), 10, "the restart's push logged")  # fmt: skip
        second.send_signal(signal.SIGINT)
        assert second.wait(timeout=15) == 0
    store.dispose()

    assert_marketplace_matches_catalog(sandbox, PRODUCTS, 2)
    creates = Counter(json.loads(call.body)["item_sku"] for call in sandbox.recorded("/api/v2/product/add_item"))
    assert set(creates.values()) == {1}, f"a create sent twice: {creates}"
    finished = [e for e in _events(tmp_path / "second.log") if e["event"] == "job.finished" and e["job"] == "push"]
    push = next(e for e in finished if e["outcome"] == "ok")
    assert {"seller", "channel", "account", "run_id", "seconds", "created", "stocks"} <= push.keys()
    assert (push["seller"], push["channel"]) == ("HTX-DANTIEN", "shopee")


def test_chosync_run_is_the_same_daemon_and_stops_cleanly(tmp_path: Path) -> None:
    config = write_config(tmp_path / "chosync.toml", log_format="json", log_level="INFO")
    env = {**os.environ, "CHOSYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "CHOSYNC_CONFIG": str(config)}
    log = tmp_path / "run.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "core.cli", "run"], cwd=PROJECT_ROOT, env=env,
                                   stdout=sink, stderr=sink)  # fmt: skip
    _wait(lambda: log.exists() and "daemon.started" in log.read_text(), 20, "the daemon started")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    assert [e["event"] for e in _events(log)][-1] == "daemon.stopped", "a fresh database: migrated, then run"


def test_scheduler_help_exits_0_without_starting_a_daemon(tmp_path: Path) -> None:
    db = tmp_path / "never.db"
    env = {**os.environ, "CHOSYNC_DATABASE_URL": f"sqlite:///{db}"}
    done = subprocess.run([sys.executable, "scheduler.py", "--help"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, timeout=30, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert b"usage: scheduler.py" in done.stdout and b"--database-url" in done.stdout
    assert b"daemon.started" not in done.stderr and not db.exists(), "nothing opened, nothing started"
    bad = subprocess.run([sys.executable, "scheduler.py", "--no-such-option"], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, timeout=30, check=False)  # fmt: skip
    assert bad.returncode == 2 and b"unrecognized arguments" in bad.stderr and not db.exists()


def test_scheduler_takes_the_database_url_and_config_as_options(tmp_path: Path) -> None:
    db = tmp_path / "given.db"
    config = write_config(tmp_path / "given.toml", log_format="json", log_level="INFO")
    env = {k: v for k, v in os.environ.items() if k not in ("CHOSYNC_DATABASE_URL", "CHOSYNC_CONFIG")}
    log = tmp_path / "run.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "scheduler.py", "--database-url", f"sqlite:///{db}", "--config", str(config)],
            cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=sink,
        )  # fmt: skip
    _wait(lambda: log.exists() and "daemon.started" in log.read_text(), 20, "the daemon started")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    assert db.exists(), "the daemon ran on the database it was given"
    assert _events(log)[-1]["event"] == "daemon.stopped", "JSON lines: the log format came from the given config"


def test_a_second_daemon_says_at_once_whom_it_waits_for_and_how_long(tmp_path: Path) -> None:
    """One that would wait 30 s says so at once, then runs when the first stops; one that waits briefly exits 1."""
    env = {**os.environ, "CHOSYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}"}
    first_config = write_config(tmp_path / "first.toml", log_format="json", log_level="INFO")
    patient_config = write_config(tmp_path / "patient.toml", log_format="json", log_level="INFO", stale_after_beats=150)

    def start(name: str, config: Path) -> subprocess.Popen[bytes]:
        with (tmp_path / f"{name}.log").open("wb") as sink:
            return subprocess.Popen([sys.executable, "scheduler.py", "--config", str(config)], cwd=PROJECT_ROOT,
                                    env=env, stdout=sink, stderr=sink)  # fmt: skip

    def logged(name: str, event: str) -> bool:
        path = tmp_path / f"{name}.log"
        return path.exists() and f'"event": "{event}"' in path.read_text()

    first = start("first", first_config)
    _wait(lambda: logged("first", "daemon.started"), 20, "the first daemon started")
    brief, patient = start("brief", first_config), start("patient", patient_config)  # 1.2 s and 30.2 s of wait
    assert brief.wait(timeout=20) == 1
    waiting, refused = _events(tmp_path / "brief.log")
    me = f"pid {first.pid} on {socket.gethostname()}"
    assert waiting["event"] == "daemon.waiting" and waiting["level"] == "warning"
    assert (waiting["pid"], waiting["host"], waiting["wait_s"]) == (first.pid, socket.gethostname(), 1.2)
    assert me in waiting["reason"] and "waiting up to 1.2s" in waiting["reason"] and "exiting" in waiting["reason"]
    assert refused["event"] == "daemon.already_running" and refused["pid"] == first.pid
    assert me in refused["reason"] and "chosync daemon status" in refused["fix"]

    _wait(lambda: logged("patient", "daemon.waiting"), 20, "the patient daemon saying it waits")
    assert patient.poll() is None, "it said so long before its 30 s were over"
    [said] = _events(tmp_path / "patient.log")
    assert said["pid"] == first.pid and said["wait_s"] == 30.2 and "waiting up to 30.2s" in said["reason"]
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=15) == 0
    _wait(lambda: logged("patient", "daemon.started"), 10, "the patient daemon taking over")  # as before
    patient.send_signal(signal.SIGTERM)
    assert patient.wait(timeout=15) == 0
