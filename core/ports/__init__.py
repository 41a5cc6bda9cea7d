"""The contract between the core and every marketplace connector, owned by the core (DESIGN rule 7).

The core never imports a connector: it works through these protocols and data, and finds a channel's
connector by name in the registry, which loads it from a Python entry point. A marketplace shipped as its
own package plugs in the same way. One front door (``from core.ports import Connector, Order, ...``) for
modules with one job each:

- :mod:`core.ports.data`: the data a connector and the core exchange, in our words (account rules,
  listings, orders, mapped listings and the problems that stop them, :func:`payload_hash`);
- :mod:`core.ports.tokens`: one account's OAuth tokens, the token store, :class:`ReauthorizeRequired`;
- :mod:`core.ports.protocols`: :class:`Connector`, and the :class:`Authorizing` and :class:`Assisted`
  sides a connector may add;
- :mod:`core.ports.assisted`: the upload lines and exported variants of a floor worked by a person;
- :mod:`core.ports.retries`: the tally of requests a marketplace made us send again;
- :mod:`core.ports.statuses`: whether a product or variant is for sale;
- :mod:`core.ports.registry`: channel name → connector class (entry points, :func:`register`);
- :mod:`core.ports.kinds`: a connector's kind (OAuth, assisted, own login), declared beside its entry point.
"""

from __future__ import annotations

from core.ports import assisted, data, kinds, protocols, registry, retries, statuses, tokens
from core.ports.assisted import *  # noqa: F403 (the front door re-exports each module's public names)
from core.ports.data import *  # noqa: F403
from core.ports.kinds import *  # noqa: F403
from core.ports.protocols import *  # noqa: F403
from core.ports.registry import *  # noqa: F403
from core.ports.retries import *  # noqa: F403
from core.ports.statuses import *  # noqa: F403
from core.ports.tokens import *  # noqa: F403

__all__ = (
    assisted.__all__
    + data.__all__
    + kinds.__all__
    + tokens.__all__
    + protocols.__all__
    + registry.__all__
    + retries.__all__
    + statuses.__all__
)
