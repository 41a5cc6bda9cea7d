"""``chosync channels`` and ``chosync categories``: connect sellers' shops and map categories."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer

from core.channels import (
    add_account,
    category_map,
    find_account,
    list_accounts,
    set_category_map,
    update_account,
)
from core.cli.access import access_health
from core.cli.context import console, console_err, escape, local_time, print_json, say, state
from core.cli.tables import Col, Grid, Under
from core.errors import InputRejected, UsageError
from core.models import utcnow
from core.ports import Authorizing, LearnsSettings, get_connector_class

app = typer.Typer(help="Connect sellers' shops on each marketplace.", no_args_is_help=True)
categories_app = typer.Typer(help="Map our categories to each marketplace's.", no_args_is_help=True)


def _settings(
    base_url: str | None,
    partner_id: int | None,
    shop_id: int | None,
    partner_key_env: str | None,
    logistics: list[int] | None,
    pairs: list[str] | None,
) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key, value in (("base_url", base_url), ("partner_id", partner_id), ("shop_id", shop_id),
                       ("partner_key_env", partner_key_env)):  # fmt: skip
        if value is not None:
            settings[key] = value
    if logistics:
        settings["logistics"] = [{"logistic_id": lid, "enabled": True} for lid in logistics]
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {pair!r} is not KEY=VALUE")
        try:
            settings[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            settings[key.strip()] = raw
    return settings


def _rules(markup: float | None, round_to: int | None, buffer: int | None, share: float | None) -> dict[str, Any]:
    given = {
        "price_markup_percent": markup,
        "round_to_vnd": round_to,
        "stock_buffer": buffer,
        "stock_share_percent": share,
    }
    return {k: v for k, v in given.items() if v is not None}


_SELLER = typer.Option(..., "--seller", help="Seller code.")
_NAME = typer.Option(None, "--name", help="Account name, when a seller has several shops on the channel.")
_BASE_URL = typer.Option(None, "--base-url", help="API base URL (live, test or a sandbox).")
_PARTNER_ID = typer.Option(None, "--partner-id", help="Partner (app) id.")
_SHOP_ID = typer.Option(None, "--shop-id", help="The seller's shop id on the channel.")
_KEY_ENV = typer.Option(None, "--partner-key-env", help="Environment variable holding the partner key (never stored).")
_LOGISTICS = typer.Option(None, "--logistics-id", help="Logistics channel id to enable (repeatable).")
_SET = typer.Option(None, "--set", help="Any other setting as KEY=VALUE (VALUE may be JSON; repeatable).")
_MARKUP = typer.Option(None, "--markup", help="Price markup in percent (default 0).")
_ROUND = typer.Option(None, "--round-to", help="Round prices up to a multiple of this many đồng (0 = no).")
_BUFFER = typer.Option(None, "--stock-buffer", help="Units held back from this channel (default 0).")
_SHARE = typer.Option(None, "--stock-share", help="Percent of available stock shown here (default 100).")


@app.command("add")
def add(
    channel: str = typer.Argument(..., help="Channel name, e.g. shopee."),
    seller: str = _SELLER,
    name: str | None = _NAME,
    base_url: str | None = _BASE_URL,
    partner_id: int | None = _PARTNER_ID,
    shop_id: int | None = _SHOP_ID,
    partner_key_env: str | None = _KEY_ENV,
    logistics: list[int] | None = _LOGISTICS,
    pairs: list[str] | None = _SET,
    markup: float | None = _MARKUP,
    round_to: int | None = _ROUND,
    buffer: int | None = _BUFFER,
    share: float | None = _SHARE,
) -> None:
    """Add a seller's shop on a channel (no markup, no rounding, no buffer, 100 % share by default)."""
    from core.ports import AccountRules

    settings = _settings(base_url, partner_id, shop_id, partner_key_env, logistics, pairs)
    rules = AccountRules.model_validate(_rules(markup, round_to, buffer, share))
    add_account(state.store(), seller=seller, channel=channel, name=name, settings=settings, rules=rules)
    say(f"{channel} account {name or channel!r} added for {seller}.")
    if issubclass(get_connector_class(channel), Authorizing):
        typer.echo(f"Next: chosync channels connect {channel} --seller {seller}")


@app.command("set")
def set_(
    channel: str = typer.Argument(..., help="Channel name."),
    seller: str = _SELLER,
    name: str | None = _NAME,
    base_url: str | None = _BASE_URL,
    partner_id: int | None = _PARTNER_ID,
    shop_id: int | None = _SHOP_ID,
    partner_key_env: str | None = _KEY_ENV,
    logistics: list[int] | None = _LOGISTICS,
    pairs: list[str] | None = _SET,
    markup: float | None = _MARKUP,
    round_to: int | None = _ROUND,
    buffer: int | None = _BUFFER,
    share: float | None = _SHARE,
    enabled: bool | None = typer.Option(None, "--enable/--disable", help="Sync this account or pause it."),
) -> None:
    """Change an account's settings or rules, or pause it."""
    account = find_account(state.store(), seller=seller, channel=channel, name=name)
    settings = _settings(base_url, partner_id, shop_id, partner_key_env, logistics, pairs)
    rules = _rules(markup, round_to, buffer, share)
    update_account(state.store(), account.id, settings=settings, rules=rules, enabled=enabled)
    say(f"{channel} account {account.name!r} of {seller} updated.")


@app.command("remove")
def remove(
    channel: str = typer.Argument(..., help="Channel name."),
    seller: str = _SELLER,
    name: str | None = _NAME,
    force: bool = typer.Option(
        False, "--force", help="Remove even with live listings, unsettled operations or open orders."
    ),
) -> None:
    """Remove a seller's shop: a running daemon drops its jobs within a minute; its orders and ledger stay.

    Refused while the shop has live listings, unsettled operations or orders holding stock (archive and
    sync first, or --force). A shop nothing was synced through is deleted; one with history is marked removed.
    """
    from core.account_removal import remove_account  # the sync models: not for 'channels list'

    store = state.store()
    account = find_account(store, seller=seller, channel=channel, name=name)
    how = remove_account(store, account, force=force)
    kept = "" if how == "deleted" else "; its orders, ledger entries and run history are kept"
    say(f"{channel} account {account.name!r} of {seller} {how}{kept}.")
    typer.echo("A running daemon drops its jobs within a minute.")


@app.command("apply")
def apply_file(
    file: Path = typer.Argument(..., help="TOML file with [[account]] tables (see config/accounts.example.toml)."),
) -> None:
    """Add or update the channel accounts a TOML file declares (all checked first; nothing secret in it)."""
    import tomllib

    from pydantic import ValidationError

    from core.channels import DeclaredAccount, apply_declared

    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
        accounts = [DeclaredAccount.model_validate(entry) for entry in data.get("account", [])]
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise InputRejected(
            f"{file.name} is not a valid accounts file: {exc}", hint="see config/accounts.example.toml"
        ) from exc
    if not accounts:
        raise InputRejected(f"{file.name} declares no [[account]]", hint="see config/accounts.example.toml")
    counts = apply_declared(state.store(), accounts)
    typer.echo(", ".join(f"{n} {what}" for what, n in counts.items()))


@app.command("connect")
def connect(
    channel: str = typer.Argument(..., help="Channel name."),
    seller: str = _SELLER,
    name: str | None = _NAME,
    code: str | None = typer.Option(None, "--code", help="The code the authorisation redirect returned."),
    shop_id: int | None = typer.Option(None, "--shop-id", help="The shop id the redirect returned."),
    redirect: str = typer.Option(
        "https://localhost/chosync/authorized",
        "--redirect",
        help="Where the marketplace sends the seller back.",
    ),
) -> None:
    """Without --code: print the URL the seller opens to authorise chosync. With --code: finish it."""
    from core.http import http_client  # the HTTP client and the sync engine: only where a marketplace is called
    from core.sync.connect import build_connector

    store = state.store()
    account = find_account(store, seller=seller, channel=channel, name=name)
    if not issubclass(get_connector_class(channel), Authorizing):
        raise UsageError(f"{channel} accounts are not authorised with a code")
    if shop_id is not None and account.settings.get("shop_id") != shop_id:
        update_account(store, account.id, settings={"shop_id": shop_id})
        account = find_account(store, seller=seller, channel=channel, name=account.name)

    async def run() -> str:
        async with http_client() as http:
            connector = build_connector(state.store(), account, http)
            assert isinstance(connector, Authorizing)
            if code is None:
                return str(connector.authorization_url(redirect))
            tokens = await connector.connect(code)
            if isinstance(connector, LearnsSettings) and (learned := connector.learned_settings()):
                update_account(state.store(), account.id, settings=learned)
            renew_by = local_time(tokens.refresh_expires_at)
            return f"Connected. Access renews automatically; re-authorise before {renew_by}."

    message = asyncio.run(run())
    if code is None:
        typer.echo("Open this link as the shop owner, then run this command again with --code CODE")
        typer.echo(f"from the page it returns to (and --shop-id ID when that page shows one):\n{message}")
    else:
        typer.echo(message)


@app.command("list")
def list_(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's accounts."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List channel accounts with their rules and token health (warned auth.refresh_warn_days ahead)."""
    accounts = list_accounts(state.store(), seller=seller)
    now = utcnow()
    if as_json:
        print_json(
            [
                {"seller": a.seller, "channel": a.channel, "name": a.name, "enabled": a.enabled,
                 "settings": a.settings, "rules": a.rules.model_dump(),
                 "token": access_health(a.channel, a.refresh_expires_at, now, a.settings)[0],
                 "refresh_expires_at": a.refresh_expires_at}
                for a in accounts
            ]
        )  # fmt: skip
        return
    table = Grid(
        [Col("Seller", "id"), Col("Channel", "id"), Col("Name", "id"), Col("Shop", "id"), Col("Rules"),
         Col("Enabled"), Col("Authorisation", "text")],
        title=f"{len(accounts)} channel account{'s' if len(accounts) != 1 else ''}",
        narrow=[Under("Channel", "Seller"), Under("Name", "Seller"), Under("Enabled", "Rules"),
                Under("Shop", "Seller")],
        legend="Rules: +price markup ↑rounded up to a multiple of (đồng) −units held back ×share of the stock shown",
    )  # fmt: skip
    warnings = []
    for a in accounts:
        health, warn = access_health(a.channel, a.refresh_expires_at, now, a.settings)
        rules = a.rules
        shown_rules = (
            f"+{rules.price_markup_percent:g}% ↑{rules.round_to_vnd} "
            f"−{rules.stock_buffer} ×{rules.stock_share_percent:g}%"
        )
        table.add_row(
            a.seller, escape(a.channel), escape(a.name), escape(str(a.settings.get("shop_id", ""))), shown_rules,
            "yes" if a.enabled else "no", f"[yellow]{escape(health)}[/]" if warn else escape(health),
        )  # fmt: skip
        if warn:
            warnings.append(f"{a.seller} {a.channel} ({a.name}): {health}")
    table.print(console())
    for warning in warnings:
        console_err().print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)


@categories_app.command("map")
def map_categories(
    channel: str = typer.Argument(..., help="Channel name."),
    file: Path = typer.Argument(..., help="CSV/XLSX with columns category,marketplace_category_id."),
    seller: str | None = typer.Option(None, "--seller", help="Override for one seller's account only."),
    name: str | None = _NAME,
) -> None:
    """Map our categories to the channel's (channel-wide, or one account's overrides)."""
    from core.catalog.readers import open_table

    get_connector_class(channel)
    mapping: dict[str, str] = {}
    problems: list[str] = []
    with open_table(file) as table:
        if table.header[:2] != ["category", "marketplace_category_id"] or len(table.header) != 2:
            raise InputRejected(
                f"{file.name} must have exactly the columns category,marketplace_category_id",
                hint=f"its header is {','.join(table.header)}",
            )
        for row in table.rows():
            category = str(row.values.get("category") or "").strip()
            target = str(row.values.get("marketplace_category_id") or "").strip()
            if target.endswith(".0"):  # an XLSX number cell
                target = target[:-2]
            if not category or not target:
                problems.append(f"row {row.number}: both columns are needed")
            elif category in mapping:
                problems.append(f"row {row.number}: {category!r} is mapped twice")
            else:
                mapping[category] = target
    if problems or not mapping:
        for problem in problems:
            console_err().print(escape(problem), highlight=False)
        message = f"{file.name}: {len(problems)} bad rows; nothing was mapped" if problems else "no rows"
        raise InputRejected(message, hint="columns: category,marketplace_category_id; one row per category")
    account_id = find_account(state.store(), seller=seller, channel=channel, name=name).id if seller else None
    count = set_category_map(state.store(), channel, mapping, account_id=account_id)
    say(f"{count} categories mapped for {channel}" + (f" ({seller} only)" if seller else ""))


@categories_app.command("list")
def list_categories(
    channel: str = typer.Argument(..., help="Channel name."),
    seller: str | None = typer.Option(None, "--seller", help="The map as one seller's account sees it."),
    name: str | None = _NAME,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the category map of a channel (with one account's overrides when --seller is given)."""
    store = state.store()
    account_id = find_account(store, seller=seller, channel=channel, name=name).id if seller else None
    mapping = category_map(store, channel, account_id=account_id)
    if as_json:
        print_json(mapping)
        return
    table = Grid([Col("Our category", "text"), Col(f"{channel} category id", "id")],
                 title=f"{escape(channel)}: {len(mapping)} categories mapped")  # fmt: skip
    for ours, theirs in mapping.items():
        table.add_row(escape(ours), escape(theirs))
    table.print(console())
