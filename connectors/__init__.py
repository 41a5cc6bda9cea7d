"""Marketplace connectors, each a package implementing the contract the core owns (:mod:`core.ports`).

- ``kit``: what every connector shares: the HTTP boundary (error rules, the send loop, retries, rate
  limits), image fetching, the channel config base, listing checks, descriptions.
- ``shopee``, ``postmart``: marketplaces with a seller API.
- ``floors``: marketplaces worked by a person (Voso, the provincial floor): upload packs out, exports in.

The core finds a connector by channel name through the ``chosync.connectors`` entry points
(``pyproject.toml``) and never imports this package.
"""

__all__: list[str] = []
