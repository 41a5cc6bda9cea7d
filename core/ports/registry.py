"""The registry: a channel name (``"shopee"``) to its connector class.

Connectors are found by Python entry points in the ``chosync.connectors`` group (``pyproject.toml``
declares chosync's own; a marketplace shipped as its own package declares its entry point the same way),
loaded only when a channel needs its connector: the core imports no connector, and a command that talks to
one marketplace does not load the others. :func:`register` adds a class by hand (a test's fake, a plugin
loaded some other way); a class registered by hand wins over an entry point of the same name.

Each connector also declares its kind (OAuth, assisted, own login) in the ``chosync.connector_kinds``
group (:mod:`core.ports.kinds`): :func:`connector_kind` answers from it without importing the connector,
and loading the class checks that it is what its declaration says.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TypeVar

from core.errors import ConfigError
from core.ports.kinds import ConnectorKind
from core.ports.protocols import Authorizing, Connector, implements_assisted, implements_connector

__all__ = [
    "ENTRY_POINT_GROUP",
    "KIND_ENTRY_POINT_GROUP",
    "available_channels",
    "connector_kind",
    "get_connector_class",
    "kind_of",
    "register",
]

ENTRY_POINT_GROUP = "chosync.connectors"
KIND_ENTRY_POINT_GROUP = "chosync.connector_kinds"
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


def _entry_points(group: str = ENTRY_POINT_GROUP) -> dict[str, EntryPoint]:
    return _installed()[group]


@cache
def _installed() -> dict[str, dict[str, EntryPoint]]:
    # One scan of every installed distribution's metadata (~20 ms on a small machine), kept: what is
    # installed does not change while chosync runs, and status asks about every account.
    points = entry_points()
    return {
        group: {p.name: p for p in points.select(group=group)} for group in (ENTRY_POINT_GROUP, KIND_ENTRY_POINT_GROUP)
    }


def kind_of(cls: type) -> ConnectorKind:
    """What a connector class is, by the protocols it implements."""
    if issubclass(cls, Authorizing):
        return ConnectorKind.OAUTH
    return ConnectorKind.ASSISTED if implements_assisted(cls) else ConnectorKind.OWN_LOGIN


def _declared_kind(name: str) -> ConnectorKind | None:
    point = _entry_points(KIND_ENTRY_POINT_GROUP).get(name)
    if point is None:
        return None
    declared = point.load()  # one of core.ports.kinds' constants: nothing of the connector is imported
    if not isinstance(declared, ConnectorKind):
        raise TypeError(f"the {KIND_ENTRY_POINT_GROUP} entry point {name!r} names {point.value!r}, not a kind")
    return declared


def connector_kind(name: str) -> ConnectorKind:
    """A channel's kind, from its declaration when it has one (the connector is not imported), else from its
    class; ConfigError for a channel no connector is declared or registered for."""
    if name not in _REGISTRY:
        declared = _declared_kind(name)
        if declared is not None and name in _entry_points():
            return declared
    return kind_of(get_connector_class(name))


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
        declared = _declared_kind(name)
        if declared is not None and declared is not kind_of(cls):
            raise TypeError(f"{cls.__qualname__} is {kind_of(cls).value!r}, declared {declared.value!r}")
        _REGISTRY[name] = cls
    found: type[Connector] = _REGISTRY[name]
    return found


def available_channels() -> tuple[str, ...]:
    """Every channel name a connector is declared or registered for, sorted (nothing is imported)."""
    return tuple(sorted(_REGISTRY.keys() | _entry_points().keys()))
