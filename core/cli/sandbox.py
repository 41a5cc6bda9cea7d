"""``chosync sandbox``: run the marketplace simulators on loopback for the demo and manual testing.

The simulators are not part of the product: they live beside it in a checkout (``simulators/``) and are
not shipped in its package. They are imported only here, when asked for, from the installed environment
if something installed them, else from the checkout chosync runs from; otherwise the command says so.
"""

from __future__ import annotations

import importlib.util
import sys
from contextlib import ExitStack
from pathlib import Path

import typer

from core.errors import ConfigError, UsageError
from core.settings import PROJECT_ROOT

app = typer.Typer(help="Local marketplace simulators.", no_args_is_help=True)

DEMO_SNAPSHOT = Path(".demo") / "sandboxes.pickle"


_FAULT_HELP = (
    "KIND:RATE, repeatable: that fault on that share of requests (0.1 or 10%). Kinds: latency, server_error, "
    "rate_limit, timeout, malformed_json, lost_response (applied, answer lost)."
)


@app.command("serve")
def serve(
    name: str = typer.Argument(..., help="Which sandbox: shopee, postmart, voso, provincial, or all."),
    port: int = typer.Option(8701, "--port", help="Loopback port (all: the first of four consecutive ports)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (keep it on loopback)."),
    snapshot: Path | None = typer.Option(
        None, "--from", help=f"all: the sandboxes saved by the demo (default {DEMO_SNAPSHOT} when it exists)."
    ),
    fresh: bool = typer.Option(False, "--fresh", help="all: start empty sandboxes even when the demo saved some."),
    rate_limit: str | None = typer.Option(
        None, "--rate-limit", metavar="N/s", help="Refuse requests past N per second per partner app (5/s, 120/min)."
    ),
    access_ttl: str | None = typer.Option(
        None, "--access-token-ttl", metavar="DURATION", help="Access token lifetime (90s, 10m, 4h)."
    ),
    refresh_ttl: str | None = typer.Option(
        None, "--refresh-token-ttl", metavar="DURATION", help="Refresh token lifetime (1h, 30d)."
    ),
    faults: list[str] = typer.Option([], "--fault", metavar="KIND:RATE", help=_FAULT_HELP),
) -> None:
    """Serve a sandbox until Ctrl-C; `all` serves every one, the demo's own when it saved them.

    Rate limit, token lifetimes and faults tune one sandbox (shopee): try retries and token refreshes by hand.
    """
    _find_simulators()
    from simulators.common.standalone import Tuning, serve_one

    tuning = Tuning.parse(
        rate_limit=rate_limit, access_token_ttl=access_ttl, refresh_token_ttl=refresh_ttl, faults=faults
    )
    if name == "all":
        if not tuning.is_default:
            raise UsageError("--rate-limit, --access-token-ttl, --refresh-token-ttl and --fault go with one sandbox")
        _serve_all(port, None if fresh else snapshot or (DEMO_SNAPSHOT if DEMO_SNAPSHOT.exists() else None))
        return
    if snapshot is not None or fresh:
        raise UsageError("--from and --fresh go with 'serve all'")
    serve_one(name, port, host, tuning, announce=typer.echo)


def _find_simulators() -> None:
    if importlib.util.find_spec("simulators") is not None:
        return
    if (PROJECT_ROOT / "simulators" / "__init__.py").is_file():  # a checkout: the simulators sit beside core/
        sys.path.insert(0, str(PROJECT_ROOT))
        return
    raise ConfigError(
        "the marketplace simulators are not installed with chosync",
        hint="run 'chosync sandbox' from a checkout of chosync's repository (they live in its simulators/ folder)",
    )


def _serve_all(first_port: int, snapshot: Path | None) -> None:
    from simulators.common.fleet import fresh_fleet, load_fleet, save_fleet, serve_fleet, wait_for_interrupt

    if snapshot is not None:
        if not snapshot.is_file():
            raise UsageError(f"no saved sandboxes at {snapshot}", hint="run `make demo` first, or use --fresh")
        try:
            fleet, ports = load_fleet(snapshot)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    else:
        fleet = fresh_fleet()
        ports = {name: first_port + i for i, name in enumerate(fleet.apps())}
    with ExitStack() as stack:
        try:
            urls = stack.enter_context(serve_fleet(fleet, ports))
        except RuntimeError as exc:  # uvicorn could not bind a port: the servers already up are stopped
            raise UsageError(
                f"{exc}: its port is in use", hint="is another `chosync sandbox serve` running? stop it, or use --port"
            ) from None
        _announce(urls, snapshot)
        wait_for_interrupt()
        if snapshot is not None:
            save_fleet(fleet, urls, snapshot)
            typer.echo(f"Saved the sandboxes' state back to {snapshot}.")


def _announce(urls: dict[str, str], snapshot: Path | None) -> None:
    from simulators.common.fleet import fleet_accounts

    origin = f"the demo's marketplaces, from {snapshot}" if snapshot else "fresh sandboxes"
    typer.echo(f"Serving {origin} (Ctrl-C to stop):")
    for channel, url in urls.items():
        typer.echo(f"  {channel:<11} {url}")
    if snapshot is None:
        typer.echo(fleet_accounts())
