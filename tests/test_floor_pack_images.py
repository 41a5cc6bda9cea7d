"""A pack's images are the floor's: a seller's large photo is scaled down to the toml's size and saved
under the name the floor's import expects, which is also the name the sheet gives."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from connectors.floors.config import load_assisted_config
from tests.floors_world import ASSISTED, make_floors


def _photo(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, format="JPEG", quality=95)
    return out.getvalue()


@pytest.mark.parametrize("channel", ASSISTED)
def test_a_large_photo_goes_in_the_pack_at_the_floors_size_and_under_its_name(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, channel: str
) -> None:
    from core.db import open_store

    floors = make_floors(open_store(sqlite_url), tmp_path, monkeypatch, products=1, variants=1)
    photo = _photo(3000, 2000)  # straight from a phone
    floors.transport.images = httpx.MockTransport(lambda request: httpx.Response(200, content=photo))
    config = load_assisted_config(channel)
    limit = config.limits.image_max_px
    assert limit is not None and limit < 3000

    result = floors.push(channel)
    assert (result.outcome, result.error) == ("ok", None)
    pack = floors.open_pack(channel)
    names = [config.upload.image_name.format(product_sku="P000000", n=n, ext=".jpg") for n in (1, 2)]
    assert sorted(p.name for p in (pack / "images").iterdir()) == sorted(names)
    for name in names:
        data = (pack / "images" / name).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            assert (image.format, image.size) == ("JPEG", (limit, limit * 2 // 3))  # proportions kept
        assert len(data) <= config.limits.image_max_bytes
    # The floor's import finds every image the sheet names in the pack (it raises on a missing one).
    assert floors.centres[channel].import_pack(pack) == 1
    assert floors.centres[channel].products["P000000-V0"].images == names
