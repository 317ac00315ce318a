"""Decoding scans safely and turning them into small sRGB JPEGs (thumbnails and exports).

This package owns every pixel filmflow produces from a scan:

- `opening`: open scans under the pixel limit, one-sentence errors, `ScanInfo` from the header;
- `colour`: 8-bit conversion, modes, ICC and CMYK to sRGB, the embedded sRGB profile;
- `render`: the resize pipeline, `make_thumbnail` and `export_jpeg`, the written JPEG checked;
- `pool`: the owner-watch every image-encoding process pool starts its workers with.

Metadata (scanner, scan date, orientation) is read by exifread (filmflow.ingest.exif);
Pillow only decodes pixels, and is told the orientation when the caller has read it.
Everything other modules use is re-exported here: `from filmflow import imaging;
imaging.make_thumbnail(...)`. Functions are module-level and take `Path` arguments so they
pickle for a process pool.
"""

from __future__ import annotations

from filmflow.imaging.colour import srgb_icc_bytes
from filmflow.imaging.opening import SCAN_PIXEL_LIMIT, ScanInfo, open_scan, read_exif, read_scan_info
from filmflow.imaging.pool import worker_init
from filmflow.imaging.render import check_image_file, export_jpeg, make_thumbnail, target_size

__all__ = ["SCAN_PIXEL_LIMIT", "ScanInfo", "check_image_file", "export_jpeg", "make_thumbnail", "open_scan",
           "read_exif", "read_scan_info", "srgb_icc_bytes", "target_size", "worker_init"]
