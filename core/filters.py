"""The seller, channel and account names a command is filtered by, checked before anything is shown.

A filter naming nothing that exists (``--seller NOPE``) would show an empty table, which reads as "all
is well"; it is an error instead, naming the value and the close matches (exit 2). Seller codes are
kept upper-case and matched without regard to case: ``--seller htx-c`` is HTX-C.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from core.errors import UsageError
from core.models import CHANNEL_ACCOUNT, SELLER
from core.ports.registry import available_channels

__all__ = ["check_filters", "known_channel", "known_seller", "seller_code", "unknown"]


def seller_code(code: str) -> str:
    """A seller code as it is stored: upper-case, without surrounding blanks."""
    return code.strip().upper()


def unknown(what: str, value: str, known: Iterable[str], *, see: str) -> UsageError:
    """``no WHAT VALUE``, with the close matches among ``known`` in its hint."""
    close = difflib.get_close_matches(value, sorted(set(known)), n=3, cutoff=0.6)
    near = f"did you mean {' or '.join(close)}? " if close else ""
    return UsageError(f"no {what} {value}", hint=f"{near}see '{see}'")


def known_seller(conn: Any, code: str) -> str:
    """The stored code of seller ``code`` (any case); UsageError naming it and the close matches if none."""
    wanted = seller_code(code)
    codes = list(conn.execute(select(SELLER.c.code)).scalars())
    if wanted in codes:
        return wanted
    raise unknown("seller", code, codes, see="chosync sellers list")


def known_channel(conn: Any, channel: str) -> str:
    """``channel`` if a connector is declared for it or an account uses it; UsageError otherwise."""
    used = set(conn.execute(select(CHANNEL_ACCOUNT.c.channel).distinct()).scalars())
    names = used | set(available_channels())
    if channel in names:
        return channel
    raise unknown("channel", channel, names, see="chosync channels list")


def check_filters(
    store: Any, *, seller: str | None = None, channel: str | None = None
) -> tuple[str | None, str | None]:
    """``seller`` and ``channel`` as stored (None stays None), each checked to name something."""
    if seller is None and channel is None:
        return None, None
    with store.engine.connect() as conn:
        return (
            None if seller is None else known_seller(conn, seller),
            None if channel is None else known_channel(conn, channel),
        )
