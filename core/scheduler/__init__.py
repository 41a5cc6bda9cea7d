"""The scheduler: every seller's shops kept in sync, unattended, by one long-running daemon.

The daemon (:mod:`core.scheduler.daemon`, started by ``python scheduler.py`` or ``chosync run``) runs
the sync engine's jobs per channel account on APScheduler: push, order pull, reconcile and token health.
Its parts, one concept a module:

- :mod:`~core.scheduler.durations`: ``10s``, ``5m``, ``1h``, ``1d`` as people write intervals; Vietnam time.
- :mod:`~core.scheduler.leases`: named locks in the database, held until they expire (works across
  processes and hosts, on SQLite and PostgreSQL alike).
- :mod:`~core.scheduler.locks`: the per-account lock every job runner takes, daemon and CLI alike, so
  two runs never work on one shop at once.
- :mod:`~core.scheduler.jobs`: one job of one account (push, pull, reconcile, tokens), run under its
  lock and logged from start to end.
- :mod:`~core.scheduler.tokens`: token health: refresh ahead of expiry, warn before re-authorisation.
- :mod:`~core.scheduler.builder`: which jobs the daemon should have, built from the database.
- :mod:`~core.scheduler.changes`: the fast path: accounts whose stock or catalog moved are pushed in
  seconds, not at the next interval.
- :mod:`~core.scheduler.requests`: jobs asked of the running daemon from another shell.
- :mod:`~core.scheduler.heartbeat`: the daemon's row in the database (``chosync daemon status``).
- :mod:`~core.scheduler.retention`: old run records pruned, so months of runs do not fill the disk.
- :mod:`~core.scheduler.daemon`: all of it wired together, with a graceful stop.
- :mod:`~core.scheduler.service`: the daemon as a process (JSON logs, signals, exit codes).

This package imports nothing on its own: :mod:`core.settings` uses the durations module, and importing
the daemon here would import the settings back.
"""

from __future__ import annotations

__all__: list[str] = []
