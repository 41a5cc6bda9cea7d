"""The floors' seller centres in a fleet (:mod:`simulators.common.fleet`): one site per floor."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simulators.common.fleet import Member
from simulators.common.standalone import Tuning, refuse_tuning
from simulators.floors.site import SellerCentreSite
from simulators.floors.site import serve as serve_site

__all__ = ["CHANNELS", "FLOORS", "accounts", "fresh", "restore", "serve"]

FLOORS = CHANNELS = ("voso", "provincial")


def fresh() -> dict[str, Member]:
    return {floor: SellerCentreSite(floor) for floor in FLOORS}


def restore(channel: str, books: Mapping[str, Any]) -> Member:
    site = SellerCentreSite(channel)
    site.restore(dict(books))
    return site


def accounts() -> str:
    return ""  # a seller centre takes any shop: nobody signs in


def serve(channel: str, port: int, host: str, tuning: Tuning, announce: Callable[[str], None]) -> None:
    refuse_tuning(channel, tuning)
    announce(f"{channel} sandbox on http://{host}:{port} (Ctrl-C to stop)")
    serve_site(port, host, channel=channel)
