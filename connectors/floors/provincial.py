"""The provincial trading floor (Trà Vinh: travinhtrade.vn): an assisted channel, worked by hand.

The province's floor publishes no API (``shared/marketplaces/vn-floors.md``: none found; its pages suggest
a DotNetNuke module). Producers list through its back office, so chosync prepares upload packs and reads
order exports (:mod:`connectors.floors.connector`). The layouts are in `config/channels/provincial.toml`, every
column ASSUMED until the floor's own import template is obtained from the provincial department.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from connectors.floors.connector import AssistedConnector
from core.ports import Assisted, Connector

__all__ = ["ProvincialConnector"]


class ProvincialConnector(AssistedConnector):
    """One producer's shop on the provincial floor: upload packs out, order exports in."""

    channel: ClassVar[str] = "provincial"


if TYPE_CHECKING:
    _interface: type[Connector] = ProvincialConnector
    _assisted: type[Assisted] = ProvincialConnector
