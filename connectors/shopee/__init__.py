"""Shopee Open Platform v2: the connector (``connector``), its mapper and payload, the wire (``client``,
``errors``, ``auth``), images, the read side (``reads``, ``normalize``) and live variations."""

from connectors.shopee.connector import ShopeeConnector

__all__ = ["ShopeeConnector"]
