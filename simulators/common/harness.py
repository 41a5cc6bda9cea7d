"""The conformance harness: what the connector conformance suite (`tests/conformance/`) needs of a simulator.

Every API connector (a registered connector that is not :class:`~core.ports.Assisted`) runs the same
conformance cases against its marketplace's simulator: a lost create, a rate limit, an expired token,
delisting twice, batches split at the limit, an order pulled twice, no secret in the logs. The suite
knows each simulator only through :class:`MarketplaceHarness`, found by the channel's name: the module
``simulators.<channel>.harness`` and its ``build_harness()`` (:func:`load_harness`). So a new API
marketplace inherits the suite by registering its connector (the ``chosync.connectors`` entry point) and
writing one small harness next to its simulator; the suite fails for an API connector that has none.

A harness speaks in the suite's words, not the marketplace's: an operation kind (:class:`Operation`) to
hit with a :class:`~simulators.common.faults.Fault`, an order's status as ours
(:class:`~core.ports.OrderStatus`), what the marketplace holds as a :class:`HeldListing` by our SKUs.
:class:`SimulatorHarness` does the marketplace-neutral part (virtual clock, the transport to the
simulator and an image host, faults aimed at one operation, counting calls); a marketplace fills in the
rest.
"""

from __future__ import annotations

import importlib
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import httpx

from core.ports import OrderStatus, Tokens
from simulators.common.faults import ANY_PATH, CallLog, Fault, FaultPlan, ManualClock

__all__ = [
    "HARNESS_FACTORY",
    "IMAGE_BYTES",
    "HeldListing",
    "HeldVariant",
    "MarketplaceHarness",
    "NoHarness",
    "Operation",
    "SimulatorHarness",
    "Target",
    "harness_module",
    "load_harness",
]

HARNESS_FACTORY = "build_harness"
# What the image host answers for every picture of the catalog: the smallest thing that looks like a JPEG.
IMAGE_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200)


class Operation(StrEnum):
    """The kinds of call a fault can be aimed at; ``ANY`` is the next call, whatever it is."""

    CREATE = "create"
    PRICE = "price"
    STOCK = "stock"
    ANY = "any"


@dataclass(frozen=True)
class HeldVariant:
    """One variant as the marketplace shows it to buyers."""

    price_vnd: int
    stock: int


@dataclass(frozen=True)
class HeldListing:
    """One listing the marketplace holds for our product SKU (deleted ones are not held)."""

    item_id: str
    for_sale: bool  # False once delisted (off the shelf, unlisted)
    variants: Mapping[str, HeldVariant]  # by our variant SKU


@runtime_checkable
class MarketplaceHarness(Protocol):
    """One simulator with one authorised seller account on it, as the conformance suite drives it.

    The suite stores the account (:meth:`account_settings`, with the category map
    ``{<catalog category>: category_id}``), saves :meth:`authorize`'s tokens in its token store, sets
    :meth:`environment` (the account's secrets live there, never in settings), and talks to the
    simulator through :meth:`transport` with :meth:`now` as every clock.
    """

    channel: str
    category_id: str  # the simulator's leaf category the suite's products go in
    batch_limit: int  # the most variants one price or stock call may carry; the simulator refuses more

    def now(self) -> datetime:
        """The simulator's clock, for the connector and the engine."""
        ...

    def environment(self) -> Mapping[str, str]:
        """Environment variables the account's connector reads its secrets from."""
        ...

    def account_settings(self) -> dict[str, Any]:
        """The channel account's settings: base URL, the account's ids, and no real waiting."""
        ...

    def authorize(self) -> Tokens | None:
        """Authorise the account on the simulator: its tokens, or None when the connector signs in itself."""
        ...

    def transport(self) -> httpx.AsyncBaseTransport:
        """The simulator's API, in-process, and an image host serving every other URL."""
        ...

    def inject(self, operation: Operation, fault: Fault) -> None:
        """``fault`` hits the next call of ``operation`` the simulator receives."""
        ...

    def calls(self, operation: Operation) -> int:
        """Calls of ``operation`` the simulator received so far, whatever became of them."""
        ...

    def place_order(self, lines: Sequence[tuple[str, int]]) -> str:
        """A buyer orders (variant SKU, quantity) lines; returns the order's id; the clock moves on."""
        ...

    def move_order(self, order_id: str, status: OrderStatus) -> None:
        """The order moves to the marketplace's status for ``status``; the clock moves on."""
        ...

    def listings(self, product_sku: str) -> list[HeldListing]:
        """What the marketplace holds for our product SKU, read from its books (not over the API)."""
        ...

    def expire_access_token(self) -> None:
        """Every access token the marketplace issued stops working now (the token store does not know)."""
        ...

    def refreshes(self) -> int:
        """How many times the account's access was renewed (a refresh, or a new sign-in)."""
        ...

    def secrets(self) -> set[str]:
        """Every credential in play: the account's secret, every token and code the simulator issued."""
        ...


class NoHarness(LookupError):
    """A channel's simulator has no conformance harness (or one that does not fit the protocol)."""


def harness_module(channel: str) -> str:
    """Where a channel's harness lives: ``simulators.<channel>.harness``."""
    return f"simulators.{channel}.harness"


def load_harness(channel: str) -> MarketplaceHarness:
    """A fresh harness for ``channel``: its module's ``build_harness()``; :class:`NoHarness` naming what is
    missing otherwise."""
    name = harness_module(channel)
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not name.startswith(exc.name):
            raise  # the harness exists, something it imports does not: show that error as it is
        raise NoHarness(f"the API connector {channel!r} has no conformance harness: add {name}") from exc
    factory = getattr(module, HARNESS_FACTORY, None)
    if not callable(factory):
        raise NoHarness(f"{name} has no {HARNESS_FACTORY}() returning its MarketplaceHarness")
    harness = factory()
    if not isinstance(harness, MarketplaceHarness):
        raise NoHarness(f"{name}.{HARNESS_FACTORY}() returned {type(harness).__qualname__}, not a MarketplaceHarness")
    if harness.channel != channel:
        raise NoHarness(f"{name}.{HARNESS_FACTORY}() made a harness for {harness.channel!r}, not {channel!r}")
    return harness


@dataclass(frozen=True)
class Target:
    """The request an operation sends: its method and URL path on the simulator."""

    method: str
    path: str


@dataclass
class SimulatorHarness:
    """The marketplace-neutral part of a harness: the clock, the transport, aimed faults, counted calls.

    ``targets`` says which request each operation kind is. A fault is handed to the simulator's fault plan
    only when that very request arrives (a plan matches a path, and a marketplace may serve two calls on
    one path, as Postmart's list and create), so it never hits the look-up a create starts with.
    """

    base_url: str
    api: httpx.AsyncBaseTransport
    plan: FaultPlan
    log: CallLog
    clock: ManualClock
    targets: Mapping[Operation, Target]
    _armed: dict[Target, deque[Fault]] = field(init=False, default_factory=lambda: defaultdict(deque))

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def tick(self, seconds: float = 60.0) -> None:
        """Let time pass on the simulator (an order placed, then pulled a minute later)."""
        self.clock.advance(seconds)

    def transport(self) -> httpx.AsyncBaseTransport:
        return _Routing(self)

    def inject(self, operation: Operation, fault: Fault) -> None:
        if operation is Operation.ANY:
            self.plan.enqueue(ANY_PATH, fault)
        else:
            self._armed[self.targets[operation]].append(fault)

    def calls(self, operation: Operation) -> int:
        if operation is Operation.ANY:
            return self.log.calls()
        target = self.targets[operation]
        return sum(1 for call in self.log.recorded(target.path) if call.method == target.method)

    def _arm(self, request: httpx.Request) -> None:
        queue = self._armed.get(Target(request.method, request.url.path))
        if queue:
            self.plan.enqueue(request.url.path, queue.popleft())


class _Routing(httpx.AsyncBaseTransport):
    """The simulator's API for its base URL; a tiny image host for every other URL."""

    def __init__(self, harness: SimulatorHarness) -> None:
        self._harness = harness
        self._images = httpx.MockTransport(
            lambda request: httpx.Response(200, content=IMAGE_BYTES, headers={"content-type": "image/jpeg"})
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(self._harness.base_url):
            # Armed as the request goes in: the plan picks the fault for this very request (a call in flight
            # on the same path at the same moment could take it instead; a harness's cases send one at a time).
            self._harness._arm(request)
            return await self._harness.api.handle_async_request(request)
        return await self._images.handle_async_request(request)
