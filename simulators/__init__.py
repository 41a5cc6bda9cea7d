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
- :mod:`simulators.common.fleet`: all of them at once (``serve all``), saved to a file and started again.

Sandbox modules are imported only when served (:func:`serve`), so ``python -m simulators.shopee.sandbox``
runs cleanly and importing the fault helpers does not pull in a web server.
"""

from __future__ import annotations

import importlib
from typing import Any

from core.errors import UsageError

__all__ = ["SANDBOXES", "serve"]

# channel name → (module with a ``serve(port, host, **config)`` function, config it always takes)
SANDBOXES: dict[str, tuple[str, dict[str, Any]]] = {
    "shopee": ("simulators.shopee.sandbox", {}),
    "postmart": ("simulators.postmart.sandbox", {}),
    "voso": ("simulators.floors.site", {"channel": "voso"}),
    "provincial": ("simulators.floors.site", {"channel": "provincial"}),
}


def serve(name: str, port: int, host: str = "127.0.0.1", **config: Any) -> None:
    """Serve the sandbox of channel ``name`` on ``host:port`` until interrupted."""
    if name not in SANDBOXES:
        raise UsageError(f"no sandbox for {name!r}", hint=f"sandboxes: {', '.join(sorted(SANDBOXES))}, or all")
    module, fixed = SANDBOXES[name]
    importlib.import_module(module).serve(port, host, **fixed, **config)
