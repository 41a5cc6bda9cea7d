"""The chosync scheduler daemon: ``python scheduler.py`` (the same as ``chosync run``).

Keeps every seller's shops in sync unattended: pushes, order pulls, nightly reconciles and token checks
per channel account, on the intervals in ``config/chosync.toml`` ([schedule]) and ``chosync channels
schedule``. Logs JSON lines on stderr; stops gracefully on SIGTERM / SIGINT. See
docs/running-in-production.md and core/scheduler/.
"""

from __future__ import annotations

import sys

from core.scheduler.service import main

if __name__ == "__main__":
    sys.exit(main())
