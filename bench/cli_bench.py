"""CLI benchmark: how long the ``chosync`` commands people type take, each as a whole process.

Targets (issue 14, on the 2-core machine): ``chosync --help`` <= 0.35 s, ``chosync status`` on the demo
database <= 0.7 s, and a 100k-row ``chosync catalog import`` >= 20,000 rows/s timed as a user runs it
(start-up, import, output and exit: the whole process).

The machine's speed varies (shared cores), so the runs are interleaved (one of each case per round, after
a warm-up round that is not counted) and each case's median stands beside the median of a bare
``python -c pass`` measured in the same rounds. Bytecode is cached as after an install: the children run
without ``PYTHONDONTWRITEBYTECODE``, so the warm-up writes what a first run would.

``status`` reads a copy of the demo database (``.demo/chosync.db``, made by ``make demo``; made here with
``CHOSYNC_DEMO_FAST=1 python -m demo`` when it is missing). Every import gets a fresh database with the
seller registered (not timed).

    .venv/bin/python bench/cli_bench.py [--runs 7] [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_bench import write_catalog  # noqa: E402

PYTHON = sys.executable
DEMO_DB = ROOT / ".demo" / "chosync.db"
HELP_TARGET_S = 0.35
STATUS_TARGET_S = 0.7
IMPORT_TARGET_ROWS_S = 20_000


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("CHOSYNC_")}
    env["CHOSYNC_DATABASE_URL"] = database_url
    return env


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process, from spawn to exit (CPU: its own and its children's, user and
    system: what the load of other processes on the machine changes least)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            out.seek(0)
            sys.exit(f"{' '.join(argv[1:])} failed ({child.returncode}):\n{out.read().decode(errors='replace')}")
    return elapsed, usage.ru_utime + usage.ru_stime


def _demo_database(folder: Path) -> Path:
    if not DEMO_DB.is_file():
        print("making the demo database (CHOSYNC_DEMO_FAST=1 python -m demo)...", flush=True)
        env = {**os.environ, "CHOSYNC_DEMO_FAST": "1"}
        subprocess.run([PYTHON, "-m", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    copy = folder / "demo.db"
    shutil.copyfile(DEMO_DB, copy)  # status only reads, but a bench leaves the demo as it found it
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="counted rounds (median reported)")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the imported catalog")
    args = parser.parse_args()
    script = Path(PYTHON).parent / "chosync"  # the console script a user runs
    chosync = [str(script)] if script.is_file() else [PYTHON, "-m", "core.cli"]
    with tempfile.TemporaryDirectory(prefix="chosync-cli-bench-") as tmp:
        folder = Path(tmp)
        status_env = _env(f"sqlite:///{_demo_database(folder)}")
        catalog = folder / "catalog.csv"
        write_catalog(catalog, args.rows)
        imports = 0

        def catalog_import() -> tuple[float, float]:
            nonlocal imports
            imports += 1
            env = _env(f"sqlite:///{folder / f'import-{imports}.db'}")
            subprocess.run([*chosync, "sellers", "add", "BENCH", "--name", "Bench"], cwd=ROOT, env=env, check=True,
                           capture_output=True)  # fmt: skip
            timed = _timed([*chosync, "catalog", "import", str(catalog)], env)
            (folder / f"import-{imports}.db").unlink()
            return timed

        cases: dict[str, Callable[[], tuple[float, float]]] = {
            "python -c pass": lambda: _timed([PYTHON, "-c", "pass"], status_env),
            "chosync --help": lambda: _timed([*chosync, "--help"], status_env),
            "chosync status": lambda: _timed([*chosync, "status"], status_env),
            "chosync channels list": lambda: _timed([*chosync, "channels", "list"], status_env),
            f"chosync catalog import ({args.rows:,} rows)": catalog_import,
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        cpu: dict[str, list[float]] = {name: [] for name in cases}
        for round_ in range(args.runs + 1):
            for name, case in cases.items():
                wall, used = case()
                if round_:  # the first round warms the caches (bytecode, the file system)
                    times[name].append(wall)
                    cpu[name].append(used)
    medians = {name: statistics.median(values) for name, values in times.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    bare = medians["python -c pass"]
    import_name = next(name for name in cases if name.startswith("chosync catalog import"))
    rate = args.rows / medians[import_name]
    targets = {
        "chosync --help": (medians["chosync --help"] <= HELP_TARGET_S, f"<= {HELP_TARGET_S} s"),
        "chosync status": (medians["chosync status"] <= STATUS_TARGET_S, f"<= {STATUS_TARGET_S} s"),
        import_name: (rate >= IMPORT_TARGET_ROWS_S, f">= {IMPORT_TARGET_ROWS_S:,} rows/s ({rate:,.0f})"),
    }
    print(f"{'command':<38}{'median':>8}{'min':>8}{'max':>8}{'- bare':>8}{'cpu':>8}   target")
    for name, values in times.items():
        met, target = targets.get(name, (True, ""))
        mark = "" if not target else ("ok " if met else "MISSED ") + target
        print(
            f"{name:<38}{medians[name]:>7.3f}s{min(values):>7.3f}s{max(values):>7.3f}s"
            f"{medians[name] - bare:>7.3f}s{cpu_medians[name]:>7.3f}s   {mark}"
        )
    print(
        f"({args.runs} interleaved rounds after a warm-up, wall seconds; '- bare' is the median less python -c pass;"
        " cpu: median user+system seconds)"
    )
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    result = {
        "runs": args.runs,
        "rows": args.rows,
        "median_seconds": medians,
        "median_cpu_seconds": cpu_medians,
        "seconds": times,
        "cpu_seconds": cpu,
        "import_rows_per_second": rate,
        "targets_met": {name: met for name, (met, _) in targets.items()},
    }
    (out / "cli_bench.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    ok = all(met for met, _ in targets.values())
    print("targets met" if ok else "TARGETS MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
