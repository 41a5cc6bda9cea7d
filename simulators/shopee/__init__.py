"""The Shopee Open Platform v2 simulator (``sandbox``: ``ShopeeSandbox``, ``serve``)."""
