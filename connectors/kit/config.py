"""Reading a channel's toml (`config/channels/<channel>.toml`) and overlaying one account's settings, and
the config tables every channel shares.

A channel's toml holds what is the same for every shop on it (contract, limits, rates, layouts); a channel
account's settings add what is its own and may override anything (tables merge key by key, account wins).
The toml's ``description_template_file`` is read relative to the toml and becomes
``description_template``, unless the account gives its own text. Every connector's config loader
(Shopee, Postmart, the assisted floors) reads its toml through this one.

Every table of a channel config is a :class:`ChannelTable`: frozen, and an unknown key is an error (a
misspelt setting must not be silently ignored). :class:`ListingLimits` are what a channel accepts of a
listing, checked by its mapper before any request; they have no defaults, because they differ per channel
and the toml states (and marks) each value once. :class:`HttpSettings` are the client's timeouts,
:class:`ImageSettings` where product images may come from. :class:`ApiChannelConfig` is the base of every
channel with a seller API (Shopee, Postmart): what any such channel has, declared once.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, ValidationError

from connectors.kit.ratelimit import RateLimits
from connectors.kit.retry import RetrySettings
from core.errors import ConfigError
from core.logs import register_secret, scrub
from core.settings import channel_toml_path

__all__ = [
    "ApiChannelConfig",
    "ChannelTable",
    "ErrorSettings",
    "HttpSettings",
    "ImageSettings",
    "ListingLimits",
    "channel_toml_path",
    "describe_invalid",
    "load_channel_config",
    "merge_settings",
    "read_channel_toml",
    "read_secret",
]


class ChannelTable(BaseModel):
    """One table of a channel's config (or the whole config): frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ListingLimits(ChannelTable):
    """What every channel limits in a listing; a channel's own limits extend this table."""

    name_min_chars: PositiveInt
    name_max_chars: PositiveInt
    description_max_chars: PositiveInt
    images_min: NonNegativeInt
    images_max: PositiveInt
    image_max_bytes: PositiveInt
    sku_max_chars: PositiveInt


class HttpSettings(ChannelTable):
    timeout_s: float = Field(default=20.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)


class ErrorSettings(ChannelTable):
    """Failures that, by the marketplace's own rules, leave nothing applied (it refused before writing).

    A server error otherwise counts as "may have been applied": an add that got one is resolved by
    reading the marketplace back before it is sent again. An entry here makes such a failure a plain
    retryable one. Entries: an error code in the body as the marketplace spells it (``error_server``,
    ``500``), an HTTP status (``http_503``) or class (``http_5xx``).
    """

    not_applied: tuple[str, ...] = ()

    def applied_nothing(self, *, status: int, code: str | None = None) -> bool:
        keys = {f"http_{status}", f"http_{status // 100}xx"} | ({code} if code else set())
        return not keys.isdisjoint(self.not_applied)


class ImageSettings(ChannelTable):
    """Where an account's product images may be fetched from.

    An image at a loopback, link-local or private address (or a name that resolves to one) is refused,
    so a catalog cannot make chosync read the operator's own network; ``allowed_hosts`` names the hosts
    (as written in the image URLs, ``img.local`` or ``127.0.0.1``) an account may use all the same.
    """

    allowed_hosts: tuple[str, ...] = ()


class ApiChannelConfig(ChannelTable):
    """What every channel with a seller API has; a marketplace's config extends it (and its ``limits``).

    ``base_url`` has no default: the channel's toml states it (an account may point it at a sandbox).
    """

    base_url: str
    category_map: dict[str, int | str] = Field(default_factory=dict)
    description_template: str = "{description}"
    limits: ListingLimits
    rate: RateLimits = Field(default_factory=RateLimits)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    errors: ErrorSettings = Field(default_factory=ErrorSettings)
    images: ImageSettings = Field(default_factory=ImageSettings)


def merge_settings(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` laid over it; nested tables merge, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_settings(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_channel_toml(path: Path, account: Mapping[str, Any], *, what: str) -> dict[str, Any]:
    """The toml at ``path`` merged with an account's settings; ConfigError naming the file if unreadable."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {what} channel config {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} channel config {path} is not valid TOML: {exc}") from exc
    template_file = data.pop("description_template_file", None)
    if template_file is not None and "description_template" not in account:
        template_path = path.parent / str(template_file)
        try:
            data["description_template"] = template_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read description template {template_path}: {exc.strerror}") from exc
    return merge_settings(data, account)


_Config = TypeVar("_Config", bound=ChannelTable)


def load_channel_config(
    model: type[_Config], channel: str, path: Path | None, account: Mapping[str, Any], *, what: str
) -> _Config:
    """``model`` from the channel's toml (``path``, default `config/channels/<channel>.toml`) overlaid with
    one account's settings; ConfigError naming what is wrong (``what`` names the channel to a person)."""
    data = read_channel_toml(path or channel_toml_path(channel), account, what=what)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{what} channel settings are invalid:\n{describe_invalid(exc)}") from None


# A setting whose name holds one of these may carry a credential (partner_key, app_secret, access_token,
# password, sign...): its value is never repeated back, even when it is where it must not be.
_SECRET_NAME = re.compile(r"key|secret|token|passw|sign|credential", re.IGNORECASE)
_SHOWN_TYPES = (str, int, float, bool)
_SHOWN_CHARS = 60


def describe_invalid(exc: ValidationError) -> str:
    """One line per problem: where, what is wrong, and the value given unless it may be a secret.

    Pydantic's own text repeats every input (``input_value='...'``): a partner key passed by mistake
    as ``--set partner_key=...`` would be printed back to the terminal and into logs (DESIGN rule 8).
    Here a value is shown only when it is a plain scalar under a name that does not look secret; a
    table or list is never shown (it may hold a secret under any name), and the whole text is scrubbed
    of every registered secret besides.
    """
    lines = []
    for error in exc.errors(include_url=False, include_context=False, include_input=True):
        where = ".".join(str(part) for part in error["loc"]) or "(settings)"
        line = f"  {where} — {error['msg']}"  # not "name: ...": the scrubber would take it for a secret pair
        value = error.get("input")
        secret_looking = any(_SECRET_NAME.search(str(part)) for part in error["loc"])
        if isinstance(value, _SHOWN_TYPES) and not secret_looking and error["type"] != "missing":
            text = repr(value)
            line += f" (given {text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + '...'})"
        lines.append(line)
    return scrub("\n".join(lines))


def read_secret(what: str, *, file: Path | None, env_var: str, environ: Mapping[str, str] | None, hint: str) -> str:
    """A secret (``what``, as "the Shopee partner key") from ``file`` when one is named, else from the
    environment variable ``env_var``; registered with the log scrubber once read. ConfigError when it
    cannot be read or is empty: secrets are never in a channel's toml or an account's settings."""
    if file is not None:
        try:
            secret = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read {what} file {file}: {exc.strerror}") from exc
    else:
        secret = (os.environ if environ is None else environ).get(env_var, "").strip()
    if not secret:
        raise ConfigError(f"{what} is not set", hint=hint)
    register_secret(secret)
    return secret
