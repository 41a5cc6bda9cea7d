"""``chosync sandbox``: run the marketplace simulators on loopback for the demo and manual testing."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import typer

from core.errors import UsageError

app = typer.Typer(help="Local marketplace simulators.", no_args_is_help=True)

DEMO_SNAPSHOT = Path(".demo") / "sandboxes.pickle"


@app.command("serve")
def serve(
    name: str = typer.Argument(..., help="Which sandbox: shopee, postmart, voso, provincial, or all."),
    port: int = typer.Option(8701, "--port", help="Loopback port (all: the first of four consecutive ports)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (keep it on loopback)."),
    snapshot: Path | None = typer.Option(
        None, "--from", help=f"all: the sandboxes saved by the demo (default {DEMO_SNAPSHOT} when it exists)."
    ),
    fresh: bool = typer.Option(False, "--fresh", help="all: start empty sandboxes even when the demo saved some."),
) -> None:
    """Serve a sandbox until Ctrl-C; `all` serves every one, the demo's own when it saved them."""
    from connectors.sandbox import SANDBOXES
    from connectors.sandbox import serve as serve_sandbox

    if name == "all":
        _serve_all(port, None if fresh else snapshot or (DEMO_SNAPSHOT if DEMO_SNAPSHOT.exists() else None))
        return
    if snapshot is not None or fresh:
        raise UsageError("--from and --fresh go with 'serve all'")
    if name in SANDBOXES:
        typer.echo(f"{name} sandbox on http://{host}:{port} (Ctrl-C to stop)")
    serve_sandbox(name, port, host)


def _serve_all(first_port: int, snapshot: Path | None) -> None:
    from connectors.sandbox.fleet import fresh_fleet, load_fleet, save_fleet, serve_fleet, wait_for_interrupt

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
    from connectors.sandbox.postmart import DEMO_USERNAME
    from connectors.sandbox.shopee import DEMO_PARTNER_ID, DEMO_SHOP_ID

    origin = f"the demo's marketplaces, from {snapshot}" if snapshot else "fresh sandboxes"
    typer.echo(f"Serving {origin} (Ctrl-C to stop):")
    for channel, url in urls.items():
        typer.echo(f"  {channel:<11} {url}")
    if snapshot is None:
        typer.echo(f"Shopee: partner {DEMO_PARTNER_ID}, shop {DEMO_SHOP_ID}; Postmart: merchant {DEMO_USERNAME}.")
