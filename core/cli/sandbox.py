"""``chosync sandbox``: run a marketplace simulator on loopback for the demo and manual testing."""

from __future__ import annotations

import typer

app = typer.Typer(help="Local marketplace simulators.", no_args_is_help=True)


@app.command("serve")
def serve(
    name: str = typer.Argument(..., help="Which sandbox, e.g. shopee."),
    port: int = typer.Option(8701, "--port", help="Loopback port."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (keep it on loopback)."),
) -> None:
    """Serve a sandbox until Ctrl-C (Shopee: demo partner 2001887, key test_partner_key, shop 14701711)."""
    from connectors.sandbox import SANDBOXES
    from connectors.sandbox import serve as serve_sandbox

    if name in SANDBOXES:
        typer.echo(f"{name} sandbox on http://{host}:{port} (Ctrl-C to stop)")
    serve_sandbox(name, port, host)
