"""The chosync scheduler daemon: ``python scheduler.py`` (the same as ``chosync run``).

Keeps every seller's shops in sync unattended: pushes, order pulls, nightly reconciles and token checks
per channel account, on the intervals in ``config/chosync.toml`` ([schedule]) and ``chosync channels
schedule``. Logs JSON lines on stderr; stops gracefully on SIGTERM / SIGINT. See
docs/running-in-production.md and core/scheduler/.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scheduler.py",
        description="Run the chosync scheduler daemon until SIGTERM or SIGINT (the same as 'chosync run').",
        epilog="Exit codes: 0 after a graceful stop, 1 when another daemon holds this database, 2 for a "
        "configuration error. Settings: config/chosync.toml [schedule], CHOSYNC_* environment variables.",
    )
    parser.add_argument(
        "--database-url",
        help="database URL (default: CHOSYNC_DATABASE_URL, else the settings; the same option as 'chosync')",
    )
    parser.add_argument("--config", help="settings file (default: CHOSYNC_CONFIG, else config/chosync.toml)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)  # --help and bad options exit here, before anything is opened or started
    if args.config:
        os.environ["CHOSYNC_CONFIG"] = args.config
    from core.scheduler.service import main as serve

    return serve(database_url=args.database_url)


if __name__ == "__main__":
    sys.exit(main())
