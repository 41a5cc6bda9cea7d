"""Channel accounts: each seller's shops, their rules, tokens and category maps, as the store keeps them.

A channel account is created through the CLI (``chosync channels add``) and handed to its connector as
a :class:`core.ports.ChannelAccount`: the account's settings with the category map merged in
(channel-wide map, overlaid by the account's own), and its price and stock rules. Secrets are never
stored here; tokens are, in their own table, replaced after every refresh (:class:`DatabaseTokenStore`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from core.db import Store
from core.errors import InputRejected, NotFound, UsageError
from core.filters import known_channel, known_seller, seller_code, unknown
from core.logs import register_secret
from core.models import CATEGORY_MAP, CHANNEL_ACCOUNT, CHANNEL_TOKEN, SELLER, utcnow
from core.ports import AccountRules, ChannelAccount, Tokens, get_connector_class
from core.revisions import touch_accounts

__all__ = [
    "AccountSummary",
    "DatabaseTokenStore",
    "DeclaredAccount",
    "add_account",
    "apply_declared",
    "category_map",
    "channel_account",
    "check_urls",
    "find_account",
    "list_accounts",
    "set_category_map",
    "update_account",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_RULE_FIELDS = ("price_markup_percent", "round_to_vnd", "stock_buffer", "stock_share_percent")
# The settings every API connector reads as addresses: checked here once, for every channel.
_URL_SETTINGS = ("base_url", "auth_base_url")


def check_urls(settings: Mapping[str, Any]) -> None:
    """``base_url`` and ``auth_base_url``, when given, are http(s) URLs with a host: a typo is refused now,
    not found by the first sync as a connection that cannot be made."""
    for key in _URL_SETTINGS:
        value = settings.get(key)
        if value is None:
            continue
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(
                f"{key} {value!r} is not an http(s) URL with a host",
                hint=f"give the marketplace's API address, e.g. https://api.example.vn (--{key.replace('_', '-')}"
                f" or --set {key}=...)",
            )


@dataclass(frozen=True, slots=True)
class AccountSummary:
    id: int
    seller: str
    channel: str
    name: str
    settings: dict[str, Any]
    rules: AccountRules
    enabled: bool
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None


def _seller_id(conn: Any, seller: str) -> int:
    found = conn.execute(select(SELLER.c.id).where(SELLER.c.code == seller_code(seller))).scalar()
    if found is None:
        raise NotFound(f"seller {seller!r} is not registered", hint="see 'chosync sellers list'")
    return int(found)


def add_account(
    store: Store,
    *,
    seller: str,
    channel: str,
    settings: Mapping[str, Any],
    rules: AccountRules | None = None,
    name: str | None = None,
) -> int:
    """Register a seller's shop on a channel; the connector checks the settings first."""
    name = name or channel
    seller = seller_code(seller)
    if not _NAME.match(name):
        raise UsageError(f"{name!r} is not a valid account name", hint="use lowercase letters, digits, - and _")
    check_urls(settings)
    get_connector_class(channel).check_settings(settings)
    values = (rules or AccountRules()).model_dump()
    now = utcnow()
    try:
        with store.engine.begin() as conn:
            result = conn.execute(
                CHANNEL_ACCOUNT.insert().values(
                    seller_id=_seller_id(conn, seller),
                    channel=channel,
                    name=name,
                    settings=dict(settings),
                    enabled=True,
                    created_at=now,
                    updated_at=now,
                    **{f: values[f] for f in _RULE_FIELDS},
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])
    except IntegrityError as exc:
        if _removed_named(store, seller, channel, name):
            raise InputRejected(
                f"{seller} had a {channel} account named {name!r}, removed but kept for its orders",
                hint="pass --name to give the new account another name",
            ) from exc
        raise InputRejected(
            f"{seller} already has a {channel} account named {name!r}",
            hint=f"change it with 'chosync channels set {channel} --seller {seller}', or pass --name",
        ) from exc


def _removed_named(store: Store, seller: str, channel: str, name: str) -> bool:
    query = (
        select(CHANNEL_ACCOUNT.c.id)
        .join(SELLER, SELLER.c.id == CHANNEL_ACCOUNT.c.seller_id)
        .where(SELLER.c.code == seller, CHANNEL_ACCOUNT.c.channel == channel, CHANNEL_ACCOUNT.c.name == name)
        .where(CHANNEL_ACCOUNT.c.removed_at.is_not(None))
    )
    with store.engine.connect() as conn:
        return conn.execute(query).first() is not None


def find_account(store: Store, *, seller: str, channel: str, name: str | None = None) -> AccountSummary:
    """The one account of ``seller`` on ``channel`` (``name`` needed only when there are several)."""
    accounts = list_accounts(store, seller=seller, channel=channel)
    seller = seller_code(seller)
    if name is not None and accounts and name not in {a.name for a in accounts}:
        wrong = unknown(f"{channel} account of {seller} named", name, (a.name for a in accounts),
                        see=f"chosync channels list --seller {seller}")  # fmt: skip
        raise UsageError(f"{seller} has no {channel} account named {name!r}", hint=wrong.hint)
    if name is not None:
        accounts = [a for a in accounts if a.name == name]
    if not accounts:
        raise NotFound(
            f"{seller} has no {channel} account" + (f" named {name!r}" if name else ""),
            hint=f"add one with 'chosync channels add {channel} --seller {seller} ...'",
        )
    if len(accounts) > 1:
        names = ", ".join(a.name for a in accounts)
        raise UsageError(f"{seller} has several {channel} accounts ({names})", hint="pass --name")
    return accounts[0]


def update_account(
    store: Store,
    account_id: int,
    *,
    settings: Mapping[str, Any] | None = None,
    rules: Mapping[str, Any] | None = None,
    enabled: bool | None = None,
) -> None:
    """Change an account: ``settings`` are merged into the stored ones; ``rules`` fields replace theirs."""
    with store.engine.begin() as conn:
        row = conn.execute(select(CHANNEL_ACCOUNT).where(CHANNEL_ACCOUNT.c.id == account_id)).one()
        values: dict[str, Any] = {"updated_at": utcnow()}
        replan = False
        if settings:
            merged = {**row.settings, **settings}
            check_urls(settings)
            get_connector_class(row.channel).check_settings(merged)
            values["settings"] = merged
            replan = merged != row.settings
        if rules:
            current = {f: getattr(row, f) for f in _RULE_FIELDS}
            checked = AccountRules.model_validate({**current, **rules}).model_dump()
            values.update({f: checked[f] for f in _RULE_FIELDS})
            replan = replan or any(checked[f] != current[f] for f in _RULE_FIELDS)
        if enabled is not None:
            values["enabled"] = enabled
        conn.execute(update(CHANNEL_ACCOUNT).where(CHANNEL_ACCOUNT.c.id == account_id).values(values))
        if replan:
            # What the account shows may differ now (a price rule, a shipping channel's needs): every
            # listing is planned again at the next push; those whose listing did not change cost no request.
            touch_accounts(conn, [account_id])


def list_accounts(
    store: Store, *, seller: str | None = None, channel: str | None = None, removed: bool = False
) -> list[AccountSummary]:
    """The accounts in the store; those removed with ``chosync channels remove`` only when ``removed``.

    A ``seller`` or ``channel`` that names nothing is a UsageError (:mod:`core.filters`), not no accounts."""
    query = (
        select(
            CHANNEL_ACCOUNT,
            SELLER.c.code,
            CHANNEL_TOKEN.c.access_expires_at,
            CHANNEL_TOKEN.c.refresh_expires_at,
        )
        .join(SELLER, SELLER.c.id == CHANNEL_ACCOUNT.c.seller_id)
        .outerjoin(CHANNEL_TOKEN, CHANNEL_TOKEN.c.account_id == CHANNEL_ACCOUNT.c.id)
        .order_by(SELLER.c.code, CHANNEL_ACCOUNT.c.channel, CHANNEL_ACCOUNT.c.name)
    )
    if not removed:
        query = query.where(CHANNEL_ACCOUNT.c.removed_at.is_(None))
    with store.engine.connect() as conn:
        if seller is not None:
            query = query.where(SELLER.c.code == known_seller(conn, seller))
        if channel is not None:
            query = query.where(CHANNEL_ACCOUNT.c.channel == known_channel(conn, channel))
        return [
            AccountSummary(
                id=r.id,
                seller=r.code,
                channel=r.channel,
                name=r.name,
                settings=dict(r.settings),
                rules=AccountRules(**{f: getattr(r, f) for f in _RULE_FIELDS}),
                enabled=r.enabled,
                access_expires_at=r.access_expires_at,
                refresh_expires_at=r.refresh_expires_at,
            )
            for r in conn.execute(query)
        ]


def set_category_map(store: Store, channel: str, mapping: Mapping[str, str], *, account_id: int | None = None) -> int:
    """Upsert category mappings for a channel (or one account's overrides); returns how many were set."""
    scope = "" if account_id is None else str(account_id)
    now = utcnow()
    with store.engine.begin() as conn:
        before = dict(
            conn.execute(
                select(CATEGORY_MAP.c.category, CATEGORY_MAP.c.marketplace_category).where(
                    CATEGORY_MAP.c.channel == channel, CATEGORY_MAP.c.scope == scope
                )
            ).all()
        )
        if any(before.get(category) != target for category, target in mapping.items()):
            # A product's marketplace category moved: the listings of the accounts it applies to re-plan.
            accounts = select(CHANNEL_ACCOUNT.c.id).where(CHANNEL_ACCOUNT.c.channel == channel)
            if account_id is not None:
                accounts = accounts.where(CHANNEL_ACCOUNT.c.id == account_id)
            touch_accounts(conn, conn.execute(accounts).scalars())
        conn.execute(
            delete(CATEGORY_MAP).where(
                CATEGORY_MAP.c.channel == channel,
                CATEGORY_MAP.c.scope == scope,
                CATEGORY_MAP.c.category.in_(list(mapping)),
            )
        )
        if mapping:
            conn.execute(
                CATEGORY_MAP.insert(),
                [
                    {"channel": channel, "scope": scope, "category": category,
                     "marketplace_category": target, "updated_at": now}
                    for category, target in mapping.items()
                ],
            )  # fmt: skip
    return len(mapping)


def category_map(store: Store, channel: str, *, account_id: int | None = None) -> dict[str, str]:
    """The channel-wide map, overlaid by the account's own entries when ``account_id`` is given."""
    scopes = [""] if account_id is None else ["", str(account_id)]
    query = (
        select(CATEGORY_MAP.c.scope, CATEGORY_MAP.c.category, CATEGORY_MAP.c.marketplace_category)
        .where(CATEGORY_MAP.c.channel == channel, CATEGORY_MAP.c.scope.in_(scopes))
        .order_by(CATEGORY_MAP.c.scope, CATEGORY_MAP.c.category)
    )
    with store.engine.connect() as conn:
        return {category: target for _, category, target in conn.execute(query)}


def channel_account(store: Store, account: AccountSummary) -> ChannelAccount:
    """What the connector is built from: settings with the category map merged in, and the rules."""
    settings = dict(account.settings)
    categories = category_map(store, account.channel, account_id=account.id)
    settings["category_map"] = {**categories, **settings.get("category_map", {})}
    return ChannelAccount(
        channel=account.channel, seller=account.seller, name=account.name, settings=settings, rules=account.rules
    )


class DatabaseTokenStore:
    """A channel account's tokens in the store; every token read is registered as a secret."""

    def __init__(self, store: Store, account_id: int) -> None:
        self._store = store
        self._account_id = account_id

    def _load(self) -> Tokens | None:
        with self._store.engine.connect() as conn:
            row = conn.execute(select(CHANNEL_TOKEN).where(CHANNEL_TOKEN.c.account_id == self._account_id)).first()
        if row is None:
            return None
        register_secret(row.access_token)
        register_secret(row.refresh_token)
        return Tokens(
            access_token=row.access_token,
            refresh_token=row.refresh_token,
            access_expires_at=row.access_expires_at,
            refresh_expires_at=row.refresh_expires_at,
        )

    def _save(self, tokens: Tokens) -> None:
        values = {**tokens.model_dump(), "updated_at": utcnow()}
        with self._store.engine.begin() as conn:
            changed = conn.execute(
                update(CHANNEL_TOKEN).where(CHANNEL_TOKEN.c.account_id == self._account_id).values(values)
            ).rowcount
            if not changed:
                conn.execute(CHANNEL_TOKEN.insert().values(account_id=self._account_id, **values))

    async def load(self) -> Tokens | None:
        return await asyncio.to_thread(self._load)

    async def save(self, tokens: Tokens) -> None:
        await asyncio.to_thread(self._save, tokens)


class DeclaredAccount(BaseModel):
    """One channel account as declared in a TOML file (``chosync channels apply``)."""

    model_config = ConfigDict(extra="forbid")

    seller: str
    channel: str
    name: str | None = None
    enabled: bool = True
    settings: dict[str, Any] = Field(default_factory=dict)
    rules: AccountRules = Field(default_factory=AccountRules)

    @field_validator("seller")
    @classmethod
    def _stored_code(cls, value: str) -> str:
        return seller_code(value)


def apply_declared(store: Store, accounts: Sequence[DeclaredAccount]) -> dict[str, int]:
    """Make the store hold the declared accounts: missing ones added, declared settings and rules set.

    Everything is checked first (sellers registered, channels known, settings valid), so a file with one
    bad account changes nothing. Settings not declared are left as they are; secrets are never declared.
    """
    existing = {(a.seller, a.channel, a.name): a for a in list_accounts(store)}
    for declared in accounts:
        get_connector_class(declared.channel)
        name = declared.name or declared.channel
        current = existing.get((declared.seller, declared.channel, name))
        merged = {**(current.settings if current else {}), **declared.settings}
        check_urls(declared.settings)
        get_connector_class(declared.channel).check_settings(merged)
        if current is None:
            with store.engine.connect() as conn:
                _seller_id(conn, declared.seller)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for declared in accounts:
        name = declared.name or declared.channel
        current = existing.get((declared.seller, declared.channel, name))
        if current is None:
            account_id = add_account(
                store, seller=declared.seller, channel=declared.channel, name=name,
                settings=declared.settings, rules=declared.rules,
            )  # fmt: skip
            if not declared.enabled:
                update_account(store, account_id, enabled=False)
            counts["added"] += 1
            continue
        same = (
            all(current.settings.get(k) == v for k, v in declared.settings.items())
            and current.rules == declared.rules
            and current.enabled == declared.enabled
        )
        if same:
            counts["unchanged"] += 1
            continue
        update_account(
            store, current.id, settings=declared.settings, rules=declared.rules.model_dump(), enabled=declared.enabled
        )
        counts["updated"] += 1
    return counts
