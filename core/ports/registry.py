"""The registry: a channel name (``"shopee"``) to its connector class.

Connectors are found by Python entry points in the ``chosync.connectors`` group (``pyproject.toml``
declares chosync's own; a marketplace shipped as its own package declares its entry point the same way),
loaded only when a channel needs its connector: the core imports no connector, and a command that talks to
one marketplace does not load the others. :func:`register` adds a class by hand (a test's fake, a plugin
loaded some other way); a class registered by hand wins over an entry point of the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TypeVar

from core.errors import ConfigError
from core.ports.protocols import Connector, implements_connector

__all__ = ["ENTRY_POINT_GROUP", "available_channels", "get_connector_class", "register"]

ENTRY_POINT_GROUP = "chosync.connectors"
_REGISTRY: dict[str, type[Any]] = {}
_C = TypeVar("_C", bound=type[Any])


def register(name: str) -> Callable[[_C], _C]:
    """Class decorator: make a connector class findable by its channel name."""

    def decorate(cls: _C) -> _C:
        _check(name, cls)
        existing = _REGISTRY.get(name)
        if existing is not None and existing is not cls:
            raise TypeError(f"channel {name!r} is already registered by {existing.__qualname__}")
        _REGISTRY[name] = cls
        return cls

    return decorate


def _check(name: str, cls: Any) -> None:
    if not isinstance(cls, type) or not implements_connector(cls):
        raise TypeError(f"{getattr(cls, '__qualname__', cls)!r} does not implement the Connector interface")
    channel = getattr(cls, "channel", None)
    if channel != name:
        raise TypeError(f"{cls.__qualname__} says its channel is {channel!r}, registered as {name!r}")


def _entry_points() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}


def get_connector_class(name: str) -> type[Connector]:
    """The connector class for a channel name, loaded from its entry point on first use; ConfigError if
    there is none."""
    if name not in _REGISTRY:
        point = _entry_points().get(name)
        if point is None:
            known = ", ".join(available_channels()) or "none"
            raise ConfigError(f"no connector for channel {name!r}", hint=f"known channels: {known}")
        cls = point.load()
        _check(name, cls)
        _REGISTRY[name] = cls
    found: type[Connector] = _REGISTRY[name]
    return found


def available_channels() -> tuple[str, ...]:
    """Every channel name a connector is declared or registered for, sorted (nothing is imported)."""
    return tuple(sorted(_REGISTRY.keys() | _entry_points().keys()))
