"""``chosync channels schedule``: how often the daemon pushes, pulls and reconciles one shop.

Importing this module adds the command to the ``channels`` group (the CLI loads it with that group).
"""

from __future__ import annotations

import typer

from core.channels import find_account
from core.cli.channels import app
from core.cli.context import say, state
from core.scheduler.durations import format_duration, parse_duration

__all__ = ["schedule"]

_MIN_EVERY_S, _MAX_EVERY_S = 10, 30 * 86400


def _every(value: str, option: str) -> int | None:
    """``--push-every``'s value as whole seconds, or None for "default" (back to the channel's)."""
    if value.strip().lower() == "default":
        return None
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None
    if seconds != int(seconds) or not _MIN_EVERY_S <= seconds <= _MAX_EVERY_S:
        raise typer.BadParameter(f"{value!r}: give whole seconds from 10s to 30d", param_hint=option)
    return int(seconds)


_EVERY_HELP = "How often, e.g. 10s, 5m, 1h, 1d; 'default' goes back to the channel's interval."


@app.command("schedule")
def schedule(
    channel: str = typer.Argument(..., help="Channel name, e.g. shopee."),
    seller: str = typer.Option(..., "--seller", help="Seller code."),
    name: str | None = typer.Option(None, "--name", help="Account name, when a seller has several shops there."),
    push_every: str | None = typer.Option(None, "--push-every", help=_EVERY_HELP),
    pull_every: str | None = typer.Option(None, "--pull-every", help=_EVERY_HELP),
    reconcile_every: str | None = typer.Option(None, "--reconcile-every", help=_EVERY_HELP),
) -> None:
    """Show or set how often the daemon pushes, pulls orders and reconciles one shop (followed within a minute)."""
    # The daemon's job builder brings the sync engine: loaded by this command, not by 'channels list'.
    from core.scheduler.builder import account_intervals, set_intervals
    from core.scheduler.jobs import JobKind

    store = state.store()
    account = find_account(store, seller=seller, channel=channel, name=name)
    given = {JobKind.PUSH: push_every, JobKind.PULL: pull_every, JobKind.RECONCILE: reconcile_every}
    changes = {kind: _every(value, f"--{kind.value}-every") for kind, value in given.items() if value is not None}
    set_intervals(store, account.id, changes)
    settings = state.settings().schedule
    lines = []
    for kind, (every, source) in account_intervals(store, settings, account.id).items():
        if kind is JobKind.TOKENS:
            continue
        where = {"account": "this shop's own", "channel": f"{channel}'s, from the config", "default": "default"}
        night = f", at night from {settings.reconcile_at}" if kind is JobKind.RECONCILE and every % 86400 == 0 else ""
        lines.append(f"  {kind.value:<10} every {format_duration(every)}{night} ({where[source]})")
    verb = "now runs" if changes else "runs"
    say(f"The daemon {verb} {seller}'s {channel} account {account.name!r}:")
    typer.echo("\n".join(lines))
    if changes:
        typer.echo("A running daemon follows within a minute.")
