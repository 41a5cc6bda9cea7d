"""Sync runs: every push, pull and reconcile of one account, recorded with who asked, counts and outcome."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import update

from core.actor import current_user
from core.db import Store
from core.models import utcnow
from core.sync.models import SYNC_RUN

__all__ = ["cli_trigger", "finish_run", "start_run"]


def cli_trigger() -> str:
    """``cli:<user>`` for runs an admin started by hand."""
    return f"cli:{current_user()}"


def start_run(store: Store, *, account_id: int | None, kind: str, trigger: str) -> int:
    with store.engine.begin() as conn:
        result = conn.execute(
            SYNC_RUN.insert().values(
                account_id=account_id,
                kind=kind,
                trigger=trigger,
                started_at=utcnow(),
                outcome="running",
                counts={},
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def finish_run(store: Store, run_id: int, *, outcome: str, counts: Mapping[str, int], error: str | None = None) -> None:
    """Close a run: ``outcome`` is ok (all done), partial (some parked as failed, or a push's operations
    still waiting to retry or to be read back) or failed (stopped)."""
    with store.engine.begin() as conn:
        conn.execute(
            update(SYNC_RUN)
            .where(SYNC_RUN.c.id == run_id)
            .values(finished_at=utcnow(), outcome=outcome, counts=dict(counts), error=error)
        )
