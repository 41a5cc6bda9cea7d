"""The registry: a channel name (``"shopee"``) to its connector class.

Connector modules register themselves with :func:`register` when imported; :func:`get_connector_class`
finds a class by name, importing every plain module of the package first if the name is not known yet.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any, TypeVar

from connectors.protocols import Connector, implements_connector
from core.errors import ConfigError

__all__ = ["available_channels", "get_connector_class", "register"]

_REGISTRY: dict[str, type[Any]] = {}
_C = TypeVar("_C", bound=type[Any])


def register(name: str) -> Callable[[_C], _C]:
    """Class decorator: make a connector class findable by its channel name."""

    def decorate(cls: _C) -> _C:
        if not implements_connector(cls):
            raise TypeError(f"{cls.__qualname__} does not implement the Connector interface")
        existing = _REGISTRY.get(name)
        if existing is not None and existing is not cls:
            raise TypeError(f"channel {name!r} is already registered by {existing.__qualname__}")
        _REGISTRY[name] = cls
        return cls

    return decorate


def _import_connector_modules() -> None:
    # Connector modules register on import; importing every plain module of the package finds them all.
    package = importlib.import_module("connectors")
    for module in pkgutil.iter_modules(package.__path__):
        if not module.ispkg and not module.name.startswith("_"):
            importlib.import_module(f"connectors.{module.name}")


def get_connector_class(name: str) -> type[Connector]:
    """The connector class registered for a channel name; ConfigError if there is none."""
    if name not in _REGISTRY:
        _import_connector_modules()
    try:
        cls: type[Connector] = _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise ConfigError(f"no connector for channel {name!r}", hint=f"known channels: {known}") from None
    return cls


def available_channels() -> tuple[str, ...]:
    """Every channel name a connector is registered for, sorted."""
    _import_connector_modules()
    return tuple(sorted(_REGISTRY))
