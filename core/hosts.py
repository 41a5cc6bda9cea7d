"""Which hosts a seller's catalog may make chosync fetch from: public ones, unless the operator allows one.

A catalog is written by sellers, and chosync often runs beside other services (a province's server, a
cloud machine's metadata endpoint at 169.254.169.254): an image URL must not make it read them. One
rule, applied twice: at import (:mod:`core.catalog.image_sources`) to what a host *names* without any
look-up (a literal address, ``localhost``), so a bad cell is refused with its row; and by the kit's
fetcher (:mod:`connectors.kit.images`) again when it downloads, to the addresses the name resolves to.
A host the operator lists as allowed (an image server on the seller's own network, a sandbox on
loopback) passes both.

Kept free of heavy imports: the catalog import loads it.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv6Address, ip_address

__all__ = ["RESERVED_TLDS", "Address", "host_key", "is_public", "literal_address", "named_address"]

Address = IPv4Address | IPv6Address

# Never in public DNS (RFC 2606): a look-up would only wait for a resolver's "no".
RESERVED_TLDS = frozenset({"test", "example", "invalid"})
_LOOPBACK = IPv4Address("127.0.0.1")


def host_key(host: str) -> str:
    """A host as compared with an allowed list: no brackets, no trailing dot, lower case."""
    return host.strip().strip("[]").rstrip(".").lower()


def is_public(address: Address) -> bool:
    """Whether ``address`` is on the public internet (not loopback, link-local, private, reserved, shared
    or multicast); an IPv4 address written as IPv6 (``::ffff:127.0.0.1``) is judged as itself."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def literal_address(host: str) -> Address | None:
    """``host`` as an IP address, including the short and numeric IPv4 forms resolvers accept
    (``127.1``, ``0x7f000001``, ``2130706433``) so that they are judged without a look-up."""
    host = host_key(host)
    try:
        return ip_address(host)
    except ValueError:
        pass
    if not host[:1].isdigit() or not set(host) <= set("0123456789abcdefx."):
        return None
    try:
        return IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def named_address(host: str) -> Address | None:
    """The address ``host`` stands for without any look-up: a literal one, or loopback for ``localhost``
    and the names under it (RFC 6761); None for a name only a resolver can answer."""
    literal = literal_address(host)
    if literal is not None:
        return literal
    key = host_key(host)
    return _LOOPBACK if key == "localhost" or key.endswith(".localhost") else None
