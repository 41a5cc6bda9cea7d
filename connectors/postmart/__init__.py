"""Postmart's merchant API, its whole contract in `config/channels/postmart.toml`: the connector, its
mapper, the wire (``client``, ``errors``), images and the read side."""

from connectors.postmart.connector import PostmartConnector

__all__ = ["PostmartConnector"]
