"""``multipart/form-data`` bodies (RFC 7578) as every simulator reads them: image uploads, import sheets.

Parsed by hand, because Starlette's form parser needs the optional ``python-multipart`` package, which is
not a project dependency. A simulator turns :class:`MultipartError` into its own marketplace's refusal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FilePart", "MultipartError", "fields_and_files", "parse_multipart"]

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_DISPOSITION_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str
    content_type: str
    data: bytes


class MultipartError(ValueError):
    """The body is not ``multipart/form-data`` with a boundary."""


def parse_multipart(content_type: str, body: bytes) -> list[FilePart]:
    """The parts of a ``multipart/form-data`` body, files and plain fields alike, in order."""
    match = _BOUNDARY.search(content_type)
    if not content_type.lower().startswith("multipart/form-data") or match is None:
        raise MultipartError("the request should be multipart/form-data")
    delimiter = b"--" + match.group(1).encode("latin-1")
    parts: list[FilePart] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        headers = {key.strip().lower(): value.strip() for key, _, value in (ln.partition(":") for ln in lines)}
        params = dict(_DISPOSITION_PARAM.findall(headers.get("content-disposition", "")))
        parts.append(
            FilePart(
                name=params.get("name", ""),
                filename=params.get("filename", ""),
                content_type=headers.get("content-type", "text/plain"),
                data=data.removesuffix(b"\r\n"),
            )
        )
    return parts


def fields_and_files(parts: Iterable[FilePart]) -> tuple[dict[str, str], dict[str, bytes]]:
    """The plain fields (as text) and the files (by field name) of parsed parts; a nameless part is skipped."""
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in parts:
        if not part.name:
            continue
        if part.filename:
            files[part.name] = part.data
        else:
            fields[part.name] = part.data.decode("utf-8", "replace")
    return fields, files
