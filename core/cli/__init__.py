"""The ``chosync`` command line: admins' and sellers' one way in.

Every command opens the store named by the settings (created and migrated on first use), prints tables
for people and ``--json`` for scripts, and fails with one clear line plus the fix, never a traceback:
exit code 2 for usage or configuration errors, 1 for input that was refused, 74 when reading or writing
failed, 130 when interrupted, 70 for a fault in chosync (see core.cli.boundary).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cache, partial
from typing import Any

import typer
from typer import _click as click

from core.cli import boundary
from core.cli.context import state
from core.cli.lazy import Lazy, LazyGroup
from core.errors import ChosyncError

__all__ = ["COMMANDS", "app", "main", "run"]

# Every command but ``init``, loaded when it runs (core.cli.lazy); the help is each one's own first line.
COMMANDS = (
    Lazy("sellers", "core.cli.sellers:app", "Register and list sellers.", group=True),
    Lazy("catalog", "core.cli.catalog:app", "Import, export and browse the catalog.", group=True),
    Lazy("channels", "core.cli.channels:app", "Connect sellers' shops on each marketplace.", group=True,
         adds=("core.cli.schedule",)),
    Lazy("categories", "core.cli.channels:categories_app", "Map our categories to each marketplace's.", group=True),
    Lazy("plan", "core.cli.sync:plan", "Show what a sync would send, per channel account, without sending anything."),
    Lazy("sync", "core.cli.sync:sync",
         "Plan and apply: send every change to every matching channel account, then summarise."),
    Lazy("status", "core.cli.status:status", "Health per seller × channel: listings live, pending and needing "
         "attention; last push, pull; tokens."),
    Lazy("failures", "core.cli.failures:failures", "List operations parked as failed, with the marketplace's reason."),
    Lazy("retry", "core.cli.failures:retry", "Put failed operations back in the queue; the next sync sends them."),
    Lazy("oversold", "core.cli.oversold:oversold", "Variants sold or held by orders beyond what is on hand, with the "
         "orders involved and what to do."),
    Lazy("reconcile", "core.cli.reconcile:reconcile",
         "Read listings back from each marketplace, report drift, and push the corrections."),
    Lazy("orders", "core.cli.orders:app", "Pull orders into one stock truth; list them; confirm returns.", group=True,
         adds=("core.cli.orders_manual",)),
    Lazy("runs", "core.cli.status:runs", "The latest sync runs: who triggered them, counts, duration, outcome."),
    Lazy("assisted", "core.cli.assisted:app", "Floors without a seller API: upload packs and their confirmation.",
         group=True),
    Lazy("run", "core.cli.daemon:run_command", "Start the scheduler daemon here (the same as 'python "
         "scheduler.py'); Ctrl-C stops it gracefully."),
    Lazy("daemon", "core.cli.daemon:daemon_app", "The scheduler daemon that keeps every shop in sync.", group=True),
    Lazy("sandbox", "core.cli.sandbox:app", "Local marketplace simulators.", group=True),
)  # fmt: skip


class _Chosync(LazyGroup):
    lazy = COMMANDS

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:  # typer would turn it into a silent exit 130: run() says so
            raise boundary.Interrupted from exc


app = typer.Typer(
    name="chosync",
    help="One product catalog, listed, priced and stocked on every marketplace you sell on.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=_Chosync,
)


@app.callback()
def _global(
    database_url: str | None = typer.Option(
        None, "--database-url", envvar="CHOSYNC_DATABASE_URL", help="Database URL (default from settings)."
    ),
) -> None:
    state.database_url = database_url


@app.command()
def init() -> None:
    """Create the database (or bring its schema up to date)."""
    store = state.store()
    url = store.engine.url.render_as_string(hide_password=True)
    typer.echo(f"Database ready: {url}")


# Built once per process: typer inspects every command's signature to build it (~50 ms), and the demo
# and the tests run many commands in one process. Each run gets a fresh click context.
_command = cache(partial(typer.main.get_command, app))


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv``; returns the exit code instead of exiting (tests call this)."""
    args = list(argv) if argv is not None else sys.argv[1:]
    state.reset()
    try:
        command = _command()
        # Standalone mode lets typer report its own usage errors (exit 2); ours are handled below.
        command.main(args=args, prog_name="chosync", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except ChosyncError as exc:
        return boundary.report(exc)
    except BaseException as exc:  # the boundary: Ctrl-C and every failure end here, as one line
        error = boundary.translate(exc, state.database_url_in_use())
        return boundary.report(error) if error is not None else boundary.unexpected(exc, args)
    finally:
        state.close()
    return 0


def main() -> None:
    sys.exit(run())
