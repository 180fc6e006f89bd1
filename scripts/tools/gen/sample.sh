#!/usr/bin/env bash
# The demo's sample raster: a real DEM (USGS National Elevation Dataset, 3 arc-second, public domain)
# of the Jacksboro fault, Tennessee, as shipped in matplotlib's sample data (Debian: python-matplotlib-data).
# Written as a deflate COG with overviews, so `taoguan demo` needs no GDAL at all.
set -euo pipefail
cd "$(dirname "$0")/../../.."
src=/usr/share/matplotlib/mpl-data/sample_data/jacksboro_fault_dem.npz
[ -f "$src" ] || { echo "needs $src (apt-get install python3-matplotlib) and GDAL" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$src" "$tmp/dem.tif" <<'PY'
import sys, numpy as np
from osgeo import gdal, osr
d = np.load(sys.argv[1])
z = d['elevation']
# The file names the northern edge "ymin"; row 0 is the north.
north, west, res = float(d['ymin']), float(d['xmin']), float(d['dx'])
ds = gdal.GetDriverByName('GTiff').Create(sys.argv[2], z.shape[1], z.shape[0], 1, gdal.GDT_Int16)
ds.SetGeoTransform([west, res, 0, north, 0, -res])
srs = osr.SpatialReference(); srs.ImportFromEPSG(4326); ds.SetProjection(srs.ExportToWkt())
b = ds.GetRasterBand(1); b.WriteArray(z); b.SetNoDataValue(-32768); b.SetDescription('elevation (m)')
ds.SetMetadataItem('SOURCE', 'USGS National Elevation Dataset, 3 arc-second, via matplotlib sample data')
ds = None
PY
gdal_translate -q -of COG -co COMPRESS=DEFLATE -co PREDICTOR=2 -co BLOCKSIZE=256 "$tmp/dem.tif" data/sample/jacksboro-dem.tif
ls -l data/sample/jacksboro-dem.tif
