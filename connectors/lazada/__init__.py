"""Lazada Open Platform: the connector (``connector``), its mapper and payload, the wire (``signing``,
``client``, ``errors``, ``auth``), images, prices and stock (``values``), and the read side (``reads``,
``orders``, ``normalize``)."""

from connectors.lazada.connector import LazadaConnector

__all__ = ["LazadaConnector"]
