"""The connector package's front door: the interface every marketplace connector implements, its data
and its registry, importable from one place (``from connectors.base import Connector, Order, ...``).

They live in modules with one job each:

- :mod:`connectors.models`: the data a connector and the core exchange, in our words (account rules,
  listings, orders, mapped listings and the problems that stop them, :func:`payload_hash`);
- :mod:`connectors.tokens`: one account's OAuth tokens, the token store, :class:`ReauthorizeRequired`;
- :mod:`connectors.protocols`: :class:`Connector`, and the :class:`Authorizing` and :class:`Assisted`
  sides a connector may add;
- :mod:`connectors.registry`: channel name → connector class (:func:`register`,
  :func:`get_connector_class`).

Importing this module also keeps tokens out of the transport's own logs (DESIGN rule 8), below.
"""

from __future__ import annotations

import logging

from connectors import models, protocols, registry, tokens
from connectors.models import *  # noqa: F403 (the front door re-exports each module's public names)
from connectors.protocols import *  # noqa: F403
from connectors.registry import *  # noqa: F403
from connectors.tokens import *  # noqa: F403
from core.logs import scrub

__all__ = models.__all__ + tokens.__all__ + protocols.__all__ + registry.__all__


class _ScrubTransportLogs(logging.Filter):
    """httpx logs each request line, query included (``access_token=…&sign=…``), at INFO through the
    standard library: whoever turns that logger on must still not see a token (DESIGN rule 8)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: let logging report it as it would
            return True
        record.msg, record.args = scrub(message), ()
        return True


for _name in ("httpx", "httpcore"):
    _transport_logger = logging.getLogger(_name)
    if not any(isinstance(f, _ScrubTransportLogs) for f in _transport_logger.filters):
        _transport_logger.addFilter(_ScrubTransportLogs())
