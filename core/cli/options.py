"""The options several commands share, declared once so they read and behave the same everywhere."""

from __future__ import annotations

import typer

__all__ = ["CHANNEL", "FULL", "JSON", "SELLER", "SKU"]

SELLER = typer.Option(None, "--seller", help="Only this seller.")
CHANNEL = typer.Option(None, "--channel", help="Only this channel.")
SKU = typer.Option(None, "--sku", help="Only this product SKU.")
FULL = typer.Option(False, "--full", help="Ignore what was pushed before: send everything again.")
JSON = typer.Option(False, "--json", help="Print JSON.")
