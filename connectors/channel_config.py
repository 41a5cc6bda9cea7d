"""Reading a channel's toml (`config/channels/<channel>.toml`) and overlaying one account's settings.

A channel's toml holds what is the same for every shop on it (contract, limits, rates, layouts); a channel
account's settings add what is its own and may override anything (tables merge key by key, account wins).
The toml's ``description_template_file`` is read relative to the toml and becomes
``description_template``, unless the account gives its own text. Every connector's config loader
(Shopee, Postmart, the assisted floors) reads its toml through this one.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.settings import PROJECT_ROOT

__all__ = ["channel_toml_path", "merge_settings", "read_channel_toml"]


def channel_toml_path(name: str) -> Path:
    """`config/channels/<name>.toml` in the working directory if there is one, else the shipped one."""
    relative = Path("config") / "channels" / f"{name}.toml"
    return relative if relative.is_file() else PROJECT_ROOT / relative


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
