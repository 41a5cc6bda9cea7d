"""The ``chosync`` command line: admins' and sellers' one way in.

Every command opens the store named by the settings (created and migrated on first use), prints tables
for people and ``--json`` for scripts, and fails with one clear line plus the fix: exit code 2 for usage
or configuration errors, 1 for input that was refused.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cache, partial

import typer

from core.cli import (
    assisted,
    catalog,
    channels,
    orders,
    orders_manual,  # noqa: F401  (imported for the commands it adds: orders import, orders add)
    sandbox,
    sellers,
)
from core.cli import daemon as daemon_commands
from core.cli import failures as failures_commands
from core.cli import oversold as oversold_commands
from core.cli import reconcile as reconcile_commands
from core.cli import status as status_commands
from core.cli import sync as sync_commands
from core.cli.context import console_err, escape, state
from core.errors import ChosyncError
from core.logs import scrub

__all__ = ["app", "main", "run"]

app = typer.Typer(
    name="chosync",
    help="One product catalog, listed, priced and stocked on every marketplace you sell on.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sellers.app, name="sellers")
app.add_typer(catalog.app, name="catalog")
app.add_typer(channels.app, name="channels")
app.add_typer(channels.categories_app, name="categories")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(orders.app, name="orders")
app.add_typer(assisted.app, name="assisted")
sync_commands.register(app)
failures_commands.register(app)
reconcile_commands.register(app)
status_commands.register(app)
oversold_commands.register(app)
daemon_commands.register(app)


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
    command = _command()
    state.reset()
    try:
        # Standalone mode lets typer report its own usage errors (exit 2); ours are handled below.
        command.main(args=list(argv) if argv is not None else None, prog_name="chosync", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except ChosyncError as exc:
        err = console_err()
        err.print(f"[bold red]error:[/] {escape(scrub(exc.message))}", highlight=False)
        if exc.hint:
            err.print(f"[bold]fix:[/] {escape(scrub(exc.hint))}", highlight=False)
        return exc.exit_code
    finally:
        state.close()
    return 0


def main() -> None:
    sys.exit(run())
