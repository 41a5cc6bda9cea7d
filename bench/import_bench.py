"""Import benchmark: rows/s and peak memory importing a large catalog CSV into SQLite.

Targets (issue #2): a 100k-row CSV imports at >= 20,000 rows/s with peak RSS < 300 MB on a 2-core machine.
Each import runs in a fresh subprocess so its peak RSS is its own. Also measured, in the same run:
re-importing the same file (nothing changes, nothing written) and a 10k-row import, so the RSS of 10k
vs 100k rows shows how flat memory stays as the file grows.

    .venv/bin/python bench/import_bench.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.catalog.columns import COLUMN_NAMES  # noqa: E402

CHILD = """
import sys, time, resource, json
from pathlib import Path
from core.db import open_store
from core.catalog.importer import import_catalog
store = open_store(sys.argv[1])
start = time.perf_counter()
report = import_catalog(store, Path(sys.argv[2]))
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "rows": report.rows, "created": report.variants_created,
                  "unchanged": report.variants_unchanged,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_catalog(path: Path, rows: int) -> None:
    """A realistic catalog: two variants per product, prices written as sellers write them."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMN_NAMES)
        for i in range(rows):
            writer.writerow(_row(i))


def _row(i: int) -> list[str]:
    p = i // 2
    values = {
        "seller_code": "BENCH", "product_sku": f"P{p:07d}", "name": f"Gạo ST25 Trà Vinh lô {p}",
        "description": "Gạo thơm đặc sản, trồng theo hướng hữu cơ tại Càng Long, Trà Vinh.",
        "category": "Gạo", "brand": "Dân Tiến",
        "images": f"https://cdn.example/{p}-1.jpg|https://cdn.example/{p}-2.jpg",
        "weight_g": "5.200", "length_cm": "35", "width_cm": "22", "height_cm": "8,5",
        "ocop_stars": "4", "ocop_certificate": "OCOP-TV-2023-001", "ocop_year": "2023",
        "origin_province": "Trà Vinh", "origin_district": "Càng Long",
        "traceability_code": f"TV-{p}", "traceability_url": f"https://truyxuat.example/tv/{p}",
        "attributes": "Hạn sử dụng: 12 tháng|Bảo quản: Nơi khô ráo", "status": "active",
        "variant_sku": f"P{p:07d}-{i % 2}", "option1_name": "Khối lượng",
        "option1_value": f"{5 * (i % 2 + 1)}kg", "option2_name": "", "option2_value": "",
        "price_vnd": f"{175 + i % 2 * 165}.000 đ", "list_price_vnd": "", "barcode": "", "stock": str(i % 500),
    }  # fmt: skip
    return [values[c] for c in COLUMN_NAMES]


def run_import(url: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(path)], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chosync-bench-") as tmp:
        folder = Path(tmp)
        results: dict[str, dict[str, float]] = {}
        for label, rows in (("small", args.rows // 10), ("large", args.rows)):
            csv_path = folder / f"catalog-{rows}.csv"
            write_catalog(csv_path, rows)
            url = f"sqlite:///{folder / f'bench-{rows}.db'}"
            subprocess.run(
                [sys.executable, "-m", "core.cli", "sellers", "add", "BENCH", "--name", "Bench"],
                check=True, capture_output=True, cwd=ROOT, env={"CHOSYNC_DATABASE_URL": url, "PATH": ""},
            )  # fmt: skip
            first = run_import(url, csv_path)
            again = run_import(url, csv_path)
            results[label] = {"rows": rows, **{f"first_{k}": v for k, v in first.items()},
                              **{f"again_{k}": v for k, v in again.items()}}  # fmt: skip
        large, small = results["large"], results["small"]
        first_rate = large["rows"] / large["first_seconds"]
        again_rate = large["rows"] / large["again_seconds"]
        print(f"rows                        {large['rows']:>10,.0f}")
        print(
            f"first import                {large['first_seconds']:>10.2f} s   {first_rate:>10,.0f} rows/s  (target >= 20,000)"
        )
        print(f"re-import (no changes)      {large['again_seconds']:>10.2f} s   {again_rate:>10,.0f} rows/s")
        print(
            f"peak RSS, {large['rows']:,.0f} rows        {large['first_peak_rss_mb']:>10.0f} MB  (target < 300)"
        )
        print(f"peak RSS, {small['rows']:,.0f} rows         {small['first_peak_rss_mb']:>10.0f} MB")
        print(
            f"RSS ratio 10x rows          {large['first_peak_rss_mb'] / small['first_peak_rss_mb']:>10.2f} x"
        )
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        (out / "import_bench.json").write_text(json.dumps(results, indent=2))
        ok = first_rate >= 20_000 and large["first_peak_rss_mb"] < 300
        print("targets met" if ok else "TARGETS MISSED")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
