"""Sync engine benchmarks (issue #4), each ratio measured within one run.

1. No-op plan: a catalog of 100k variants (50k products × 2) listed on 4 channel accounts, all in sync.
   Planning every account must take < 2 s and send 0 requests; then 1 % and 10 % of the products change
   and the plan time is shown growing with the number of CHANGED listings.
2. Catalog size at a fixed change: catalogs of 1k, 3k and 10k products (4 accounts each, all in sync),
   the same 100 products changed in each; the plan time (median of 5) at each size and its ratio to the
   smallest. Time that grows with the changes and not the catalog gives ratios near 1.
3. Apply against the Shopee sandbox with 50 ms latency per request and a rate limit of R requests/s:
   wall time vs the physical bound, requests sent ÷ R, where R is the rate the sandbox itself enforces
   (exactly the rate chosync is configured with, unless --sandbox-slack says otherwise; the output names
   the R used). Target: within 1.10 × the bound, with no rate-limit error provoked (the sandbox counts
   every 429).
4. The same apply against the TikTok Shop and Lazada simulators (:mod:`api_apply`): chosync's one budget
   of R per shop against the marketplace's R per API and shop.

Every run also times a fixed 10-million-step Python loop (``s += i``), so figures from a shared machine
whose speed varies can be read against how fast it was that day.

    .venv/bin/python bench/sync_bench.py [--products 50000] [--rate 20] [--apply-products 60]
        [--scale-sizes 1000,3000,10000] [--scale-changed 100] [--sandbox-slack 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from api_apply import MARKETPLACES, bench_apply_api  # noqa: E402
from import_bench import write_catalog  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

from core.catalog.importer import import_catalog  # noqa: E402
from core.channels import DatabaseTokenStore, add_account, find_account, list_accounts, set_category_map  # noqa: E402
from core.db import Store, open_store  # noqa: E402
from core.logs import configure_logging  # noqa: E402
from core.models import PRODUCT, utcnow  # noqa: E402
from core.ports import Tokens  # noqa: E402
from core.revisions import touch_products  # noqa: E402
from core.sellers import add_seller  # noqa: E402
from core.sync.apply import RetrySchedule  # noqa: E402
from core.sync.connect import build_connector  # noqa: E402
from core.sync.models import LISTING  # noqa: E402
from core.sync.plan import plan_account  # noqa: E402
from core.sync.push import push_account  # noqa: E402
from simulators.common.faults import ANY_PATH, Fault  # noqa: E402
from simulators.shopee.config import ShopeeConfig as SandboxConfig  # noqa: E402
from simulators.shopee.harness import PARTNER_ID, PARTNER_KEY  # noqa: E402
from simulators.shopee.harness import SHOP_ID as SHOP  # noqa: E402
from simulators.shopee.sandbox import ShopeeSandbox  # noqa: E402

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60


class _NoNetwork(httpx.AsyncBaseTransport):
    requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        type(self).requests += 1
        raise AssertionError(f"a no-op plan must send nothing, sent {request.url}")


def _seed(store: Store, folder: Path, products: int, accounts: int) -> None:
    add_seller(store, "BENCH", name="Bench")
    csv_path = folder / "catalog.csv"
    write_catalog(csv_path, products * 2)
    import_catalog(store, csv_path)
    set_category_map(store, "shopee", {"Gạo": "100012"})
    for n in range(accounts):
        settings = {
            "partner_id": PARTNER_ID,
            "shop_id": SHOP + n,
            "logistics": [{"logistic_id": 50021, "enabled": True}],
        }
        add_account(store, seller="BENCH", channel="shopee", name=f"shop{n}", settings=settings)


async def _plan_all(store: Store) -> tuple[float, int]:
    async with httpx.AsyncClient(transport=_NoNetwork()) as http:
        started = time.perf_counter()
        ops = 0
        for account in list_accounts(store):
            ops += len(plan_account(store, account, build_connector(store, account, http)).ops)
        return time.perf_counter() - started, ops


def _mark_all_in_sync(store: Store) -> None:
    """As after a full sync: every listing bound and planned at the current revisions (no request needed)."""
    now = utcnow()
    with store.engine.begin() as conn:
        products = conn.execute(select(PRODUCT.c.id, PRODUCT.c.revision)).all()
        for account in list_accounts(store):
            conn.execute(
                LISTING.insert(),
                [{"account_id": account.id, "product_id": pid, "item_id": str(pid), "models": {}, "prices": {},
                  "stocks": {}, "status": "live", "planned_revision": rev, "account_revision": 0,
                  "created_at": now, "updated_at": now} for pid, rev in products],
            )  # fmt: skip


def bench_noop_plan(products: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="chosync-plan-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'plan.db'}")
        _seed(store, Path(tmp), products, accounts=4)
        _mark_all_in_sync(store)
        noop_s, noop_ops = asyncio.run(_plan_all(store))
        results: dict[str, Any] = {"variants": products * 2, "accounts": 4, "noop_seconds": noop_s,
                                   "noop_ops": noop_ops, "noop_requests": _NoNetwork.requests}  # fmt: skip
        for share in (0.01, 0.10):
            changed = int(products * share)
            with store.engine.begin() as conn:
                touch_products(conn, range(1, changed + 1))
            seconds, ops = asyncio.run(_plan_all(store))
            results[f"changed_{share:.0%}"] = {"products": changed, "seconds": seconds, "ops": ops}
            with store.engine.begin() as conn:  # back in sync for the next step
                conn.execute(
                    update(LISTING).values(
                        planned_revision=select(PRODUCT.c.revision)
                        .where(PRODUCT.c.id == LISTING.c.product_id)
                        .scalar_subquery()
                    )
                )
        store.dispose()
        return results


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def bench_catalog_scaling(sizes: list[int], changed: int, repeats: int = 5) -> dict[str, Any]:
    """Plan time with the same ``changed`` products at each catalog size: it should barely move."""
    results: dict[str, Any] = {"changed_products": changed, "accounts": 4, "repeats": repeats, "sizes": {}}
    for products in sizes:
        with tempfile.TemporaryDirectory(prefix="chosync-scale-") as tmp:
            store = open_store(f"sqlite:///{Path(tmp) / 'plan.db'}")
            _seed(store, Path(tmp), products, accounts=4)
            _mark_all_in_sync(store)
            asyncio.run(_plan_all(store))  # warm: the connectors' config and the page cache
            noop = [asyncio.run(_plan_all(store))[0] for _ in range(repeats)]
            with store.engine.begin() as conn:
                touch_products(conn, range(1, changed + 1))
            timed = [asyncio.run(_plan_all(store)) for _ in range(repeats)]  # plan_account writes nothing
            store.dispose()
        results["sizes"][str(products)] = {
            "variants": products * 2, "noop_seconds": _median(noop),
            "changed_seconds": _median([seconds for seconds, _ in timed]), "ops": timed[0][1],
        }  # fmt: skip
    base = results["sizes"][str(sizes[0])]
    for step in results["sizes"].values():
        step["changed_ratio"] = step["changed_seconds"] / base["changed_seconds"]
        step["noop_ratio"] = step["noop_seconds"] / max(base["noop_seconds"], 1e-9)
    return results


def python_loop_seconds(steps: int = 10_000_000) -> float:
    """The machine's speed today: a fixed pure-Python loop."""
    started = time.perf_counter()
    s = 0
    for i in range(steps):
        s += i
    return time.perf_counter() - started


class _Routes(httpx.AsyncBaseTransport):
    def __init__(self, sandbox: ShopeeSandbox) -> None:
        self.api = sandbox.transport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "partner.shopeemobile.com":
            return await self.api.handle_async_request(request)
        return httpx.Response(200, content=JPEG, headers={"content-type": "image/jpeg"})


def bench_apply(products: int, rate: float, latency: float, slack: float = 1.0) -> dict[str, Any]:
    """Create then re-price ``products`` products; the bound is requests ÷ the rate the sandbox enforces."""
    enforced = rate * slack
    sandbox = ShopeeSandbox(SandboxConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[SHOP],
                                          rate_limit_per_partner=enforced, rate_limit_burst=2))  # fmt: skip
    sandbox.faults.add_chance(ANY_PATH, Fault.latency(latency), 1.0)
    with tempfile.TemporaryDirectory(prefix="chosync-apply-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'apply.db'}")
        add_seller(store, "BENCH", name="Bench")
        csv_path = Path(tmp) / "catalog.csv"
        write_catalog(csv_path, products * 2)
        import_catalog(store, csv_path)
        set_category_map(store, "shopee", {"Gạo": "100012"})
        settings = {
            "base_url": "https://partner.shopeemobile.com", "partner_id": PARTNER_ID, "shop_id": SHOP,
            "logistics": [{"logistic_id": 50021, "enabled": True}], "listing": {"tier_variation_delay_s": 0},
            "rate": {"account_per_second": rate, "account_burst": 1, "account_concurrency": 8,
                     "partner_per_second": rate, "partner_burst": 1},
        }  # fmt: skip
        account_id = add_account(store, seller="BENCH", channel="shopee", settings=settings)
        access, refresh = sandbox.authorize_shop(SHOP)
        later = utcnow().replace(year=utcnow().year + 1)
        DatabaseTokenStore(store, account_id)._save(
            Tokens(access_token=access, refresh_token=refresh, access_expires_at=later, refresh_expires_at=later)
        )
        account = find_account(store, seller="BENCH", channel="shopee")
        phases: dict[str, Any] = {}

        async def push(label: str) -> None:
            before = sandbox.calls()
            async with httpx.AsyncClient(transport=_Routes(sandbox), timeout=30) as http:
                started = time.perf_counter()
                result = await push_account(store, account, http, trigger="bench", schedule=RetrySchedule(base_s=0))
                seconds = time.perf_counter() - started
            requests = sandbox.calls() - before
            bound = requests / enforced
            phases[label] = {"requests": requests, "seconds": seconds, "bound_seconds": bound,
                             "ratio": seconds / bound if bound else 0.0, "failed": result.report.failed}  # fmt: skip

        asyncio.run(push("create"))
        rows = Path(csv_path).read_text(encoding="utf-8-sig").splitlines()
        header, body = rows[0], rows[1:]
        changed = [line.replace("175.000 đ", "180.000 đ") for line in body]  # every 5 kg variant's price
        (Path(tmp) / "prices.csv").write_text("\n".join([header, *changed]) + "\n", encoding="utf-8")
        import_catalog(store, Path(tmp) / "prices.csv")
        asyncio.run(push("price change"))
        phases["rate_limit_errors"] = sum(1 for call in sandbox.recorded() if call.status == 429)
        phases["enforced_rate"] = enforced
        phases["sandbox_burst"] = 2
        store.dispose()
        return phases


def _ratio_counts(phase: dict[str, Any]) -> bool:
    """A pacing ratio says something once the bound is a second or more; below, the plan's own time rules."""
    return bool(phase["bound_seconds"] >= 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--apply-products", type=int, default=60)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--scale-sizes", default="1000,3000,10000", help="catalog sizes (products), comma-separated")
    parser.add_argument("--scale-changed", type=int, default=100, help="products changed at every size")
    parser.add_argument("--sandbox-slack", type=float, default=1.0,
                        help="the sandbox enforces rate × this (1.0: exactly the configured rate)")  # fmt: skip
    args = parser.parse_args()
    configure_logging(level="ERROR")
    os.environ["CHOSYNC_SHOPEE_PARTNER_KEY"] = PARTNER_KEY  # the sandbox's dummy key (test-vectors.md)
    loop_s = python_loop_seconds()
    print(f"machine speed: a 10-million-step Python loop (s += i) took {loop_s:.2f} s")
    plan = bench_noop_plan(args.products)
    print(
        f"no-op plan: {plan['variants']:,} variants × {plan['accounts']} accounts: {plan['noop_seconds']:.2f} s, "
        f"{plan['noop_ops']} operations, {plan['noop_requests']} requests (target < 2 s, 0 requests)"
    )
    for key in ("changed_1%", "changed_10%"):
        step = plan[key]
        print(
            f"  {key.replace('_', ' ')} of products: {step['seconds']:.2f} s for {step['ops']:,} operations "
            f"({step['seconds'] / max(plan['noop_seconds'], 1e-9):.1f}x the no-op plan)"
        )
    sizes = [int(size) for size in args.scale_sizes.split(",")]
    scaling = bench_catalog_scaling(sizes, args.scale_changed)
    print(f"plan with the same {args.scale_changed} products changed, by catalog size (4 accounts, median of "
          f"{scaling['repeats']}):")  # fmt: skip
    for products, step in scaling["sizes"].items():
        larger = int(products) / sizes[0]
        versus = (
            "the reference"
            if int(products) == sizes[0]
            else f"{step['changed_ratio']:.2f}x the {sizes[0]:,}-product time for a {larger:.0f}x larger catalog"
        )
        print(
            f"  {int(products):>6,} products ({step['variants']:,} variants): {step['changed_seconds']:.3f} s for "
            f"{step['ops']:,} operations, {versus} (no-op plan {step['noop_seconds']:.3f} s, "
            f"{step['noop_ratio']:.2f}x)"
        )
    apply = bench_apply(args.apply_products, args.rate, args.latency, args.sandbox_slack)
    print(
        f"apply bound = requests ÷ R, R = {apply['enforced_rate']:g} requests/s: the rate the sandbox enforces "
        f"(burst {apply['sandbox_burst']}); chosync is configured with {args.rate:g}/s"
    )
    for label in ("create", "price change"):
        phase = apply[label]
        print(
            f"apply, {label}: {phase['requests']} requests, {args.latency * 1000:.0f} ms latency: "
            f"{phase['seconds']:.2f} s vs bound {phase['bound_seconds']:.2f} s = {phase['ratio']:.3f}x (target <= 1.10)"
        )
    print(f"rate-limit errors provoked: {apply['rate_limit_errors']}")
    others = {}
    for channel in MARKETPLACES:
        others[channel] = run = bench_apply_api(channel, args.apply_products, args.rate, args.latency,
                                                args.sandbox_slack)  # fmt: skip
        for label in ("create", "price change"):
            phase = run[label]
            measured = f"{phase['seconds']:.2f} s vs bound {phase['bound_seconds']:.2f} s = {phase['ratio']:.3f}x"
            if not _ratio_counts(phase):  # Lazada packs 20 variants of several products a call
                measured += f" (too few requests for a rate ratio: {args.apply_products} variants in them)"
            print(f"{channel} apply, {label}: {phase['requests']} requests, {args.latency * 1000:.0f} ms latency: "
                  f"{measured} (target <= 1.10)")  # fmt: skip
        print(f"{channel} rate-limit errors provoked: {run['rate_limit_errors']}")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    measured = {"date": time.strftime("%Y-%m-%d"), "python_loop_10m_seconds": loop_s, "plan": plan,
                "catalog_scaling": scaling, "apply": apply, "apply_api": others}  # fmt: skip
    (out / "sync_bench.json").write_text(json.dumps(measured, indent=2))
    ok = (plan["noop_seconds"] < 2 and plan["noop_requests"] == 0 and apply["rate_limit_errors"] == 0
          and all(run[p]["ratio"] <= 1.10 for run in (apply, *others.values()) for p in ("create", "price change")
                  if _ratio_counts(run[p]))
          and all(run["rate_limit_errors"] == 0 for run in others.values()))  # fmt: skip
    print("targets met" if ok else "TARGETS MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
