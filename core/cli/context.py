"""What every CLI command shares: the settings, the store (opened once, lazily), and output helpers."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from core.errors import ConfigError

if TYPE_CHECKING:  # the store and the settings are imported by the first command that needs them
    from core.db import Store
    from core.settings import Settings

__all__ = ["VIETNAM", "console", "console_err", "escape", "local_time", "print_json", "say", "state"]


@dataclass
class _State:
    database_url: str | None = None
    _store: Store | None = None
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            from tomllib import TOMLDecodeError

            from pydantic import ValidationError

            from core.logs import configure_logging
            from core.settings import load_settings, settings_error

            named = os.environ.get("CHOSYNC_CONFIG")
            if named and not Path(named).is_file():  # else silently ignored: the defaults would run instead
                raise ConfigError(
                    f"the settings file {named} (named by CHOSYNC_CONFIG) does not exist",
                    hint="correct CHOSYNC_CONFIG, or unset it to use config/chosync.toml",
                )
            overrides: dict[str, Any] = {}
            if self.database_url:
                overrides["database_url"] = self.database_url
            try:
                self._settings = load_settings(**overrides)
            except (ValidationError, TOMLDecodeError) as exc:
                raise settings_error(exc) from exc
            configure_logging(log_format=self._settings.log_format, level=self._settings.log_level)
        return self._settings

    def store(self) -> Store:
        if self._store is None:
            from core.db import open_store

            self._store = open_store(self.settings().database_url)
        return self._store

    def database_url_in_use(self) -> str | None:
        """The database URL this command uses, if it got that far (for naming it in an error)."""
        return self._settings.database_url if self._settings is not None else self.database_url

    def reset(self) -> None:
        self.close()
        self.database_url = None
        self._settings = None

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None


state = _State()


# Vietnam keeps UTC+7 all year (no daylight saving), so a fixed offset is exact and needs no tz database.
VIETNAM = timezone(timedelta(hours=7), "ICT")


def local_time(moment: datetime) -> str:
    """A stored UTC time as people in Vietnam read it."""
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")


def account_label(seller: str, channel: str, name: str) -> str:
    """``SELLER/channel``, with ``/name`` only when the seller has named the account apart from its channel."""
    return f"{seller}/{channel}" + ("" if name == channel else f"/{name}")


def console() -> Console:
    return Console(file=sys.stdout, soft_wrap=False)


def say(message: str) -> None:
    """A sentence for a person, wrapped at the terminal's width between words (an identifier stays whole).
    A link, a folder or a command someone copies goes through ``typer.echo`` instead: on its own line, whole."""
    console().print(message, markup=False, highlight=False, emoji=False)


def console_err() -> Console:
    return Console(file=sys.stderr, soft_wrap=True)


def print_json(data: Any) -> None:
    """JSON for scripts: UTF-8 as is (Vietnamese stays readable), one document on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
