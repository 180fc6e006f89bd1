#!/usr/bin/python3
"""Decodes WebP files with GDAL's WEBP driver (libwebp, independent of the encoder under test).

    /usr/bin/python3 test/support/webp-decode.py A.webp [B.webp ...]

For each file, writes A.webp.rgba (raw RGBA, row-major; alpha 255 where the image has none) and
prints one JSON line {"file", "width", "height", "bands", "lossless"} (lossless from GDAL's
COMPRESSION_REVERSIBILITY metadata where it reports it).
"""
import json
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()
gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")

for path in sys.argv[1:]:
    ds = gdal.Open(path)
    if ds.GetDriver().ShortName != "WEBP":
        raise SystemExit(f"{path}: opened by {ds.GetDriver().ShortName}, not WEBP")
    w, h, n = ds.RasterXSize, ds.RasterYSize, ds.RasterCount
    rgba = np.full((h, w, 4), 255, dtype=np.uint8)
    for b in range(n):
        rgba[:, :, b] = ds.GetRasterBand(b + 1).ReadAsArray()
    rgba.tofile(path + ".rgba")
    md = ds.GetMetadata("IMAGE_STRUCTURE") or {}
    print(json.dumps({"file": path, "width": w, "height": h, "bands": n, "lossless": md.get("COMPRESSION_REVERSIBILITY")}))
