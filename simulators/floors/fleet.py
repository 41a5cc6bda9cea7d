"""The floors' seller centres in a fleet (:mod:`simulators.common.fleet`): one site per floor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.common.fleet import Member
from simulators.floors.site import SellerCentreSite

__all__ = ["FLOORS", "accounts", "fresh", "restore"]

FLOORS = ("voso", "provincial")


def fresh() -> dict[str, Member]:
    return {floor: SellerCentreSite(floor) for floor in FLOORS}


def restore(channel: str, books: Mapping[str, Any]) -> Member:
    site = SellerCentreSite(channel)
    site.restore(dict(books))
    return site


def accounts() -> str:
    return ""  # a seller centre takes any shop: nobody signs in
