"""The long soak (bench/soak.py) as a slow test: ten minutes of the daemon under faults, flat resources."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT

# After the warm-up. A 2-minute run settled at ~98 MB, growing 0.8 MB in its second minute and ~0.3 MB/min
# over its last 40 s (caches filling); a leak would keep climbing. 5 MB over the ten minutes at most.
RSS_GROWTH_BOUND_MB_PER_MIN = 0.5


@pytest.mark.slow
def test_ten_minutes_of_faults_leave_memory_descriptors_and_connections_flat(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite and on PostgreSQL (where the daemon's connections include its database pool)."""
    spec = importlib.util.spec_from_file_location("soak", PROJECT_ROOT / "bench" / "soak.py")
    assert spec is not None and spec.loader is not None
    soak = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "soak", soak)  # its dataclasses resolve their module by name
    spec.loader.exec_module(soak)
    report = soak.soak(10, workdir=tmp_path, database_url=database_url)
    summary = report.summary()
    out = PROJECT_ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)  # the figures behind a pass or a failure, for README and the next person
    figures = {"summary": summary, "report": repr(report)}
    (out / f"soak_test_{report.database}.json").write_text(json.dumps(figures, indent=2, default=str))
    assert report.exit_code == 0
    assert report.bugs == []
    assert report.caught_up_s is not None, "the shops show the catalog once the faults stop"
    # Requests that failed on a 5xx, a rate limit, a timeout or a lost answer (latency is not counted):
    # about 5 % of the calls; a 2-minute run saw 53 of 1 038, so ten minutes see some 250.
    assert report.error_faults > 150, report.faults_by_kind
    assert report.orders_placed > 50
    rss = summary["rss_mb"]
    # A leak of a few kB per job climbs steadily over ~40 000 job runs; a flat daemon wanders by noise.
    assert rss["slope_per_min"] <= RSS_GROWTH_BOUND_MB_PER_MIN, rss
    for name, bound in (("fds", 40), ("sockets", 16), ("connections", 12)):  # connections: the client's pool
        stats = summary[name]
        assert stats["last_fifth"]["median"] <= stats["second_fifth"]["median"] + 2, (name, stats)
        assert stats["last_fifth"]["max"] <= bound, (name, stats)
    # SQLite's files (database, -wal, -shm): up to three per pooled connection, and the pool keeps 5 at
    # most. A pool that grew by one after a busy moment is a step of descriptors, seen once in a 10-minute
    # run (18 -> 21 at minute 4, then flat; 12 files in the next run): not a leak, so not counted in fds.
    assert summary["db_files"]["last_fifth"]["max"] <= 15, summary["db_files"]
