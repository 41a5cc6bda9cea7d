"""Photos are scaled down to a marketplace's size, keeping proportions; anything else passes untouched."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from connectors.kit.images import fit_image


def _photo(width: int, height: int, kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, format=kind)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_a_large_photo_is_scaled_down_keeping_its_proportions(kind: str) -> None:
    fitted = fit_image(_photo(4000, 3000, kind), max_px=1200)
    with Image.open(io.BytesIO(fitted)) as image:
        assert (image.size, image.format) == ((1200, 900), kind)


def test_a_photo_that_fits_is_not_touched() -> None:
    small = _photo(800, 600)
    assert fit_image(small, max_px=1200) is small
    wide = _photo(4000, 10)
    assert fit_image(wide, max_px=None) is wide


def test_bytes_that_are_not_an_image_pass_through() -> None:
    junk = b"\xff\xd8\xff\xe0" + b"\x00" * 60
    assert fit_image(junk, max_px=100) is junk
