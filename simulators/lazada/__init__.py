"""A local Lazada Open Platform (LazOP): the token host and the seller API of Lazada Vietnam, as one ASGI app."""
