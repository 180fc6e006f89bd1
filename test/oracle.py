#!/usr/bin/python3
"""GDAL oracle for window reads. Run with the system python (Debian's python3-gdal):

    echo '{"requests":[{"file":"test/fixtures/u8-deflate-p2-nodata0-4326.tif",
            "level":1,"x":0,"y":0,"width":64,"height":64}]}' | /usr/bin/python3 test/oracle.py

Request fields: file (absolute, or relative to the current directory), level (0 = full
resolution, n = GDAL's nth overview), x, y, width, height (pixels in that level).
The window is clipped to the level's extent; each result reports the window actually read:

    {"x","y","width","height",              clipped window (width/height may be 0)
     "levelWidth","levelHeight",            size of the level
     "dtype": "uint16",                     numpy dtype name
     "bands": [base64, ...],                one per band, little-endian, row-major
     "mask": base64}                        uint8 per pixel, 255 valid / 0 invalid

The mask is band 1's GDAL mask band at that level (`GetMaskBand()`; for overviews the
overview's mask band): an internal mask if the file has one, otherwise derived from nodata
(NaN included), otherwise all 255. A failing request yields {"error": "..."} in its place.
Each file is opened once per run, so batching many requests is cheap.
"""
import base64
import json
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()
gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")  # never write .aux.xml next to fixtures

DTYPES = {"uint8", "int8", "int16", "uint16", "int32", "uint32", "float32", "float64"}

_open = {}


def dataset(path):
    ds = _open.get(path)
    if ds is None:
        ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_READONLY)
        _open[path] = ds
    return ds


def level_band(ds, b, level):
    band = ds.GetRasterBand(b)
    if level == 0:
        return band
    n = band.GetOverviewCount()
    if not 1 <= level <= n:
        raise ValueError("level %d out of range: %d overview(s)" % (level, n))
    return band.GetOverview(level - 1)


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def read(req):
    ds = dataset(req["file"])
    level = int(req.get("level", 0))
    first = level_band(ds, 1, level)
    lw, lh = first.XSize, first.YSize
    x0, y0 = int(req["x"]), int(req["y"])
    x1, y1 = x0 + int(req["width"]), y0 + int(req["height"])
    x0, y0 = max(0, min(x0, lw)), max(0, min(y0, lh))
    x1, y1 = max(x0, min(x1, lw)), max(y0, min(y1, lh))
    w, h = x1 - x0, y1 - y0
    if w == 0 or h == 0:
        w = h = 0

    dtype = np.dtype(_numpy_dtype(first.DataType))
    out = {"x": x0, "y": y0, "width": w, "height": h, "levelWidth": lw, "levelHeight": lh,
           "dtype": dtype.name, "bands": [], "mask": ""}
    if w == 0 or h == 0:
        out["bands"] = ["" for _ in range(ds.RasterCount)]
        return out
    for b in range(1, ds.RasterCount + 1):
        a = level_band(ds, b, level).ReadAsArray(x0, y0, w, h)
        out["bands"].append(b64(a.astype(dtype.newbyteorder("<"), copy=False)))
    m = first.GetMaskBand().ReadAsArray(x0, y0, w, h)
    out["mask"] = b64(np.where(m > 0, 255, 0).astype(np.uint8))
    return out


def _numpy_dtype(gdt):
    name = {
        gdal.GDT_Byte: "uint8", gdal.GDT_Int16: "int16", gdal.GDT_UInt16: "uint16",
        gdal.GDT_Int32: "int32", gdal.GDT_UInt32: "uint32", gdal.GDT_Float32: "float32",
        gdal.GDT_Float64: "float64",
    }.get(gdt)
    if name is None and hasattr(gdal, "GDT_Int8") and gdt == gdal.GDT_Int8:
        name = "int8"
    if name not in DTYPES:
        raise ValueError("unsupported GDAL data type %s" % gdal.GetDataTypeName(gdt))
    return name


def main():
    req = json.load(sys.stdin)
    results = []
    for r in req.get("requests", []):
        try:
            results.append(read(r))
        except Exception as e:  # report per request, keep going
            results.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump({"results": results}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
