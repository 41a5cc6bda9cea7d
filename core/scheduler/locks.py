"""The per-account lock: one run at a time works on a shop, whoever started it (OCA's *locker*).

Every job runner takes the lease ``account:<id>`` before it touches an account: the daemon's push, pull,
reconcile and token jobs, and the CLI's ``sync``, ``orders pull`` and ``reconcile``. Two runs of one
account would plan the same operations twice and race on the same bindings; with the lock, the second
waits a bounded time and then gets :class:`AccountBusy`, a retryable outcome, never a crash. The
daemon records it and tries at the next tick; the CLI says who is busy and how to go through the daemon.

While held, the lease is renewed in the background. Should renewal find it gone (this process stalled
longer than the lease lives and another took it over), the holder is cancelled and :class:`LeaseLost`
raised: better to stop than to run beside someone else. Operations it left ``sending`` are resolved by
the next run, as after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import structlog

from core.channels import AccountSummary
from core.db import Store
from core.errors import RetryableError
from core.scheduler.leases import acquire, current, holder_id, holder_role, release, renew
from core.settings import ScheduleSettings

__all__ = ["AccountBusy", "LeaseLost", "hold_account", "hold_accounts", "lock_name"]

log = structlog.get_logger(__name__)
_POLL_S = 0.2  # how often a waiting runner looks at the lease again


class AccountBusy(RetryableError):
    """Another run holds the account: try again later (or, from the CLI, go through the daemon)."""

    def __init__(self, label: str, holder: str) -> None:
        role = holder_role(holder)
        self.holder = holder
        if role.startswith("daemon"):
            message = f"{label}: the daemon is syncing this account right now; try again or use --via-daemon"
            hint = "'chosync daemon status' shows what the daemon is doing"
        else:
            message = f"{label}: another chosync command ({role}) is working on this account right now"
            hint = "try again when it has finished"
        super().__init__(message, hint=hint)


class LeaseLost(RetryableError):
    """The account's lock expired under a run that stalled, and another run took it: this one stopped."""


def lock_name(account_id: int) -> str:
    return f"account:{account_id}"


def _label(account: AccountSummary) -> str:
    return f"{account.seller} {account.channel} ({account.name})"


async def _keep(
    store: Store, name: str, holder: str, ttl: float, owner: asyncio.Task[object], lost: list[bool]
) -> None:
    """Renew the lease every third of its life; cancel ``owner`` if it turns out to be gone."""
    while True:
        await asyncio.sleep(ttl / 3)
        try:
            still_ours = renew(store, name, holder, ttl)
        except Exception as exc:  # a database hiccup: the lease still has 2/3 of its life, try again
            log.warning("scheduler.lease_renew_failed", lease=name, error=type(exc).__name__)
            continue
        if not still_ours:
            log.error("scheduler.lease_lost", lease=name, holder=holder)
            lost.append(True)
            owner.cancel()
            return


@asynccontextmanager
async def hold_account(
    store: Store, account: AccountSummary, *, role: str, ttl: float, wait: float
) -> AsyncIterator[str]:
    """Hold ``account``'s lock for the block (yields the holder name); AccountBusy after ``wait`` seconds."""
    name = lock_name(account.id)
    holder = holder_id(role)
    deadline = time.monotonic() + wait
    while not acquire(store, name, holder, ttl):
        if time.monotonic() >= deadline:
            lease = current(store, name)
            raise AccountBusy(_label(account), lease.holder if lease else "someone")
        await asyncio.sleep(_POLL_S)
    owner = asyncio.current_task()
    assert owner is not None, "hold_account runs inside a task"
    lost: list[bool] = []
    keeper = asyncio.create_task(_keep(store, name, holder, ttl, owner, lost), name=f"lease {name}")
    try:
        yield holder
    except asyncio.CancelledError:
        if lost and owner.uncancel() == 0:
            raise LeaseLost(
                f"{_label(account)}: the account lock expired while this run stalled, and another run took it",
                hint="the operations it left are resolved by the next run",
            ) from None
        raise
    finally:
        keeper.cancel()  # not awaited: a second cancellation of the owner must not stop the release below
        if not lost:
            release(store, name, holder)


@asynccontextmanager
async def hold_accounts(
    store: Store, accounts: Sequence[AccountSummary], *, role: str, settings: ScheduleSettings
) -> AsyncIterator[None]:
    """Hold the locks of several accounts (a CLI command's), all or none, taken in id order.

    The same order everywhere means two commands wanting overlapping accounts cannot each hold half.
    """
    async with contextlib.AsyncExitStack() as stack:
        for account in sorted(accounts, key=lambda a: a.id):
            await stack.enter_async_context(
                hold_account(store, account, role=role, ttl=settings.lease_ttl, wait=settings.lock_wait)
            )
        yield
