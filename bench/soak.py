"""Soak: the scheduler daemon for minutes on end against Shopee sandboxes misbehaving, watched from outside.

``python scheduler.py`` runs as its own process against one Shopee sandbox on loopback (several sellers,
two shops each) that injects faults all along: 5xx, rate limits, timeouts, lost responses, latency.
Meanwhile stock changes every couple of seconds and buyers place orders, so every job kind works:
pushes (interval and change-triggered), order pulls, reconciles, token checks; access tokens expire
every few minutes, so tokens are refreshed all along too. Every few seconds the
daemon process is measured from /proc: resident memory, open file descriptors, its sockets and its
established TCP connections. At the end the faults stop, the daemon must catch up (every shop shows
the catalog's available stock), and SIGTERM must stop it with exit code 0.

Flat means: after a warm-up (the first fifth), resident memory grows by less than a bound per minute,
by the least-squares slope of every sample (one bump or one unlucky sample moves a slope little, where a
leak of a few kB per job shows as a steady climb); descriptors and connections in the last fifth are no
more than in the second fifth (within a small tolerance). Faults are counted by kind: the error faults
(5xx, rate limits, timeouts, lost responses) are what the daemon must survive; latency only slows it.

    .venv/bin/python bench/soak.py [--minutes 10] [--sellers 3] [--products 20] [--postgres] [--out FILE]

Writes bench/out/soak.json (every sample, and the summary).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from core.catalog.importer import import_catalog  # noqa: E402
from core.channels import DatabaseTokenStore, add_account, list_accounts, set_category_map  # noqa: E402
from core.db import Store, open_store  # noqa: E402
from core.models import VARIANT, utcnow  # noqa: E402
from core.ports import Tokens  # noqa: E402
from core.revisions import touch_products  # noqa: E402
from core.scheduler.changes import accounts_with_work  # noqa: E402
from core.sync.apply import pending_count  # noqa: E402
from core.sync.models import SYNC_RUN  # noqa: E402
from simulators.common.faults import ANY_PATH, Fault, FaultKind  # noqa: E402
from simulators.shopee.config import ShopeeConfig as SandboxConfig  # noqa: E402
from simulators.shopee.harness import PARTNER_ID, PARTNER_KEY  # noqa: E402
from simulators.shopee.sandbox import ShopeeSandbox  # noqa: E402
from tests.catalog_files import make_rows, register, write_csv  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402
from tests.servers import serve_in_thread  # noqa: E402

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
FIRST_SHOP = 14701711
ACCESS_TOKEN_S = 660
FAST_CONNECTOR = {
    "retry": {"base_delay_s": 0.05, "max_delay_s": 0.5, "max_total_wait_s": 3},
    "listing": {"tier_variation_delay_s": 0},
    "http": {"timeout_s": 2.0},
}
# Minutes of real operation squeezed into seconds: every job kind runs many times in a 10-minute soak.
SCHEDULE = {
    "push_every": "20s", "pull_every": "5s", "reconcile_every": "60s", "tokens_every": "30s",
    "jitter": "1s", "reload_every": "10s", "changes_every": "1s", "requests_every": "1s",
    "heartbeat_every": "1s", "stop_grace": "10s", "retry_base": "2s", "retry_max": "20s",
    "retry_attempts": 50, "log_level": "WARNING",
}  # fmt: skip


# SQLite's own files (database, -wal, -shm): up to three per pooled connection, and the pool keeps up to
# 5. After a busy moment the pool may hold one more connection for the rest of the run: a step of
# descriptors that is not a leak, so they are counted apart.
_SQLITE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal")


@dataclass
class Sample:
    at_s: float
    rss_mb: float
    fds: int  # open descriptors, the SQLite database's own files left out (they are db_files)
    sockets: int
    connections: int  # established TCP connections of the daemon
    db_files: int = 0  # SQLite's database, -wal and -shm files


@dataclass
class SoakReport:
    minutes: float
    sellers: int
    accounts: int
    database: str = "sqlite"
    samples: list[Sample] = field(default_factory=list)
    runs: dict[str, int] = field(default_factory=dict)
    sandbox_calls: int = 0
    faults_hit: int = 0  # every injected fault, latency included
    error_faults: int = 0  # 5xx, rate limits, timeouts, lost responses: the ones a request fails on
    faults_by_kind: dict[str, int] = field(default_factory=dict)
    orders_placed: int = 0
    token_refreshes: int = 0
    stock_changes: int = 0
    caught_up_s: float | None = None
    exit_code: int | None = None
    bugs: list[str] = field(default_factory=list)  # the daemon's own failures (a crashed job or loop step)

    def window(self, start: float, end: float) -> list[Sample]:
        n = len(self.samples)
        return self.samples[int(n * start) : max(int(n * start) + 1, int(n * end))]

    def rss_slope_mb_per_min(self) -> float:
        """Least-squares growth of resident memory after the warm-up (the first fifth), in MB per minute."""
        after = self.window(0.2, 1.0)
        if len(after) < 3:
            return 0.0
        slope = statistics.linear_regression([s.at_s / 60 for s in after], [s.rss_mb for s in after]).slope
        return round(slope, 3)

    def summary(self) -> dict[str, Any]:
        early, late = self.window(0.2, 0.4), self.window(0.8, 1.0)

        def stat(samples: list[Sample], name: str) -> dict[str, float]:
            values = [getattr(s, name) for s in samples]
            return {"median": round(statistics.median(values), 2), "max": max(values)}

        summary: dict[str, Any] = {
            name: {"second_fifth": stat(early, name), "last_fifth": stat(late, name)}
            for name in ("rss_mb", "fds", "sockets", "connections", "db_files")
        }
        summary["rss_mb"]["slope_per_min"] = self.rss_slope_mb_per_min()
        return summary


def _proc(pid: int) -> Sample:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:  # closed while we looked
            continue
    inodes = {link[8:-1] for link in links if link.startswith("socket:[")}
    established = 0
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            parts = line.split()
            if parts[3] == "01" and parts[9] in inodes:  # 01 = ESTABLISHED
                established += 1
    db_files = sum(1 for link in links if link.endswith(_SQLITE_SUFFIXES))
    return Sample(0.0, rss_kb / 1024, len(links) - db_files, len(inodes), established, db_files)


def _world(store: Store, workdir: Path, sandbox: ShopeeSandbox, base_url: str, sellers: int, products: int) -> None:
    (workdir / "anh.jpg").write_bytes(JPEG)
    set_category_map(store, "shopee", {"Gạo": "100012"})
    # Tokens as the sandbox issues them: access tokens live 11 minutes, so with the connector's 10-minute
    # refresh margin every shop refreshes about once a minute (each refresh brings two new secrets).
    access_until, refresh_until = utcnow() + timedelta(seconds=ACCESS_TOKEN_S), utcnow() + timedelta(days=30)
    for s in range(sellers):
        code = f"HTX-SOAK{s}"
        register(store, code)
        rows = make_rows(products, 2, seller=code)
        for r in rows:
            r["images"] = "anh.jpg"
            r["product_sku"] = f"S{s}-{r['product_sku']}"
            r["variant_sku"] = f"S{s}-{r['variant_sku']}"
        import_catalog(store, write_csv(workdir / f"catalog{s}.csv", rows))
        for k in range(2):
            shop = FIRST_SHOP + 2 * s + k
            settings = {"base_url": base_url, "partner_id": PARTNER_ID, "shop_id": shop,
                        "logistics": [{"logistic_id": 50021, "enabled": True}], **FAST_CONNECTOR}  # fmt: skip
            account_id = add_account(store, seller=code, channel="shopee", name=f"shop{k}", settings=settings)
            access, refresh = sandbox.authorize_shop(shop)
            DatabaseTokenStore(store, account_id)._save(
                Tokens(
                    access_token=access,
                    refresh_token=refresh,
                    access_expires_at=access_until,
                    refresh_expires_at=refresh_until,
                )
            )


def _churn(store: Store, sandbox: ShopeeSandbox, report: SoakReport, stop: threading.Event) -> None:
    """Stock counted again every 2 s; a buyer's order every 5 s on a random shop."""
    rng = random.Random(11)
    tick = 0
    while not stop.wait(1.0):
        tick += 1
        if tick % 2 == 0:
            with store.engine.begin() as conn:
                skus = list(conn.execute(select(VARIANT.c.id, VARIANT.c.product_id)))
                variant_id, product_id = rng.choice(skus)
                conn.execute(update(VARIANT).where(VARIANT.c.id == variant_id).values(stock_on_hand=rng.randint(0, 40)))
                touch_products(conn, [product_id])
            report.stock_changes += 1
        if tick % 5 == 0:
            sellable = [(i, m) for i in list(sandbox.items.values()) if i.item_status == "NORMAL" and not i.is_deleted
                        for m in i.models.values() if m.seller_stock - m.reserved_stock >= 1]  # fmt: skip
            if sellable:
                item, model = rng.choice(sellable)
                try:
                    sandbox.place_order(item.shop_id, [(item.item_id, model.model_id, 1)], status="READY_TO_SHIP")
                    report.orders_placed += 1
                except ValueError:  # sold out between the look and the order
                    pass


def _caught_up(store: Store, sandbox: ShopeeSandbox) -> bool:
    if accounts_with_work(store) or any(pending_count(store, a.id) for a in list_accounts(store)):
        return False
    with store.engine.connect() as conn:
        available = {sku: max(0, on_hand - reserved) for sku, on_hand, reserved in
                     conn.execute(select(VARIANT.c.sku, VARIANT.c.stock_on_hand, VARIANT.c.reserved))}  # fmt: skip
    shown = [(m.model_sku, m.seller_stock) for i in list(sandbox.items.values()) if not i.is_deleted
             for m in i.models.values()]  # fmt: skip
    return bool(shown) and all(available.get(sku) == stock for sku, stock in shown)


REFRESH_PATH = "/api/v2/auth/access_token/get"


def _sandbox(shops: list[int]) -> ShopeeSandbox:
    """One Shopee sandbox for every shop, misbehaving: 5xx, rate limits, timeouts, latency, lost answers."""
    partners = {PARTNER_ID: PARTNER_KEY}
    sandbox_config = SandboxConfig(partners=partners, shops=shops, access_token_lifetime=ACCESS_TOKEN_S)
    sandbox = ShopeeSandbox(sandbox_config, seed=5)
    for fault, chance in ((Fault.server_error(502), 0.03), (Fault.rate_limited(), 0.02), (Fault.timeout(0.3), 0.01),
                          (Fault.latency(0.05), 0.2)):  # fmt: skip
        sandbox.faults.add_chance(ANY_PATH, fault, chance)
    sandbox.faults.add_chance("/api/v2/product/update_stock", Fault.lost_response(), 0.03)
    # A refresh token is used once: a refresh whose answer is lost (5xx, timeout) stops the shop until its
    # owner authorises again, by design (tests/connectors/test_shopee_refresh_faults.py). A soak has no
    # owner to do that, so the refresh only meets faults that prove it was not applied: rate limits.
    sandbox.faults.spare(REFRESH_PATH)
    sandbox.faults.add_chance(REFRESH_PATH, Fault.rate_limited(), 0.05)
    return sandbox


def _tally(report: SoakReport, store: Store, workdir: Path, sandbox: ShopeeSandbox) -> None:
    """Runs by kind and outcome, the daemon's own failures from its log, what the sandbox saw."""
    with store.engine.connect() as conn:
        for kind, outcome, count in conn.execute(
            select(SYNC_RUN.c.kind, SYNC_RUN.c.outcome, func.count()).group_by(SYNC_RUN.c.kind, SYNC_RUN.c.outcome)
        ):
            report.runs[f"{kind} {outcome}"] = int(count)
    store.dispose()
    for line in (workdir / "daemon.log").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)  # every line the daemon writes is one JSON object
        if event.get("event") in ("job.crashed", "daemon.step_failed"):
            report.bugs.append(line)
    report.sandbox_calls = sandbox.calls()
    kinds = Counter(call.fault.value for call in sandbox.recorded() if call.fault is not None)
    report.faults_by_kind = dict(sorted(kinds.items()))
    report.faults_hit = sum(kinds.values())
    report.error_faults = sum(n for kind, n in kinds.items() if kind != FaultKind.LATENCY.value)
    report.token_refreshes = sandbox.calls("/api/v2/auth/access_token/get")


def soak(
    minutes: float,
    *,
    workdir: Path,
    sellers: int = 3,
    products: int = 20,
    sample_every: float = 5.0,
    database_url: str | None = None,
) -> SoakReport:
    """Run the daemon ``minutes`` under faults and churn; returns what was measured.

    ``database_url``: an empty database for the daemon (default: a new SQLite file in ``workdir``).
    """
    url = database_url or f"sqlite:///{workdir / 'chosync.db'}"
    report = SoakReport(minutes, sellers, sellers * 2, database=make_url(url).get_backend_name())
    sandbox = _sandbox([FIRST_SHOP + n for n in range(sellers * 2)])
    config = workdir / "chosync.toml"
    config.write_text("[schedule]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in SCHEDULE.items()))
    store = open_store(url)
    env = {**os.environ, "CHOSYNC_DATABASE_URL": url, "CHOSYNC_SHOPEE_PARTNER_KEY": PARTNER_KEY,
           "CHOSYNC_CONFIG": str(config)}  # fmt: skip
    stop = threading.Event()
    with serve_in_thread(sandbox) as base_url:
        _world(store, workdir, sandbox, base_url, sellers, products)
        with (workdir / "daemon.log").open("wb") as log:
            daemon = subprocess.Popen([sys.executable, "scheduler.py"], cwd=ROOT, env=env, stdout=log, stderr=log)
        churn = threading.Thread(target=_churn, args=(store, sandbox, report, stop), daemon=True)
        churn.start()
        began = time.monotonic()
        try:
            while (elapsed := time.monotonic() - began) < minutes * 60:
                if daemon.poll() is not None:
                    raise RuntimeError(f"the daemon died (exit {daemon.returncode}); see {workdir / 'daemon.log'}")
                sample = _proc(daemon.pid)
                sample.at_s = round(elapsed, 1)
                report.samples.append(sample)
                time.sleep(sample_every)
            stop.set()
            churn.join()
            sandbox.faults.clear()
            settled = time.monotonic()
            while not _caught_up(store, sandbox):
                if time.monotonic() - settled > 120:
                    break
                time.sleep(0.5)
            else:
                report.caught_up_s = round(time.monotonic() - settled, 1)
        finally:
            stop.set()
            daemon.send_signal(signal.SIGTERM)
            report.exit_code = daemon.wait(timeout=60)
    _tally(report, store, workdir, sandbox)
    return report


@contextmanager
def _database(postgres: bool) -> Iterator[str | None]:
    if not postgres:
        yield None
        return
    with postgres_server() as server:
        if isinstance(server, str):
            sys.exit(f"--postgres: {server}")
        with server.database() as url:
            yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sellers", type=int, default=3)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between measurements")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "soak.json")
    parser.add_argument(
        "--postgres", action="store_true",
        help="run the daemon on PostgreSQL: a throwaway cluster, as make test starts (or CHOSYNC_TEST_POSTGRES_URL)",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chosync-soak-") as tmp, _database(args.postgres) as url:
        report = soak(args.minutes, workdir=Path(tmp), sellers=args.sellers, products=args.products,
                      sample_every=args.sample_every, database_url=url)  # fmt: skip
    summary = report.summary()
    out = args.out
    out.write_text(json.dumps({**asdict(report), "summary": summary}, indent=2) + "\n")
    print(json.dumps({k: v for k, v in asdict(report).items() if k != "samples"}, indent=2))
    print(json.dumps(summary, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
