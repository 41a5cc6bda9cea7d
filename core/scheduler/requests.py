"""Job requests: work asked of the running daemon from another shell (``chosync sync --via-daemon``).

A request is a ``job_request`` row: what (push, pull, reconcile), for which accounts (seller, channel),
and for a push which SKU and whether in full. The daemon looks for new rows every ``requests_every``
seconds, claims each with one conditional UPDATE (so two daemons never both run it), runs it through
the same job runner and account locks as its own jobs, and writes the outcome and a per-account
summary (JSON in ``detail``). The CLI waits for that and prints it; if the daemon stops first, the
request is closed as ``interrupted`` and can simply be asked again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from core.db import Store
from core.errors import ChosyncError
from core.models import utcnow
from core.sync.models import JOB_REQUEST

__all__ = ["JobRequestView", "claim", "finish", "get", "interrupt_unfinished", "pending", "submit", "wait_for"]

KINDS = ("push", "pull", "reconcile")


@dataclass(frozen=True, slots=True)
class JobRequestView:
    id: int
    kind: str
    seller: str | None
    channel: str | None
    sku: str | None
    full: bool
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    outcome: str | None
    detail: str | None

    @property
    def results(self) -> list[dict[str, Any]]:
        """The per-account results the daemon wrote (empty while running, or if it wrote a message)."""
        if not self.detail:
            return []
        try:
            parsed = json.loads(self.detail)
        except json.JSONDecodeError:
            return []
        return parsed if isinstance(parsed, list) else []


def _view(row: Any) -> JobRequestView:
    return JobRequestView(
        row.id, row.kind, row.seller, row.channel, row.sku, bool(row.full), row.requested_by, row.requested_at,
        row.started_at, row.finished_at, row.outcome, row.detail,
    )  # fmt: skip


def submit(
    store: Store,
    *,
    kind: str,
    requested_by: str,
    seller: str | None = None,
    channel: str | None = None,
    sku: str | None = None,
    full: bool = False,
) -> int:
    """Queue a request for the daemon; returns its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    with store.engine.begin() as conn:
        key = conn.execute(
            JOB_REQUEST.insert().values(
                kind=kind, seller=seller, channel=channel, sku=sku, full=full, requested_by=requested_by[:64],
                requested_at=utcnow(),
            )
        ).inserted_primary_key  # fmt: skip
    assert key is not None
    return int(key[0])


def get(store: Store, request_id: int) -> JobRequestView:
    with store.engine.connect() as conn:
        return _view(conn.execute(select(JOB_REQUEST).where(JOB_REQUEST.c.id == request_id)).one())


def pending(store: Store) -> list[int]:
    """Ids of requests no daemon has claimed yet, oldest first."""
    query = select(JOB_REQUEST.c.id).where(JOB_REQUEST.c.started_at.is_(None)).order_by(JOB_REQUEST.c.id)
    with store.engine.connect() as conn:
        return [int(i) for i in conn.execute(query).scalars()]


def claim(store: Store, request_id: int) -> JobRequestView | None:
    """Take the request for this daemon; None when another one took it first."""
    with store.engine.begin() as conn:
        claimed = conn.execute(
            update(JOB_REQUEST)
            .where(JOB_REQUEST.c.id == request_id, JOB_REQUEST.c.started_at.is_(None))
            .values(started_at=utcnow())
        ).rowcount
    return get(store, request_id) if claimed else None


def finish(store: Store, request_id: int, *, outcome: str, detail: str | list[dict[str, Any]]) -> None:
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, default=str)
    with store.engine.begin() as conn:
        conn.execute(
            update(JOB_REQUEST)
            .where(JOB_REQUEST.c.id == request_id)
            .values(finished_at=utcnow(), outcome=outcome, detail=text)
        )


def interrupt_unfinished(store: Store, request_ids: list[int] | None = None) -> None:
    """Close claimed requests a daemon could not finish (``None``: every one, as a new daemon starts,
    for those a killed one left); the CLI says so, and they can be asked again."""
    where = [JOB_REQUEST.c.started_at.is_not(None), JOB_REQUEST.c.finished_at.is_(None)]
    if request_ids is not None:
        if not request_ids:
            return
        where.append(JOB_REQUEST.c.id.in_(request_ids))
    with store.engine.begin() as conn:
        conn.execute(
            update(JOB_REQUEST)
            .where(*where)
            .values(
                finished_at=utcnow(),
                outcome="interrupted",
                detail="the daemon stopped before this finished; ask again (nothing is lost or sent twice)",
            )
        )


def wait_for(
    store: Store, request_id: int, *, alive: Callable[[], bool], poll: float = 0.2, timeout: float | None = None
) -> JobRequestView:
    """Block until the request is finished; ChosyncError if the daemon dies (``alive`` False) or time runs out."""
    deadline = None if timeout is None else time.monotonic() + timeout
    checked = time.monotonic()
    while True:
        request = get(store, request_id)
        if request.finished_at is not None:
            return request
        if time.monotonic() - checked >= 1.0:  # the heartbeat changes every few seconds: no need to poll it
            checked = time.monotonic()
            if not alive():
                raise ChosyncError(
                    f"the daemon stopped before request {request_id} finished",
                    hint="start it again ('chosync run'), then ask again: nothing is lost or sent twice",
                )
        if deadline is not None and time.monotonic() > deadline:
            raise ChosyncError(
                f"request {request_id} is not finished yet",
                hint="the daemon goes on with it; see 'chosync runs' for its outcome",
            )
        time.sleep(poll)
