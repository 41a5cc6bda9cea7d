"""Every marketplace simulator at once: served on loopback together, saved to a file, and started again.

The demo serves a fleet (every marketplace chosync has a simulator for: Shopee, Postmart, the seller
centres of Voso and the provincial floor), then saves it (``.demo/sandboxes.pickle``) with the ports it
used, so ``chosync sandbox serve all`` brings the very same marketplaces back on the same ports: the demo
database's listings, tokens and orders still match them, and ``python scheduler.py`` can keep syncing
against them. Without a saved fleet, ``serve all`` starts fresh simulators (the demo partner and
merchant) on consecutive ports.

A fleet is keyed by channel: each marketplace's simulator package has a ``fleet`` module (:class:`Kind`:
its fresh members, how one is brought back from its books, who may sign in), found by looking, so a new
marketplace's simulator joins the fleet without an edit here. What is saved is each back office's books
(items, tokens, orders, products...), never the transient parts (locks, fault plans, call logs, rate
buckets). The file is a pickle: load only a file chosync wrote itself (a simulator's state, never a
real marketplace's).
"""

from __future__ import annotations

import importlib
import itertools
import pickle
import pkgutil
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TypeVar

import simulators
from core.errors import UsageError
from simulators.common.serving import serve_in_thread
from simulators.common.standalone import Tuning

__all__ = [
    "Fleet",
    "Member",
    "fleet_accounts",
    "fresh_fleet",
    "kind_of",
    "load_fleet",
    "restore_books",
    "restored",
    "save_fleet",
    "saved_books",
    "serve_fleet",
    "wait_for_interrupt",
]

_VERSION = 2
_M = TypeVar("_M")


class Member(Protocol):
    """A simulator in a fleet: an ASGI app whose back office can be saved (:meth:`books`)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None: ...

    def books(self) -> dict[str, Any]: ...


class Kind(Protocol):
    """A marketplace simulator package's ``fleet`` module; ``CHANNELS`` are the channels it simulates."""

    CHANNELS: tuple[str, ...]

    def fresh(self) -> dict[str, Member]:
        """Channel → a new simulator with the demo's accounts."""
        ...

    def restore(self, channel: str, books: Mapping[str, Any]) -> Member:
        """The simulator of ``channel`` as :meth:`Member.books` saved it."""
        ...

    def accounts(self) -> str:
        """Who the fresh simulators let sign in, for ``serve all`` to announce."""
        ...

    def serve(self, channel: str, port: int, host: str, tuning: Tuning, announce: Callable[[str], None]) -> None:
        """Serve one fresh simulator of ``channel`` until interrupted (``chosync sandbox serve NAME``)."""
        ...


@dataclass
class Fleet:
    """Channel → its simulator, in the order they are served; ``kinds`` says which package made each."""

    members: dict[str, Member]
    kinds: dict[str, str]

    def apps(self) -> dict[str, Member]:
        return dict(self.members)

    def get(self, channel: str, kind: type[_M]) -> _M:
        """The simulator of ``channel``, as the class the caller knows it is."""
        member = self.members[channel]
        if not isinstance(member, kind):
            raise TypeError(f"the fleet's {channel} is a {type(member).__name__}, not a {kind.__name__}")
        return member


def _kinds() -> dict[str, ModuleType]:
    """Every simulator package that can join a fleet (it has a ``fleet`` module), by package name."""
    found = {}
    for package in pkgutil.iter_modules(simulators.__path__):
        if package.ispkg and package.name != "common":
            try:
                found[package.name] = importlib.import_module(f"simulators.{package.name}.fleet")
            except ModuleNotFoundError as exc:
                if exc.name != f"simulators.{package.name}.fleet":
                    raise
    return dict(sorted(found.items()))


def kind_of(channel: str) -> Kind:
    """The ``fleet`` module of the simulator package that simulates ``channel``."""
    for kind in _kinds().values():
        if channel in kind.CHANNELS:
            found: Kind = kind  # a module that follows the protocol
            return found
    known = sorted(c for kind in _kinds().values() for c in kind.CHANNELS)
    raise UsageError(f"no sandbox for {channel!r}", hint=f"sandboxes: {', '.join(known)}, or all")


def fresh_fleet() -> Fleet:
    """New simulators of every marketplace, with the demo's accounts, no faults."""
    members: dict[str, Member] = {}
    kinds: dict[str, str] = {}
    for name, kind in _kinds().items():
        for channel, member in kind.fresh().items():  # in the order the package names its channels
            members[channel], kinds[channel] = member, name
    return Fleet(members, kinds)


def fleet_accounts() -> str:
    """Who :func:`fresh_fleet` lets sign in, for ``serve all`` to announce (the CLI knows no marketplace)."""
    return "; ".join(text for kind in _kinds().values() if (text := kind.accounts())) + "."


@contextmanager
def serve_fleet(fleet: Fleet, ports: Mapping[str, int] | None = None) -> Iterator[dict[str, str]]:
    """Serve every simulator of ``fleet`` on loopback (given ports, else free ones); yields channel → URL."""
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(serve_in_thread(app, (ports or {}).get(name)))
            for name, app in fleet.apps().items()
        }


def save_fleet(fleet: Fleet, urls: Mapping[str, str], path: Path) -> None:
    """Write the fleet's books and ports to ``path`` (atomically: a crash leaves the old file whole)."""
    state = {
        "version": _VERSION,
        "ports": {name: int(url.rsplit(":", 1)[1]) for name, url in urls.items()},
        "members": {channel: (fleet.kinds[channel], member.books()) for channel, member in fleet.members.items()},
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(state))
    tmp.replace(path)


def load_fleet(path: Path) -> tuple[Fleet, dict[str, int]]:
    """The fleet saved at ``path`` and the ports it was served on."""
    state = pickle.loads(path.read_bytes())  # noqa: S301 (our own simulators' snapshot, see the module docstring)
    if not isinstance(state, dict) or state.get("version") != _VERSION:
        raise ValueError(f"{path} is not a sandbox snapshot this chosync wrote; delete it and run the demo again")
    kinds = _kinds()
    members: dict[str, Member] = {}
    names: dict[str, str] = {}
    for channel, (name, books) in state["members"].items():
        if name not in kinds:
            raise ValueError(f"{path} holds a {channel} simulator ({name}) this checkout does not have")
        members[channel], names[channel] = kinds[name].restore(channel, books), name
    return Fleet(members, names), dict(state["ports"])


def wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- books: what a back office object holds, counters included ------------------------------------------


def _peek(obj: Any, name: str) -> int:
    """The next value of a counter, without using it up."""
    value = next(getattr(obj, name))
    setattr(obj, name, itertools.count(value))
    return int(value)


def saved_books(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The attributes ``names`` of a back office, an ``itertools.count`` as the value it would give next."""
    return {
        name: ("counter", _peek(obj, name)) if isinstance(getattr(obj, name), itertools.count) else getattr(obj, name)
        for name in names
    }


def restore_books(obj: Any, books: Mapping[str, Any]) -> None:
    """Put back what :func:`saved_books` took."""
    for name, value in books.items():
        is_counter = isinstance(value, tuple) and len(value) == 2 and value[0] == "counter"
        setattr(obj, name, itertools.count(value[1]) if is_counter else value)


def restored(make: Callable[[Any], _M], books: Mapping[str, Any]) -> _M:
    """A simulator made from its saved ``config``, with the rest of its books put back."""
    member = make(books["config"])
    restore_books(member, books)
    return member
