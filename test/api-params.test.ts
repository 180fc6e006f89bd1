/**
 * Query parameters a user gets wrong, through the API on a real socket over ingested COGs: a
 * misspelt name is a 400 saying which was meant (on every route), cache-busters stay ignored,
 * colormap names take any case, and missing or out-of-range values are named in words.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_LEGEND_VALUES } from '../lib/render/legend.ts';
import { decodePng } from '../lib/render/png-decode.ts';
import { makeCatalog, Origin, startApi, tileAt } from './api-harness.ts';

describe('API parameters: did you mean, colormap case, messages', () => {
  const origin = new Origin();
  let catalog: Awaited<ReturnType<typeof makeCatalog>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let t = '';
  const get = (path: string) => fetch(`${api.url}${path}`);
  const error = async (path: string, status: number, pattern: RegExp) => {
    const res = await get(path);
    const body = (await res.json()) as { message: string };
    assert.equal(res.status, status, `${path}: ${body.message}`);
    assert.match(body.message, pattern, path);
  };
  const png = async (path: string) => {
    const res = await get(path);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.status, 200, `${path}: ${new TextDecoder().decode(bytes).slice(0, 300)}`);
    return decodePng(bytes);
  };

  before(async () => {
    await origin.start();
    catalog = await makeCatalog(origin);
    api = await startApi(catalog.uri);
    const md = (await (await get('/metadata/S2/2024-01-15/B04')).json()) as { bounds: number[] };
    const [x, y] = tileAt((md.bounds[0] + md.bounds[2]) / 2, (md.bounds[1] + md.bounds[3]) / 2, 12);
    t = `12/${x}/${y}`;
  });
  after(async () => {
    await api.stop();
    await origin.stop();
    await catalog.close();
  });

  it('a misspelt parameter is a 400 naming the one meant, on tile, document and catalog routes', async () => {
    const base = `/singleband/S2/2024-01-15/B04/${t}.png?stretch_range=[0,10000]`;
    await error(`${base}&colourmap=viridis`, 400, /^colourmap: unknown parameter; did you mean colormap\?$/);
    await error(`${base}&Colormap=viridis`, 400, /did you mean colormap\?/);
    await error(`${base}&algoritm=hillshade`, 400, /^algoritm: unknown parameter; did you mean algorithm\?$/);
    await error(`/singleband/S2/2024-01-15/B04/${t}.png?strech_range=[0,1]`, 400, /did you mean stretch_range\?/);
    await error(`${base}&rescale=0,1000`, 400, /^rescale: unknown parameter; did you mean stretch_range\?$/);
    await error(`/singleband/S2/2024-01-15/B04/tilejson.json?colormapp=viridis`, 400, /did you mean colormap\?/);
    await error('/colormap?stretch_range=[0,1]&num_value=5', 400, /^num_value: unknown parameter; did you mean num_values\?$/);
    await error('/metadata/S2/2024-01-15/B04?colums=[bounds]', 400, /did you mean columns\?/);
    await error('/wmts/WMTSCapabilities.xml?sensr=S2', 400, /^sensr: unknown parameter; did you mean sensor\?$/);
    await error(`/singleband/S2/2024-01-15/B04/${t}.png?stretch_range=[0,1]&pixel_selecton=first`, 400, /did you mean pixel_selection\?/);
  });

  it('cache-busters and names far from any known one are still ignored', async () => {
    const plain = await png(`/singleband/S2/2024-01-15/B04/${t}.png?stretch_range=[0,10000]`);
    for (const extra of ['v=3', '_=1712345678901', 'cb=x', 'foo=bar', 'session=abc', 'lang=en', 'time=1']) {
      const other = await png(`/singleband/S2/2024-01-15/B04/${t}.png?stretch_range=[0,10000]&${extra}`);
      assert.deepEqual(other.rgba, plain.rgba, extra);
    }
    // the mosaic parameters are known names: on one dataset's tile they are refused for what they are, not as misspellings
    for (const extra of ['sort=date', 'pixel_selection=first']) {
      const r = await get(`/singleband/S2/2024-01-15/B04/${t}.png?stretch_range=[0,10000]&${extra}`);
      assert.equal(r.status, 400, extra);
      assert.match(await r.text(), /applies to mosaics only/, extra);
    }
    // a catalog key name is a filter on /wmts, not a misspelling
    assert.equal((await get('/wmts/WMTSCapabilities.xml?sensor=S2')).status, 200);
  });

  it('colormap names are case-insensitive in the API, as in the CLI', async () => {
    const base = `/singleband/S2/2024-01-15/B04/${t}.png?stretch_range=[0,10000]`;
    const lower = await png(`${base}&colormap=rdylgn`);
    const mixed = await png(`${base}&colormap=RdYlGn`);
    assert.deepEqual(mixed.palette, lower.palette);
    assert.deepEqual(mixed.rgba, lower.rgba);
    const grey = await png(base);
    assert.notDeepEqual(mixed.palette, grey.palette);
    const legend = async (name: string) => (await (await get(`/colormap?stretch_range=[0,1]&num_values=3&colormap=${name}`)).json()) as unknown;
    assert.deepEqual(await legend('Viridis_R'), await legend('viridis_r'));
    await error(`${base}&colormap=RdYlGnn`, 400, /^colormap: unknown colormap "RdYlGnn" \(did you mean "rdylgn"\?\)/);
  });

  it('/colormap and /compute without stretch_range say it is required, in words', async () => {
    await error('/colormap', 400, /^stretch_range: is required: the \[min, max\] values the legend spans, e\.g\. \[0,100\]$/);
    await error('/colormap?colormap=viridis', 400, /^stretch_range: is required/);
    await error(`/compute/S2/2024-01-15/${t}.png?expression=v1&v1=B04`, 400, /^stretch_range: is required: the \[min, max\] of the expression's values/);
    for (const path of ['/colormap', `/compute/S2/2024-01-15/${t}.png?expression=v1&v1=B04`]) {
      const body = (await (await get(path)).json()) as { message: string };
      assert.doesNotMatch(body.message, /expected string|undefined/);
    }
  });

  it('num_values out of range names its range', async () => {
    await error('/colormap?stretch_range=[0,1]&num_values=5000', 400, new RegExp(`^num_values: is 5000; it must be between 1 and ${MAX_LEGEND_VALUES}$`));
    await error('/colormap?stretch_range=[0,1]&num_values=0', 400, new RegExp(`^num_values: is 0; it must be between 1 and ${MAX_LEGEND_VALUES}$`));
    await error('/colormap?stretch_range=[0,1]&num_values=2.5', 400, /^num_values: must be an integer$/);
  });

  it('an unescaped + in an expression gets a hint to write %2B', async () => {
    const q = (e: string) => `/compute/S2/2024-01-15/${t}.png?expression=${e}&v1=B04&v2=B08&stretch_range=[-1,1]`;
    await error(q('(v1-v2)/(v1+v2)'), 400, /^expression: .*write it as %2B/);
    const ok = await get(q('(v1-v2)/(v1%2Bv2)'));
    assert.equal(ok.status, 200);
    // a syntax error without a space gets no such hint
    const res = await get(q('v1*'));
    assert.doesNotMatch(((await res.json()) as { message: string }).message, /%2B/);
  });
});
