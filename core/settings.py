"""Settings: `config/chosync.toml`, overridden by `CHOSYNC_*` environment variables.

The settings file is the one ``CHOSYNC_CONFIG`` names, else `config/chosync.toml` in the working
directory, else the one shipped beside the code. Environment variables always win over the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core.errors import ConfigError
from core.scheduler.durations import parse_duration

__all__ = [
    "PROJECT_ROOT",
    "ChannelSchedule",
    "Duration",
    "ImageSettings",
    "LogFormat",
    "ScheduleSettings",
    "Settings",
    "channel_toml_path",
    "config_file",
    "load_settings",
    "settings_error",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def channel_toml_path(name: str) -> Path:
    """`config/channels/<name>.toml` in the working directory if there is one, else the shipped one."""
    relative = Path("config") / "channels" / f"{name}.toml"
    return relative if relative.is_file() else PROJECT_ROOT / relative


class LogFormat(StrEnum):
    CONSOLE = "console"
    JSON = "json"


def config_file() -> Path | None:
    """The settings file in force, or None when there is none (defaults and environment only)."""
    named = os.environ.get("CHOSYNC_CONFIG")
    if named:
        return Path(named)
    for candidate in (Path("config/chosync.toml"), PROJECT_ROOT / "config" / "chosync.toml"):
        if candidate.is_file():
            return candidate
    return None


# Seconds, written in config as "10s", "5m", "1h", "1d" (or a bare number of seconds).
Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]


class ChannelSchedule(BaseModel):
    """One channel's job intervals (``[schedule.channels.<name>]``); unset keys use the defaults."""

    model_config = ConfigDict(extra="forbid")

    push_every: Duration | None = None
    pull_every: Duration | None = None
    reconcile_every: Duration | None = None


class ScheduleSettings(BaseModel):
    """The scheduler daemon (``[schedule]``): how often each job runs, and how the daemon behaves.

    Interval precedence for an account: its own (``chosync channels schedule``), else its channel's
    (``[schedule.channels.<name>]``), else these defaults.
    """

    model_config = ConfigDict(extra="forbid")

    push_every: Duration = Field(default=300.0, gt=0, description="Push each account (plan + apply) this often")
    pull_every: Duration = Field(default=120.0, gt=0, description="Pull each account's orders this often")
    reconcile_every: Duration = Field(
        default=86400.0, gt=0, description="Reconcile each account this often; whole days run at night"
    )
    reconcile_at: str = Field(default="02:00", description="Vietnam time (HH:MM) the nightly reconciles start")
    reconcile_window: Duration = Field(default=7200.0, description="Nightly reconciles are spread over this long")
    tokens_every: Duration = Field(default=3600.0, gt=0, description="Check each account's tokens this often")
    reauthorize_warning: Duration = Field(
        default=5 * 86400.0,
        description="Warn this long before a refresh token dies, where the channel names no auth.refresh_warn_days",
    )
    jitter: Duration = Field(default=30.0, description="Each run starts up to this much later, at random")
    reload_every: Duration = Field(
        default=60.0, gt=0, le=60, description="Rebuild the jobs from the database (accounts added, paused)"
    )
    changes_every: Duration = Field(
        default=3.0, gt=0, description="Look for stock and catalog changes to push at once this often"
    )
    requests_every: Duration = Field(default=1.0, gt=0, description="Look for --via-daemon requests this often")
    heartbeat_every: Duration = Field(default=5.0, gt=0, description="Write the daemon's heartbeat this often")
    stale_after_beats: int = Field(default=3, ge=1, description="A daemon silent this many beats is dead")
    stop_grace: Duration = Field(default=30.0, description="On SIGTERM, let running jobs finish this long")
    lease_ttl: Duration = Field(default=120.0, gt=0, description="An account lock dies this long after its holder")
    lock_wait: Duration = Field(default=10.0, description="A CLI command waits this long for a busy account")
    retry_base: Duration = Field(default=30.0, description="A failed operation is retried after this, doubling")
    retry_max: Duration = Field(default=3600.0, description="... up to this wait between attempts")
    retry_attempts: int = Field(default=8, ge=1, description="... and parked as failed after this many")
    retry_rate_limited_max: Duration = Field(
        default=3600.0, gt=0, description="A rate limit spends no attempt, but throttled this long in all it is parked"
    )
    retry_not_yet: Duration = Field(
        default=900.0,
        gt=0,
        description="A change the marketplace cannot take yet (a listing in review) is sent again after this",
    )
    retry_not_yet_max: Duration = Field(
        default=3 * 86400.0, gt=0, description="... spending no attempt, and parked once it has waited this long"
    )
    retry_unreachable: Duration = Field(
        default=60.0, gt=0, description="A change whose marketplace could not be connected to is sent again after this"
    )
    retry_unreachable_attempts: int = Field(
        default=3, ge=1, description="... and parked for a person after this many tries that could not connect"
    )
    runs_kept: Duration = Field(default=90 * 86400.0, description="Run records are kept this long")
    quiet_runs_kept: Duration = Field(
        default=86400.0, description="Runs that found nothing to do are kept this long (the newest always)"
    )
    exports_kept: Duration = Field(
        default=90 * 86400.0,
        description="Floors' order exports (buyers' personal data) are deleted this long after import",
    )
    log_format: LogFormat = Field(default=LogFormat.JSON, description="The daemon's log format (JSON lines)")
    log_level: str = Field(default="INFO", description="The daemon's log level")
    channels: dict[str, ChannelSchedule] = Field(default_factory=dict, description="Intervals per channel")

    @field_validator("reconcile_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if match is None:
            raise ValueError(f"{value!r} is not a time of day: write HH:MM, e.g. 02:00")
        return f"{int(match[1]):02d}:{match[2]}"

    @property
    def stale_after(self) -> float:
        """Seconds without a heartbeat after which a daemon counts as dead."""
        return self.heartbeat_every * self.stale_after_beats


class ImageSettings(BaseModel):
    """Where a catalog's images may come from (``[images]``) beyond public web hosts and the folder of
    the imported file: a seller names them, and chosync reads and publishes what they name."""

    model_config = ConfigDict(extra="forbid")

    allowed_hosts: tuple[str, ...] = Field(
        default=(), description="Hosts an image URL may name although they are not public (your own image server)"
    )
    folders: tuple[Path, ...] = Field(
        default=(), description="Folders local image files may also come from (full paths)"
    )

    @field_validator("folders")
    @classmethod
    def _full_paths(cls, folders: tuple[Path, ...]) -> tuple[Path, ...]:
        # Relative to what? The working directory of a command differs from the daemon's: no guessing.
        for folder in folders:
            if not folder.expanduser().is_absolute():
                raise ValueError(f"{str(folder)!r} is not a full path: write it from the root, e.g. /srv/chosync/anh")
        return tuple(folder.expanduser() for folder in folders)


class Settings(BaseSettings):
    """Everything chosync reads from its environment."""

    # ``__`` reaches into tables: CHOSYNC_SCHEDULE__PUSH_EVERY=10m sets [schedule] push_every.
    model_config = SettingsConfigDict(env_prefix="CHOSYNC_", extra="ignore", env_nested_delimiter="__")

    database_url: str = Field(
        default="sqlite:///chosync.db",
        description="SQLAlchemy URL of the store: a SQLite file by default, or postgresql+psycopg://…",
    )
    log_format: LogFormat = Field(default=LogFormat.CONSOLE, description="console (people) or json (services)")
    log_level: str = Field(default="WARNING", description="DEBUG, INFO, WARNING or ERROR")
    reserve_unpaid_orders: bool = Field(
        default=True, description="An unpaid (pending) order holds its stock, so it cannot be sold twice"
    )
    restock_returns_automatically: bool = Field(
        default=False,
        description="A returned order's stock goes back at once, not when the seller confirms receipt",
    )
    schedule: ScheduleSettings = Field(
        default_factory=ScheduleSettings, description="The scheduler daemon: job intervals and behaviour"
    )
    images: ImageSettings = Field(
        default_factory=ImageSettings, description="Where catalog images may come from besides public web hosts"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def settings_error(exc: ValidationError | tomllib.TOMLDecodeError) -> ConfigError:
    """What a person must correct when the settings cannot be read (the first problem, and how many more)."""
    path = config_file()
    if isinstance(exc, tomllib.TOMLDecodeError):
        return ConfigError(
            f"the settings file {path} is not valid TOML: {exc}",
            hint="correct it there; the config/chosync.toml shipped with chosync shows every key",
        )
    problems = exc.errors()
    loc = [str(part) for part in problems[0]["loc"]]
    key = ".".join(loc)
    message = str(problems[0]["msg"]).removeprefix("Value error, ")
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    source = f"{path} or " if path else ""
    return ConfigError(
        f"the setting {key} is wrong: {message}{more}",
        hint=f"correct it in {source}the environment variable CHOSYNC_{'__'.join(loc).upper()}",
    )


def load_settings(**overrides: object) -> Settings:
    """Read the settings now (the environment may have changed since the last call)."""
    return Settings(**overrides)  # type: ignore[arg-type]
