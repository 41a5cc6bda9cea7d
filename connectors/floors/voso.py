"""Voso (voso.vn, Viettel Post): an assisted channel, worked through its web seller centre.

No public seller API exists for Voso (``shared/marketplaces/vn-floors.md``: none found; a partner API, if
any, needs a direct request to Viettel Post). Sellers work in the seller centre at mc.voso.vn, so chosync
prepares upload packs and reads order exports (:mod:`connectors.floors.connector`). The spreadsheet and export
layouts are in `config/channels/voso.toml`, every column ASSUMED until a real Voso template is seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from connectors.floors.connector import AssistedConnector
from core.ports import Assisted, Connector

__all__ = ["VosoConnector"]


class VosoConnector(AssistedConnector):
    """One seller's Voso shop: upload packs out, order exports in."""

    channel: ClassVar[str] = "voso"


if TYPE_CHECKING:
    _interface: type[Connector] = VosoConnector
    _assisted: type[Assisted] = VosoConnector
