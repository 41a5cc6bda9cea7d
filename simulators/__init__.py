"""Local simulators of the marketplaces, speaking each one's wire protocol, for tests and the demo.

A sandbox is an ASGI app in front of a seller back office that tests read and script directly, with
fault injection shared by all of them (:mod:`simulators.common.faults`). Tests run one in-process through
``httpx`` (``sandbox.transport()``); the demo and benchmarks serve one on loopback. Protocol facts come
from ``marketplaces/``; guesses live in each sandbox's config, not in its code.

- :mod:`simulators.shopee.sandbox`: Shopee Open Platform v2 (``ShopeeSandbox``, ``serve``), configured by
  :mod:`simulators.shopee.config`.
- :mod:`simulators.postmart.sandbox`: Postmart's merchant API as `config/channels/postmart.toml` assumes it
  (``PostmartSandbox``, ``serve``): it reads the same toml as the connector.
- :mod:`simulators.floors.centre`: a fake seller centre for the assisted floors (Voso, the
  provincial floor): imports upload packs, exports orders and products in the configured layouts;
  :mod:`simulators.floors.site` puts it on HTTP (one shop per seller, an upload form).
- :mod:`simulators.common.fleet`: all of them at once (``serve all``), saved to a file and started again;
  each marketplace's package joins it with a ``fleet`` module, found by looking (no list to edit).
- :mod:`simulators.common.standalone`: one of them served from the command line (``serve NAME``).
- :mod:`simulators.common.harness`: what the connector conformance suite (``tests/conformance``) needs of
  an API marketplace's simulator; each one has a ``harness`` module, found by its channel name.

The web stack is imported only when a simulator is served, so importing the fault helpers does not pull
in a web server.
"""
