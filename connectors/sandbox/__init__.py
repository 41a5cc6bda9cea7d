"""Local simulators of the marketplaces, speaking each one's wire protocol, for tests and the demo.

A sandbox is an ASGI app in front of a seller back office that tests read and script directly, with
fault injection shared by all of them (:mod:`connectors.sandbox.faults`). Tests run one in-process through
``httpx`` (``sandbox.transport()``); the demo and benchmarks serve one on loopback. Protocol facts come
from ``marketplaces/``; guesses live in each sandbox's config, not in its code.

- :mod:`connectors.sandbox.shopee`: Shopee Open Platform v2 (``ShopeeSandbox``, ``serve``), configured by
  :mod:`connectors.sandbox.shopee_config`.

Nothing is imported here, so ``python -m connectors.sandbox.shopee`` runs cleanly and importing the
fault helpers does not pull in a web server.
"""

__all__: list[str] = []
