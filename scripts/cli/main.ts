import { Command, InvalidArgumentError } from 'commander';
import { STORE_URIS } from '../../lib/catalog/index.ts';
import pkg from '../../package.json' with { type: 'json' };

/**
 * Commands are imported when run, not at start: each pulls in its own part of lib/ (optimize its
 * encoders, serve the API and esbuild), and loading them all cost every command ~0.5 s and ~30 MB.
 */
type Action = (...args: never[]) => unknown;
const lazy = <M,>(load: () => Promise<M>, pick: (m: M) => Action) =>
  async (...args: unknown[]): Promise<void> => {
    await (pick(await load()) as (...a: unknown[]) => unknown)(...args);
  };
const catalogCommands = () => import('./commands/catalog.ts');

/** A whole-number option in [min, max]; commander reports a bad one naming the option and exits 1. */
const integer = (min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  return n;
};
/** A repeatable option: every value, in order. */
const collect = (v: string, all: string[] = []) => [...all, v];

const program = new Command()
  .name('taoguan')
  .description('Dynamic raster tiles from Cloud Optimized GeoTIFFs, for serverless function compute and one machine.')
  .version(pkg.version, '-V, --version', 'print the version')
  .showHelpAfterError();

program
  .command('info')
  .description("print a GeoTIFF's structure and whether it is a valid COG (like gdalinfo / rio cogeo info)")
  .argument('<location>', 'a local path, http(s):// URL, or s3:// oss:// cos:// location')
  .option('--json', 'print JSON for machines instead of text')
  .option('--requests', 'also print the range requests made to read the header')
  .addHelpText('after', `
Examples:
  taoguan info data/S2_B04.tif
  taoguan info https://example.com/cog.tif --requests
  taoguan info oss://my-bucket/imagery/dem.tif --json      (OSS_REGION, ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET)
  taoguan info cos://imagery-1250000000/dem.tif             (COS_REGION, TENCENTCLOUD_SECRETID/SECRETKEY)
  taoguan info s3://bucket/key.tif                          (AWS_REGION, AWS credentials; TAOGUAN_S3_ENDPOINT for other stores)`)
  .action(lazy(() => import('./commands/info.ts'), (m) => m.infoCommand));

program
  .command('tile')
  .description('render one map tile straight from a raster, no catalog or server (for scripts and debugging)')
  .argument('<location>', 'a local path, http(s):// URL, or s3:// oss:// cos:// location')
  .argument('<z/x/y>', 'tile address, e.g. 12/3372/1552')
  .requiredOption('-o, --output <file>', 'output file: .png or .webp, or .jpg for rgb')
  .option('--band <n>', 'band to render (1-based)', '1')
  .option('--colormap <name>', 'a matplotlib colormap (viridis, terrain, RdYlGn_r, …); greyscale when omitted')
  .option('--stretch-range <lo,hi>', 'numbers, pN percentiles or null for min/max, e.g. 0,3000 or p2,p98 (default: min,max)')
  .option('--rgb <r,g,b>', 'an RGB composite of these bands (1-based), e.g. 3,2,1')
  .option('--rgb-ranges <r;g;b>', 'per-channel ranges, e.g. "0,3000;0,3000;0,3000"')
  .option('--expression <expr>', 'band math over v1…vN (band N of the file), e.g. "(v4-v3)/(v4+v3)"; give --stretch-range')
  .option('--algorithm <name>', 'a terrain algorithm on the band: hillshade, slope, terrainrgb or terrarium')
  .option('--algorithm-params <json>', 'its parameters as JSON, e.g. \'{"azimuth":315,"altitude":45,"z_factor":2}\'')
  .option('--tms <id>', 'tile grid: WebMercatorQuad, WGS1984Quad, GCJ02WebMercatorQuad or CGCS2000Quad', 'WebMercatorQuad')
  .option('--resampling <method>', 'nearest, bilinear or average', 'nearest')
  .option('--tile-size <px>', 'tile width and height', '256')
  .addHelpText('after', `
Examples:
  taoguan tile dem.tif 12/3372/1552 -o tile.png --colormap terrain --stretch-range p2,p98
  taoguan tile s2.tif 13/6744/3104 -o rgb.jpg --rgb 3,2,1 --rgb-ranges "0,3000;0,3000;0,3000"
  taoguan tile s2.tif 13/6744/3104 -o ndvi.png --expression "(v4-v3)/(v4+v3)" --stretch-range -1,1 --colormap RdYlGn
  taoguan tile dem.tif 12/3372/1552 -o shade.webp --algorithm hillshade --algorithm-params '{"z_factor":2}'`)
  .action(lazy(() => import('./commands/tile.ts'), (m) => m.tileCommand));

program
  .command('serve')
  .description('serve the tile API (the same one the functions serve) and the preview page on this machine')
  .option('-c, --catalog <uri>', 'catalog URI (default: $TAOGUAN_CATALOG)')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('-p, --port <port>', 'port', integer(0, 65535), 5000)
  .option('-w, --workers <n>', 'worker processes sharing the port (default: the number of cores)', integer(1, 1024))
  .option('--base-path <prefix>', 'a path prefix to serve under, e.g. /tiles behind a proxy')
  .option('--public-url <url>', 'absolute URL clients reach the API at, for links in TileJSON and WMTS, e.g. https://tiles.example.cn/tiles (default: $TAOGUAN_PUBLIC_URL; else each request\'s Host header)')
  .option('--cors <origins>', '"*" (default), "none", or a comma-separated allow-list of origins')
  .option('--cache-control <value>', 'Cache-Control of tiles', 'public, max-age=3600')
  .option('--tile-cache-mb <mb>', 'rendered tiles kept per worker (default 8)')
  .option('--block-cache-mb <mb>', 'decoded source blocks kept per worker (default 12)')
  .option('--max-source-mb <mb>', 'cap on compressed bytes one request may read (default 256)')
  .option('--max-decoded-mpixels <n>', 'cap on pixels one request may decode, in millions of 2^20 (default 256)')
  .option('--catalog-stale-seconds <s>', 'while the catalog is unavailable, datasets already known keep serving this long past their 60 s ttl (default 3600; 0: never)', integer(0, 604800))
  .option('-q, --quiet', 'no request log')
  .option('--api-key <key>', 'require this API key (x-api-key header or ?api_key=); repeat for several (default: $TAOGUAN_API_KEYS)', collect)
  .option('--signing-secret <secret>', 'accept URLs signed with this secret (taoguan sign) (default: $TAOGUAN_URL_SIGNING_SECRET)')
  .option('--max-in-flight <n>', 'renders at once per worker (default: from memory, at most 16)', integer(1, 4096))
  .option('--max-queue <n>', 'requests waiting for a render per worker; more get 503 (default: 4 × max-in-flight)', integer(0, 65536))
  .option('--max-wait-ms <ms>', 'longest wait for a render before 503 (default 5000)', integer(0, 600_000))
  .option('--max-connections <n>', 'open connections per worker; more are closed (default 1024)', integer(1, 1_000_000))
  .option('--max-mosaic-sources <n>', 'datasets one mosaic tile may combine; more is a 422 naming the cap (default 64, at most 1000)', integer(1, 1000))
  .addHelpText('after', `
Exit codes: 0 after SIGINT / SIGTERM; 1 when it cannot start (a bad option, the catalog, a port in
use, an address this machine does not have) or when workers keep dying as they start. A worker
that dies while serving is replaced (one log line on stderr each time).`)
  .action(lazy(() => import('./commands/serve.ts'), (m) => m.serveCommand));

program
  .command('sign')
  .description('sign a URL (a tile, a {z}/{x}/{y} template, TileJSON or WMTS) for a server with a URL signing secret')
  .argument('<url>', 'e.g. https://tiles.example.cn/singleband/S2/2024-01-15/B04/{z}/{x}/{y}.png?colormap=viridis')
  .option('-e, --expires <duration>', 'valid for: seconds, or 90s, 30m, 12h, 7d', '1h')
  .option('--secret <secret>', 'the secret (default: $TAOGUAN_URL_SIGNING_SECRET; a flag is visible in ps)')
  .option('--base-path <prefix>', 'the prefix the server strips, e.g. the API gateway stage /release (default: $TAOGUAN_BASE_PATH)')
  .addHelpText('after', `
A signature covers every tile, preview, TileJSON and WMTS document of one dataset with that query,
until it expires; TileJSON and WMTS fetched with a signed URL hand out signed tile templates.`)
  .action(lazy(() => import('./commands/sign.ts'), (m) => m.signCommand));

program
  .command('demo')
  .description('ingest the shipped sample DEM into a SQLite catalog and serve it: the quickest look at taoguan')
  .option('--dir <folder>', 'work folder for the catalog and the sample', 'taoguan-demo')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('-p, --port <port>', 'port', integer(0, 65535), 5000)
  .action(lazy(() => import('./commands/demo.ts'), (m) => m.demoCommand));

program
  .command('optimize')
  .description('turn GeoTIFFs into COGs in GDAL\'s layout (tiled, deflate + predictor, overviews), no GDAL needed')
  .argument('<inputs...>', 'GeoTIFFs: local paths, http(s):// URLs, or s3:// oss:// cos:// locations')
  .requiredOption('-o, --output <dir>', 'output folder (each input becomes DIR/<name>.tif)')
  .option('--tile-size <px>', '512 or 256', '512')
  .option('--compression <codec>', 'deflate, lzw, zstd or none', 'deflate')
  .option('--resampling <method>', 'overviews: average, nearest or mode (default average; nearest for palettes)')
  // lib/optimize's DEFAULT_ZLEVEL (this file loads no optimize code at start)
  .option('--zlevel <n>', 'deflate level 1-9: 1 codes runs only (zlib\'s Z_RLE: about 2x faster than 4 for 5-11% more bytes on imagery, still smaller than GDAL\'s default); 2-9 are zlib\'s levels', '1')
  .option('--reproject', 'warp to Web Mercator (EPSG:3857) first, on gdalwarp\'s default grid')
  .option('--t-srs <crs>', 'warp to this CRS first: EPSG:3857, EPSG:4326, a WGS84 UTM or CGCS2000 code… (implies --reproject)')
  .option('--warp-resampling <method>', 'reprojection: nearest (default, as gdalwarp), bilinear or average')
  .option('--zstd-level <n>', 'zstd level 1-22 (as GDAL\'s ZSTD_LEVEL)', '9')
  .option('--overwrite', 'replace existing outputs')
  .option('--skip-existing', 'leave existing outputs alone')
  .option('-j, --workers <n>', 'compression threads', '2')
  .option('--no-progress', 'no progress bars')
  .action(lazy(() => import('./commands/optimize.ts'), (m) => m.optimizeCommand));

program
  .command('ingest')
  .description('add COGs to a catalog under key values taken from their names (or given with --key), or from STAC items (--stac)')
  .argument('[pattern]', 'e.g. data/{sensor}_{date}_{band}.tif, s3://bucket/prefix/{date}/{band}.tif; with --key, one location')
  .option('-c, --catalog <uri>', 'catalog URI (default: $TAOGUAN_CATALOG)')
  .option('-k, --key <name=value>', 'ingest one object with these key values (repeat per key)', collect)
  .option('--regex <regex>', 'match names after the PATTERN prefix with this regex of named groups, e.g. (?<sensor>[^_]+)_(?<date>\\d{8})\\.tif')
  .option('--stac <location>', 'ingest the COG assets of a STAC Item, ItemCollection (a search result; next pages followed) or Collection: a path or URL')
  .option('--keys <fields>', 'with --stac: one item field per catalog key, in order, e.g. collection,datetime:date,asset')
  .option('--assets <names>', 'with --stac: these assets of every item, e.g. red,green,blue (default: every GeoTIFF asset)')
  .option('--max-items <n>', 'with --stac: refuse more items than this (default 10000)', integer(1, 10_000_000))
  .option('--dry-run', 'with --stac: print the keys and location of each dataset it would ingest, and stop')
  .option('--exact', 'statistics from full resolution instead of an overview of ~1024 px')
  .option('--force', 're-ingest even when the object is unchanged (same ETag and size)')
  .option('-j, --concurrency <n>', 'objects (with --stac, items) ingested at once', integer(1, 256), 4)
  .option('--allowed-prefix <prefix>', 'read only under this folder or s3:// oss:// cos:// http(s):// prefix (repeat for several); a symbolic link is judged by the file it leads to', collect)
  .option('--no-progress', 'no progress bar')
  .addHelpText('after', `
Examples:
  taoguan catalog create sqlite:catalog.db --keys sensor,date,band
  taoguan ingest 'data/{sensor}_{date}_{band}.tif' --catalog sqlite:catalog.db
  taoguan ingest oss://imagery/s2/ --regex '(?<sensor>S2[AB])_(?<date>\\d{8})_(?<band>B\\d\\d)\\.tif' -c $CATALOG
  taoguan ingest https://example.com/dem.tif --key sensor=SRTM --key date=2000 --key band=dem -c sqlite:catalog.db
  taoguan ingest --stac 'https://stac.example.com/search?collections=sentinel-2-l2a&bbox=116,39,117,40&limit=100' \\
      --keys collection,datetime:date,asset --assets red,green,blue,nir -c sqlite:catalog.db

Values may contain _ or - when the pattern still parses one way; an ambiguous name is an error.
Objects that are not valid COGs are refused (convert them with taoguan optimize). Failures are
listed at the end and make the exit code 1; the other objects are still ingested.
Local paths are stored absolute, so the catalog serves from any folder. Symbolic links are followed
(links to folders are walked) and stored under the link's own path.

STAC (--stac): --keys names, for each catalog key in order, one of: id, collection, asset (the
asset's name), datetime (else start_datetime), or any property (platform, eo:cloud_cover, or
properties.NAME), with an optional modifier: for date-times, read in UTC, :date (2024-06-01),
:yyyymmdd (20240601), :month (2024-06), :year (2024); :lower (Sentinel-2A → sentinel-2a).
Values must be letters, digits and . _ ~ : @ + = - (they are URL path segments). By default every
asset typed as a GeoTIFF (image/tiff; application=geotiff, with or without profile=cloud-optimized)
is ingested. Relative hrefs resolve against the item's URL. Nothing is written when the mapping does
not fit an item, or two assets map to the same keys. An item without an asset named by --assets, or
whose asset cannot be read or is not a COG, is left out whole (no row of it is written), reported,
and makes the exit code 1; the other items are still ingested. A document from a public host may
only lead to public hosts (TAOGUAN_ALLOW_PRIVATE_HOSTS=1 lifts that) and never to local files.`)
  .action(lazy(() => import('./commands/ingest.ts'), (m) => m.ingestCommand));

const catalog = program.command('catalog').description(`create and inspect catalogs: ${STORE_URIS}`);
catalog
  .command('create')
  .description('create a catalog with ordered key names')
  .argument('<uri>', STORE_URIS)
  .requiredOption('--keys <names>', 'comma-separated key names, e.g. sensor,date,band')
  .option('--descriptions <texts>', 'comma-separated descriptions, one per key')
  .action(lazy(catalogCommands, (m) => m.createCommand));
catalog
  .command('list')
  .description('list datasets (keys and location)')
  .argument('[uri]', 'catalog URI (default: $TAOGUAN_CATALOG)')
  .option('-w, --where <key=value>', 'filter; KEY=V1,V2 accepts any of the values (repeatable)', collect)
  .option('--limit <n>', 'page size', '100')
  .option('--page <n>', '0-based page', '0')
  .option('--json', 'print JSON')
  .action(lazy(catalogCommands, (m) => m.listCommand));
catalog
  .command('info')
  .description('schema version, keys and dataset count')
  .argument('[uri]', 'catalog URI (default: $TAOGUAN_CATALOG)')
  .option('--json', 'print JSON')
  .action(lazy(catalogCommands, (m) => m.infoCommand));
catalog
  .command('delete')
  .description('remove one dataset by its key values')
  .argument('<uri>', 'catalog URI')
  .argument('<keys...>', 'the key values, in the catalog\'s key order')
  .action(lazy(catalogCommands, (m) => m.deleteCommand));
catalog
  .command('migrate')
  .description("bring an older catalog's schema up to this taoguan's version")
  .argument('[uri]', 'catalog URI (default: $TAOGUAN_CATALOG)')
  .action(lazy(catalogCommands, (m) => m.migrateCommand));
catalog
  .command('publish')
  .description('write a consistent snapshot of a catalog as a compact read-only SQLite file, to a path or an object location')
  .argument('<src>', `the catalog to snapshot: ${STORE_URIS}`)
  .argument('<dest>', 'a path or s3:// oss:// cos:// location ending .sqlite or .db')
  .option('--page-size <bytes>', 'SQLite page size (default 32768: two page reads per remote lookup)', integer(4096, 65536))
  .addHelpText('after', `
Example (the nightly step after ingest; serve with TAOGUAN_CATALOG=oss://bucket/catalog.sqlite):
  taoguan catalog publish mysql://user:pass@host/db oss://bucket/catalog.sqlite`)
  .action(lazy(catalogCommands, (m) => m.publishCommand));

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`taoguan: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
