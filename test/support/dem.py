#!/usr/bin/python3
"""Terrain oracle for test/algorithms.test.ts (system python with GDAL and numpy).

    /usr/bin/python3 test/support/dem.py make OUT.tif
        a synthetic DEM COG: 1400 x 1200 float32 at 30 m in UTM 50N (EPSG:32650), smooth hills
        and ridges from ~200 m to ~2600 m, a nodata (-9999) notch in one corner, with overviews.
    /usr/bin/python3 test/support/dem.py oracle DEM.tif MINX MINY MAXX MAXY SIZE SCALE OUT_PREFIX
        for the EPSG:3857 tile [MINX..MAXX] x [MINY..MAXY] of SIZE x SIZE pixels: gdalwarp -r near of
        the DEM over the tile (OUT_PREFIX.height.f32), and gdaldem hillshade and slope (Horn, -s SCALE)
        of it warped one pixel wider on every side, cropped back to the tile (OUT_PREFIX.hillshade.f32,
        OUT_PREFIX.slope.f32): raw little-endian float32, row-major, NaN where GDAL has nodata.
    /usr/bin/python3 test/support/dem.py preview DEM.tif WIDTH HEIGHT OUT_PREFIX
        the whole DEM nearest-sampled to WIDTH x HEIGHT in its own CRS (gdal_translate -outsize -r near,
        which reads the overview GDAL picks), and gdaldem hillshade of that (OUT_PREFIX.hillshade.f32).
"""
import sys

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()
gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")


def make(out):
    w, h = 1400, 1200
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    z = 200 + 900 * np.exp(-(((x - 500) / 260) ** 2 + ((y - 450) / 200) ** 2))
    z += 1500 * np.exp(-(((x - 1000) / 180) ** 2 + ((y - 800) / 300) ** 2))
    z += 120 * np.sin(x / 37.0) * np.cos(y / 53.0) + 60 * np.sin((x + 2 * y) / 23.0)
    z = z.astype(np.float32)
    z[:150, :150] = -9999
    mem = gdal.GetDriverByName("MEM").Create("", w, h, 1, gdal.GDT_Float32)
    mem.SetGeoTransform([400000, 30, 0, 3500000, 0, -30])
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32650)
    mem.SetProjection(srs.ExportToWkt())
    band = mem.GetRasterBand(1)
    band.SetNoDataValue(-9999)
    band.WriteArray(z)
    gdal.Translate(out, mem, format="COG", creationOptions=["COMPRESS=DEFLATE", "PREDICTOR=3", "BLOCKSIZE=256", "OVERVIEWS=AUTO"])


def read(path):
    ds = gdal.Open(path)
    b = ds.GetRasterBand(1)
    a = b.ReadAsArray().astype(np.float32)
    nd = b.GetNoDataValue()
    if nd is not None:
        a[a == nd] = np.nan
    return a


def warp(dem, out, bounds, size):
    gdal.Warp(out, dem, dstSRS="EPSG:3857", outputBounds=bounds, width=size, height=size,
              resampleAlg="near", dstNodata=-9999, outputType=gdal.GDT_Float32)


def oracle(dem, minx, miny, maxx, maxy, size, scale, prefix):
    px = (maxx - minx) / size
    warp(dem, "/vsimem/tile.tif", [minx, miny, maxx, maxy], size)
    warp(dem, "/vsimem/wide.tif", [minx - px, miny - px, maxx + px, maxy + px], size + 2)
    gdal.DEMProcessing("/vsimem/hs.tif", "/vsimem/wide.tif", "hillshade", scale=scale, azimuth=315, altitude=45, zFactor=1)
    gdal.DEMProcessing("/vsimem/slope.tif", "/vsimem/wide.tif", "slope", scale=scale, zFactor=1)
    read("/vsimem/tile.tif").astype("<f4").tofile(f"{prefix}.height.f32")
    for name in ("hillshade", "slope"):
        read(f"/vsimem/{'hs' if name == 'hillshade' else name}.tif")[1:-1, 1:-1].astype("<f4").tofile(f"{prefix}.{name}.f32")


def preview(dem, width, height, prefix):
    gdal.Translate("/vsimem/preview.tif", dem, width=width, height=height, resampleAlg="near")
    gdal.DEMProcessing("/vsimem/phs.tif", "/vsimem/preview.tif", "hillshade", azimuth=315, altitude=45, zFactor=1)
    read("/vsimem/phs.tif").astype("<f4").tofile(f"{prefix}.hillshade.f32")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "preview":
        preview(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        a = sys.argv[2:]
        oracle(a[0], *map(float, a[1:5]), int(a[5]), float(a[6]), a[7])
