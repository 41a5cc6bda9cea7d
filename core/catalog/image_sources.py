"""Where a catalog's images may come from, judged at import so that a bad cell is refused with its row.

A seller names each image, and chosync reads what is named and publishes it on marketplaces. So:

- a web address must be ``http(s)`` to a public host. What a host names without any look-up is judged
  here (a literal loopback, link-local or private address, ``localhost``; the rule of
  :mod:`core.hosts`); a name is not resolved at import (that would make an import wait on DNS, and the
  answer may change): the kit's fetcher checks the addresses it resolves to when it downloads. The
  setting ``images.allowed_hosts`` lets a host of the operator's own network through;
- a local file must lie under the imported file's folder or a folder of the setting ``images.folders``,
  once every ``..`` and symbolic link is followed: a catalog cannot name ``/etc/shadow`` or
  ``../../../etc/passwd`` and have it published. ``file://`` addresses are refused: a path says the same
  and is checked the same way.

The refusal is checked before the file's existence, so a refused path tells nothing of what exists.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from core.hosts import host_key, is_public, named_address

__all__ = ["ImageRefused", "ImageSources"]


class ImageRefused(ValueError):
    """An image a catalog may not name; the message says why and what to do, for the seller."""


@dataclass(frozen=True, slots=True)
class ImageSources:
    """The folders local images may come from (the catalog's own first) and the hosts allowed although
    not public."""

    base_dir: Path | None
    folders: tuple[Path, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, base_dir: Path | None, *, folders: Sequence[Path] = (), allowed_hosts: Collection[str] = ()
    ) -> ImageSources:
        # Resolved once: each image's path is compared with these after its own links are followed.
        return cls(
            base_dir.resolve() if base_dir is not None else None,
            tuple(folder.expanduser().resolve() for folder in folders),
            frozenset(host_key(host) for host in allowed_hosts),
        )

    def check_url(self, url: str) -> None:
        """Refuse an address that is not ``http(s)``, or whose host names a non-public address."""
        scheme = url.split(":", 1)[0].lower()
        if scheme == "file":
            raise ImageRefused(
                f"{url!r}: file addresses are not taken; write the file's path from the catalog's folder, "
                "e.g. images/gao.jpg"
            )
        if scheme not in ("http", "https"):
            raise ImageRefused(f"{url!r} is not a web address (it must start with https:// or http://)")
        # A catalog names thousands of images on a handful of hosts: each host is judged once.
        netloc = re.split(r"[/?#]", url.split("://", 1)[-1], maxsplit=1)[0]
        refusal = self._host_refusal(netloc)
        if refusal is not None:
            raise ImageRefused(refusal.format(url=repr(url)))

    @lru_cache(maxsize=1024)  # noqa: B019 (a frozen value object: the cache holds a few hosts per instance)
    def _host_refusal(self, netloc: str) -> str | None:
        """Why a host may not be named (``{url}`` left to fill in), or None."""
        try:
            host = urlsplit(f"http://{netloc}").hostname or ""
        except ValueError:  # an unclosed [ipv6 literal
            return "{url} is not a web address (its host cannot be read)"
        if not host or host_key(host) in self.allowed_hosts:
            return None
        address = named_address(host)
        if address is not None and not is_public(address):
            named = host if str(address) == host_key(host) else f"{host} ({address})"
            return (
                f"image {{url}}: its host {named} is not a public address; put the image on a public web "
                "host, or allow the host in the setting images.allowed_hosts if it is yours"
            )
        return None

    def local_file(self, item: str) -> Path:
        """The file a path names (relative to the catalog's folder), resolved; refused outside the folders."""
        path = Path(item).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        resolved = path.resolve()
        roots = (self.base_dir, *self.folders) if self.base_dir is not None else self.folders
        if not any(resolved.is_relative_to(root) for root in roots):
            where = "the image folders"
            if self.base_dir is not None:
                where = f"the catalog file's folder ({self.base_dir})" + (f" and {where}" if self.folders else "")
            raise ImageRefused(
                f"image file {item!r} is outside {where}: move it there (e.g. images/gao.jpg) or add its "
                "folder to the setting images.folders"
            )
        if not resolved.is_file():
            raise ImageRefused(f"image file {item!r} was not found (looked at {path})")
        return resolved
