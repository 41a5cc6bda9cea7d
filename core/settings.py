"""Settings: `config/chosync.toml`, overridden by `CHOSYNC_*` environment variables.

The settings file is the one ``CHOSYNC_CONFIG`` names, else `config/chosync.toml` in the working
directory, else the one shipped beside the code. Environment variables always win over the file.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["PROJECT_ROOT", "LogFormat", "Settings", "config_file", "load_settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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


class Settings(BaseSettings):
    """Everything chosync reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="CHOSYNC_", extra="ignore")

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


def load_settings(**overrides: object) -> Settings:
    """Read the settings now (the environment may have changed since the last call)."""
    return Settings(**overrides)  # type: ignore[arg-type]
