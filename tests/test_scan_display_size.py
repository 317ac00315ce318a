"""ScanInfo.display_size: a scan's size as shown (issue 11: sizes were listed unrotated)."""

from __future__ import annotations

import pytest
from PIL import Image

from filmflow.imaging import read_scan_info
from tests.imagegen import make_scan


@pytest.mark.parametrize("orientation, shown", [(1, (300, 200)), (3, (300, 200)), (6, (200, 300)),
                                                (8, (200, 300)), (5, (200, 300))])
def test_display_size_applies_the_exif_orientation(tmp_path, orientation, shown):
    exif = Image.Exif()
    exif[0x0112] = orientation
    info = read_scan_info(make_scan(tmp_path / "s.jpg", (300, 200), exif=exif))
    assert (info.width, info.height) == (300, 200) and info.display_size == shown
