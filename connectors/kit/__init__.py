"""The connector kit: what every marketplace connector shares, written once.

The HTTP boundary (``errors``: error rules as data; ``client``: the API client base; ``retry``: the one
transport retry policy; ``ratelimit``: per-account and per-partner budgets), images (``images``), the
channel config base (``config``), the connector skeleton (``connector``), the checks mappers share
(``listing_checks``), listing descriptions (``description``), per-variant price and stock batches
(``batches``) and read-side normalisation (``normalize``). A marketplace package writes only its signing,
its error codes, its mapper and its read side.
"""

__all__: list[str] = []
