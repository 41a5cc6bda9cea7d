"""How chosync reaches a channel's shops, declared apart from its connector so it is known without loading it.

``chosync status`` and ``channels list`` describe every account's access (an OAuth authorisation to renew,
upload packs worked by hand, or a login the connector keeps by itself); importing every connector to ask
its class costs a third of a second on a small machine. A connector package therefore declares its kind
beside its connector, in the ``chosync.connector_kinds`` entry-point group, naming one of the constants
below::

    [project.entry-points."chosync.connector_kinds"]
    shopee = "core.ports.kinds:OAUTH"

The registry reads the declaration without importing the connector (:func:`core.ports.connector_kind`)
and checks it against the class whenever the class is loaded: a declaration cannot drift from its class.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ConnectorKind"]  # the constants are for entry points to name, not for the front door


class ConnectorKind(StrEnum):
    OAUTH = "oauth"  # Authorizing: the seller authorises the shop, the refresh token must be renewed in time
    ASSISTED = "assisted"  # Assisted: a floor worked by a person through upload packs; no credentials
    OWN_LOGIN = "own login"  # a password or API key from the environment; the session renews itself


# Entry points name objects: these are what a declaration points at.
OAUTH = ConnectorKind.OAUTH
ASSISTED = ConnectorKind.ASSISTED
OWN_LOGIN = ConnectorKind.OWN_LOGIN
