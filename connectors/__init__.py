"""Marketplace connectors: one adapter per marketplace, each implementing :class:`connectors.base.Connector`.

Framework modules, shared by every connector: ``base`` re-exports the interface (``protocols``: Connector,
Authorizing, Assisted), its models (``models``), token storage (``tokens``) and the registry
(``registry``); ``configured`` is the skeleton under every connector class and ``api_client`` under every
API client; ``ratelimit`` (per-account and fair per-partner budgets), ``retry`` (the one transport retry
policy, with its retry tally), ``description`` (listing descriptions from a per-channel template),
``listing_checks`` (the limit checks mappers share), ``batches`` (per-variant price and stock batches)
and ``normalize`` (whole-đồng amounts, read-side data errors, order cursors). A marketplace's own modules carry
its name: for Shopee, ``shopee`` (the connector, writes), ``shopee_reads`` (look-ups, listing states,
orders), ``shopee_mapper`` and ``shopee_payload`` (canonical product → Shopee item), ``shopee_client``
and ``shopee_errors`` (the wire and its error boundary), ``shopee_auth`` (signing, tokens, pushes),
``shopee_images``, ``shopee_normalize`` and ``shopee_config``. Postmart follows the same pattern
(``postmart``, ``postmart_reads``, ``postmart_mapper``, ``postmart_client``, ``postmart_errors``,
``postmart_images``, ``postmart_config``), its whole API contract in `config/channels/postmart.toml`.
Floors without a seller API (``voso``, ``provincial``) are assisted channels built on ``assisted``
(upload packs out, order exports in), ``assisted_files`` and ``assisted_config``. ``errors`` holds the
error-rule vocabulary and ``channel_config`` the toml loader the newer connectors share.
``connectors.sandbox`` holds local simulators of the marketplaces. Find a connector by channel name with
:func:`connectors.base.get_connector_class`.
"""

__all__: list[str] = []
