"""The connector kit: what every marketplace connector shares, written once.

The HTTP boundary (``errors``: error rules as data, the status and transport tables every marketplace
shares, the one order an answer is read in; ``client``: the one send loop, with the hooks a marketplace
fills in; ``retry``: the one transport retry policy; ``ratelimit``: per-account and per-partner budgets;
``oauth``: keeping an OAuth grant's access token valid, single flight),
images (``images``: the one fetcher, byte-capped, checked, public hosts only; fitting to a floor's size),
the channel config tables and the base of every API channel's config (``config``), the connector
skeleton (``connector``), the checks mappers share (``listing_checks``), listing descriptions
(``description``), per-variant price and stock batches (``batches``) and read-side normalisation
(``normalize``). A marketplace package writes only its signing, its error codes, its mapper and its read
side.
"""

__all__: list[str] = []
