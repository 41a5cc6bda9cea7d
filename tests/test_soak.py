"""The long soak (bench/soak.py) as a slow test: ten minutes of the daemon under faults, flat resources."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT


@pytest.mark.slow
def test_ten_minutes_of_faults_leave_memory_descriptors_and_connections_flat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("soak", PROJECT_ROOT / "bench" / "soak.py")
    assert spec is not None and spec.loader is not None
    soak = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "soak", soak)  # its dataclasses resolve their module by name
    spec.loader.exec_module(soak)
    report = soak.soak(10, workdir=tmp_path)
    summary = report.summary()
    assert report.exit_code == 0
    assert report.bugs == []
    assert report.caught_up_s is not None, "the shops show the catalog once the faults stop"
    assert report.faults_hit > 100 and report.orders_placed > 50
    rss = summary["rss_mb"]
    assert rss["last_fifth"]["median"] <= rss["second_fifth"]["median"] * 1.10 + 5, rss
    for name, bound in (("fds", 40), ("sockets", 16), ("connections", 12)):  # connections: the client's pool
        stats = summary[name]
        assert stats["last_fifth"]["median"] <= stats["second_fifth"]["median"] + 2, (name, stats)
        assert stats["last_fifth"]["max"] <= bound, (name, stats)
