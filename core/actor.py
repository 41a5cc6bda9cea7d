"""Who is at the keyboard: the name recorded beside what a person did (a stock count, a sync run)."""

from __future__ import annotations

import getpass
import os

__all__ = ["current_user"]


def current_user() -> str:
    """The operating-system user running chosync (its uid in a bare container with no user name)."""
    try:
        return getpass.getuser()
    except OSError:
        return str(os.getuid())
