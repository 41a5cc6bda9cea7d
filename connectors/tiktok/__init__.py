"""TikTok Shop Partner API (202309+): the connector (``connector``), its mapper and payload, the wire
(``signing``, ``client``, ``errors``, ``auth``), images, stock, and the read side (``reads``, ``normalize``)."""

from connectors.tiktok.connector import TikTokConnector

__all__ = ["TikTokConnector"]
