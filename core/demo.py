"""`make demo`: a province's catalog on one machine, run through the same CLI an operator uses.

Starts clean every time (a SQLite file under `.demo/`), registers the Tra Vinh demo sellers from
`config/demo/sellers.csv`, imports `config/demo/catalog.csv`, and prints the catalog. Each step is shown
as the command a person would type, so the demo doubles as a tutorial.
"""

from __future__ import annotations

import csv
import os
import shlex
import shutil
import sys
from pathlib import Path

from rich.console import Console

from core.cli import run
from core.settings import PROJECT_ROOT

__all__ = ["main"]

DEMO_DIR = Path(".demo")
DEMO_CONFIG = PROJECT_ROOT / "config" / "demo"


def _step(console: Console, *argv: str) -> None:
    shown = " ".join(shlex.quote(a) for a in argv)
    console.print(f"\n[bold cyan]$ chosync {shown}[/]", highlight=False)
    code = run(list(argv))
    if code != 0:
        console.print(f"[bold red]demo step failed with exit code {code}[/]")
        sys.exit(code)


def main() -> None:
    console = Console()
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    os.environ["CHOSYNC_DATABASE_URL"] = f"sqlite:///{DEMO_DIR / 'chosync.db'}"
    console.rule("chosync demo: Tra Vinh OCOP producers")
    _step(console, "init")
    with (DEMO_CONFIG / "sellers.csv").open(encoding="utf-8") as handle:
        for seller in csv.DictReader(handle):
            _step(
                console, "sellers", "add", seller["code"], "--name", seller["name"],
                "--kind", seller["kind"], "--province", seller["province"],
            )  # fmt: skip
    catalog = DEMO_CONFIG / "catalog.csv"
    if catalog.is_relative_to(Path.cwd()):
        catalog = catalog.relative_to(Path.cwd())
    _step(console, "catalog", "import", str(catalog))
    _step(console, "sellers", "list")
    _step(console, "catalog", "list", "--status", "active")
    console.rule("try next")
    console.print(
        f"export CHOSYNC_DATABASE_URL=sqlite:///{DEMO_DIR / 'chosync.db'}\n"
        "chosync catalog show GAO-ST25 --seller HTX-DANTIEN\n"
        "chosync catalog export my-catalog.xlsx\n"
        "chosync catalog template my-template.xlsx",
        highlight=False,
    )


if __name__ == "__main__":
    main()
