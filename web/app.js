/* global L, document, location, localStorage, navigator, URLSearchParams, window */
/**
 * taoguan's preview page: browse the catalog, show a dataset as singleband / RGB / band math on a
 * Leaflet map, read values, copy URLs. Only the public API is used, with URLs relative to the page
 * (index.html sets <base> to the API root), so it works under an API gateway's stage prefix.
 * On a deployment with access control the page itself is public but its data is not: open it as
 * /?api_key=KEY and the key is passed on to every data request (keys, datasets, metadata, points,
 * tiles, and the URLs offered for copying). A signed URL covers one path, so it cannot be passed on.
 * A key picker set to `* (all)`, a prefix or a list turns the layer into a mosaic (web/mosaic.js):
 * pixel selection and order appear, the map fits the TileJSON's union bounds, the members'
 * footprints are highlighted and a click reads the series at that point.
 */
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const M = window.TaoguanMosaic;
  const store = { get: (k, d) => localStorage.getItem(`taoguan.${k}`) ?? d, set: (k, v) => localStorage.setItem(`taoguan.${k}`, v) };
  const BASEMAPS = {
    osm: { url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: '© OpenStreetMap contributors' },
    amap: { url: 'https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}', subdomains: '1234', attribution: '© AMap' },
  };
  const FALLBACK_COLORMAPS = ['greys', 'viridis', 'magma', 'inferno', 'plasma', 'terrain', 'rdylgn', 'spectral'];

  const state = {
    keys: [], page: 0, limit: 50, datasets: [], filters: {},
    selected: null, meta: null, siblings: [], mode: 'singleband', stretch: [0, 1],
    // the path's key segments (the selected dataset's values, or patterns) and the mosaic they make
    segments: [], pixelSelection: 'first', sort: '', mosaic: { sig: '', bounds: null, members: [] },
    grid: store.get('grid', 'WebMercatorQuad'), basemap: store.get('basemap', 'none'), basemapUrl: store.get('basemapUrl', ''),
    // ?colormap= (the demo's printed link) wins over the last one chosen here
    colormap: new URLSearchParams(location.search).get('colormap') ?? store.get('colormap', 'viridis'), format: store.get('format', 'png'),
  };
  let map, baseLayer, dataLayer, footprints, layerUrl = '';

  async function getJson(url, init) {
    const r = await fetch(url, init);
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.message || `${r.status} ${r.statusText}`);
    return body;
  }
  const debounce = (fn, ms) => { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; };
  const fmt = (v) => (v === null || v === undefined ? '–' : Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(+v.toFixed(4)));
  const showError = (msg) => { $('error').textContent = msg || ''; };
  const absolute = (rel) => decodeURI(new URL(rel, document.baseURI).href);
  const API_KEY = new URLSearchParams(location.search).get('api_key');
  /** A data URL with the page's API key, if it was given one (public routes need none). */
  const withKey = (url) => (API_KEY ? `${url}${url.includes('?') ? '&' : '?'}api_key=${encodeURIComponent(API_KEY)}` : url);

  // ---- GCJ-02 (the public formula, as lib/crs/gcj02.ts): footprints and clicks on a GCJ-02 map
  const outOfChina = (lng, lat) => lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
  function gcjShift(lng, lat) {
    const x = lng - 105, y = lat - 35, P = Math.PI;
    const d = 20 * Math.sin(6 * x * P) + 20 * Math.sin(2 * x * P);
    let dLat = (d + 20 * Math.sin(y * P) + 40 * Math.sin(y * P / 3) + 160 * Math.sin(y * P / 12) + 320 * Math.sin(y * P / 30)) * 2 / 3;
    let dLng = (d + 20 * Math.sin(x * P) + 40 * Math.sin(x * P / 3) + 150 * Math.sin(x * P / 12) + 300 * Math.sin(x * P / 30)) * 2 / 3;
    dLat += -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dLng += 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    const A = 6378245, EE = 0.006693421622965943, rad = lat / 180 * P;
    const m = 1 - EE * Math.sin(rad) ** 2, s = Math.sqrt(m);
    return [(dLng * 180) / (A / s * Math.cos(rad) * P), (dLat * 180) / ((A * (1 - EE)) / (m * s) * P)];
  }
  const wgsToGcj = (lng, lat) => { if (outOfChina(lng, lat)) return [lng, lat]; const d = gcjShift(lng, lat); return [lng + d[0], lat + d[1]]; };
  function gcjToWgs(lng, lat) {
    let w = [lng, lat];
    for (let i = 0; i < 4; i++) { const g = wgsToGcj(w[0], w[1]); w = [w[0] - (g[0] - lng), w[1] - (g[1] - lat)]; }
    return w;
  }
  const gcj = () => state.grid === 'GCJ02WebMercatorQuad';
  /** WGS84 [lng, lat] → a point on the map (GCJ-02 on a GCJ-02 map), and back. */
  const toMap = (lng, lat) => { const p = gcj() ? wgsToGcj(lng, lat) : [lng, lat]; return L.latLng(p[1], p[0]); };
  const fromMap = (ll) => (gcj() ? gcjToWgs(ll.lng, ll.lat) : [ll.lng, ll.lat]);

  // ---- the map
  function makeMap() {
    const view = map ? { c: fromMap(map.getCenter()), z: map.getZoom() } : null;
    if (map) map.remove();
    map = L.map('map', { crs: state.grid === 'WGS1984Quad' ? L.CRS.EPSG4326 : L.CRS.EPSG3857, maxZoom: 22 });
    if (view) map.setView(toMap(view.c[0], view.c[1]), view.z); else map.setView([20, 0], 2);
    footprints = L.featureGroup().addTo(map);
    baseLayer = dataLayer = undefined;
    layerUrl = '';
    setBasemap();
    drawFootprints();
    apply();
    map.on('mousemove', debounce((e) => showValue(e.latlng, false), 120));
    map.on('click', (e) => showValue(e.latlng, true));
  }

  function setBasemap() {
    if (baseLayer) map.removeLayer(baseLayer);
    baseLayer = undefined;
    const preset = BASEMAPS[state.basemap];
    const url = preset ? preset.url : state.basemap === 'custom' ? state.basemapUrl : '';
    $('basemap-url-label').hidden = state.basemap !== 'custom';
    if (!url) return;
    baseLayer = L.tileLayer(url, { maxZoom: 22, maxNativeZoom: 18, subdomains: preset?.subdomains ?? 'abc', attribution: preset?.attribution ?? '' }).addTo(map);
    baseLayer.bringToBack();
  }

  // ---- browsing
  async function loadKeys() {
    state.keys = (await getJson(withKey('keys'))).keys.map((k) => k.key);
    const form = $('filters');
    for (const name of state.keys) {
      const label = document.createElement('label');
      label.textContent = name;
      const input = document.createElement('input');
      input.name = name;
      input.placeholder = 'any';
      input.setAttribute('list', `values-${name}`);
      const list = document.createElement('datalist');
      list.id = `values-${name}`;
      input.addEventListener('change', () => { state.filters[name] = input.value.trim(); state.page = 0; void loadDatasets(); });
      label.append(input, list);
      form.append(label);
    }
  }

  async function loadDatasets() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(state.filters)) if (v) q.set(k, v);
    q.set('limit', String(state.limit));
    q.set('page', String(state.page));
    try {
      state.datasets = (await getJson(withKey(`datasets?${q}`))).datasets;
      showError('');
    } catch (e) {
      state.datasets = [];
      showError(e.message);
    }
    const ul = $('datasets');
    ul.replaceChildren(...state.datasets.map((d) => {
      const li = document.createElement('li');
      const keys = state.keys.map((k) => d[k]);
      li.textContent = keys.join(' / ');
      li.dataset.keys = JSON.stringify(keys);
      li.onclick = () => void select(keys);
      return li;
    }));
    if (!state.datasets.length) ul.innerHTML = '<li>No datasets match.</li>';
    for (const k of state.keys) {
      const values = [...new Set(state.datasets.map((d) => d[k]))].slice(0, 200);
      $(`values-${k}`).replaceChildren(...values.map((v) => Object.assign(document.createElement('option'), { value: v })));
    }
    $('page-info').textContent = `page ${state.page + 1}`;
    $('prev').disabled = state.page === 0;
    $('next').disabled = state.datasets.length < state.limit;
    markSelected();
    await loadFootprints();
    if (!state.selected && state.page === 0 && state.datasets.length === 1) await select(state.keys.map((k) => state.datasets[0][k]));
  }

  let hulls = [], memberHulls = [];
  async function fetchHulls(keys) {
    return getJson(withKey('metadata?columns=[keys,convex_hull]'), { method: 'POST', body: JSON.stringify({ keys }), headers: { 'content-type': 'application/json' } });
  }
  async function loadFootprints() {
    hulls = [];
    if (state.datasets.length) {
      try {
        hulls = await fetchHulls(state.datasets.map((d) => state.keys.map((k) => d[k])));
      } catch (e) { showError(`footprints: ${e.message}`); }
    }
    drawFootprints();
  }

  function drawFootprints() {
    footprints.clearLayers();
    const members = mosaicOn() ? memberSegments() : null, seen = new Set();
    for (const h of [...memberHulls, ...hulls]) {
      const keys = state.keys.map((k) => h.keys[k]);
      if (seen.has(JSON.stringify(keys))) continue;
      seen.add(JSON.stringify(keys));
      const on = members ? members.every((seg, i) => M.matches(seg, keys[i])) : JSON.stringify(keys) === JSON.stringify(state.selected);
      // over a mosaic a click reads the series, so another dataset's footprint there is an outline only
      L.geoJSON(h.convex_hull, { coordsToLatLng: (c) => toMap(c[0], c[1]), style: { color: on ? '#e4572e' : '#243447', weight: on ? 2 : 1, fill: !on && !members, fillOpacity: 0.05 } })
        .bindTooltip(keys.join(' / '), { sticky: true })
        .on('click', (e) => { if (!on) { L.DomEvent.stop(e); void select(keys); } })
        .addTo(footprints);
    }
    if (!state.selected && footprints.getLayers().length) map.fitBounds(footprints.getBounds(), { maxZoom: 12 });
  }

  const markSelected = () => {
    for (const li of $('datasets').children) li.classList.toggle('on', li.dataset.keys === JSON.stringify(state.selected));
  };

  async function select(keys) {
    state.selected = keys;
    state.segments = [...keys];
    state.mosaic = { sig: '', bounds: null, members: [] };
    memberHulls = [];
    $('value').textContent = '';
    markSelected();
    try {
      const prefix = new URLSearchParams(state.keys.slice(0, -1).map((k, i) => [k, keys[i]]));
      prefix.set('limit', '100');
      const [meta, siblings] = await Promise.all([getJson(withKey(`metadata/${keys.map(encodeURIComponent).join('/')}`)), getJson(withKey(`datasets?${prefix}`))]);
      state.meta = meta;
      state.siblings = siblings.datasets.map((d) => d[state.keys.at(-1)]);
    } catch (e) {
      showError(e.message);
      return;
    }
    resetStretch();
    const last = keys.at(-1), sib = state.siblings;
    fillSelect('rgb-r', sib, sib[0] ?? last);
    fillSelect('rgb-g', sib, sib[1] ?? last);
    fillSelect('rgb-b', sib, sib[2] ?? last);
    fillSelect('v1', sib, last);
    for (const v of ['v2', 'v3']) fillSelect(v, ['', ...sib], '');
    $('selected-name').textContent = keys.join(' / ');
    buildKeyPickers();
    $('style').hidden = false;
    const b = state.meta.bounds;
    map.fitBounds(L.latLngBounds(toMap(b[0], b[1]), toMap(b[2], b[3])));
    drawFootprints();
    apply();
  }

  function fillSelect(id, values, value) {
    const sel = $(id);
    sel.replaceChildren(...values.map((v) => Object.assign(document.createElement('option'), { value: v, textContent: v || '—' })));
    sel.value = value;
  }

  // ---- style
  function resetStretch() {
    const m = state.meta, p = m.percentiles;
    const data = p && p.length >= 98 ? [p[1], p[97]] : m.range;
    state.stretch = mosaicOn() ? M.stretchFor(state.pixelSelection, data, state.mosaic.members.length) : data;
    $('smin').value = fmt(state.stretch[0]);
    $('smax').value = fmt(state.stretch[1]);
    drawCurve();
  }

  // ---- mosaics: a picker per key segment of the path
  const CUSTOM = '\u2026';
  /** The key segments in the route's path: all of them, or in RGB and band math all but the last. */
  const pathSegments = () => (state.mode === 'singleband' ? state.segments : state.segments.slice(0, -1));
  const mosaicOn = () => state.selected !== null && pathSegments().some(M.isPattern);
  /** Every key as a /datasets filter of the layer's members (the last one: the bands RGB or band math use). */
  function memberSegments() {
    if (state.mode === 'singleband') return state.segments;
    const bands = state.mode === 'rgb' ? ['r', 'g', 'b'].map((c) => $(`rgb-${c}`).value) : [1, 2, 3].map((i) => $(`v${i}`).value).filter(Boolean);
    return [...state.segments.slice(0, -1), `[${[...new Set(bands)].join(',')}]`];
  }

  function buildKeyPickers() {
    state.pixelSelection = 'first';
    state.sort = '';
    $('pixel-selection').value = 'first';
    fillSelect('sort', ['', ...state.keys.flatMap((k) => [k, `-${k}`])], '');
    for (const o of $('sort').options) o.textContent = o.value === '' ? 'keys ascending' : o.value.startsWith('-') ? `${o.value.slice(1)} descending` : `${o.value} ascending`;
    $('key-pickers').replaceChildren(...state.keys.map((name, i) => {
      const value = state.selected[i];
      const label = document.createElement('label');
      label.textContent = name;
      const sel = document.createElement('select');
      sel.id = `key-${i}`;
      sel.append(...[[value, value], ['*', '* (all)'], [CUSTOM, 'prefix or list…']].map(([v, t]) => Object.assign(document.createElement('option'), { value: v, textContent: t })));
      const input = Object.assign(document.createElement('input'), { id: `key-${i}-pattern`, placeholder: `${value.slice(0, 4)}* or [a,b]`, hidden: true, spellcheck: false });
      sel.onchange = () => {
        input.hidden = sel.value !== CUSTOM;
        if (sel.value !== CUSTOM) setSegment(i, sel.value);
        else if (input.value.trim()) setSegment(i, input.value.trim());
        else input.focus();
      };
      input.oninput = debounce(() => setSegment(i, input.value.trim() || value), 300);
      label.append(sel, input);
      return label;
    }));
    syncPickers();
  }

  /** In RGB and band math the last key comes from the band pickers, so its own picker rests. */
  function syncPickers() {
    const last = state.keys.length - 1, sel = $(`key-${last}`);
    if (!sel) return;
    const rests = state.mode !== 'singleband';
    sel.disabled = rests;
    if (rests && state.segments[last] !== state.selected[last]) {
      sel.value = state.selected[last];
      $(`key-${last}-pattern`).hidden = true;
      state.segments[last] = state.selected[last];
    }
    $('mosaic-controls').hidden = !mosaicOn();
  }

  function setSegment(i, value) {
    if (state.segments[i] === value) return;
    state.segments[i] = value;
    $('mosaic-controls').hidden = !mosaicOn();
    void apply();
  }

  /**
   * A mosaic's union bounds (from its TileJSON) and members (from /datasets), fetched when its keys
   * change; the map fits the bounds. False when it failed (the message is shown) or changed meanwhile.
   */
  async function loadMosaic() {
    const members = memberSegments(), sig = JSON.stringify(members);
    if (state.mosaic.sig === sig) return true;
    const q = new URLSearchParams(state.keys.map((k, i) => [k, members[i]]));
    q.set('limit', '100');
    let tj, listed;
    try {
      [tj, listed] = await Promise.all([getJson(routeUrl('tilejson.json')), getJson(withKey(`datasets?${q}`))]);
    } catch (e) {
      showError(e.message);
      return false;
    }
    if (JSON.stringify(memberSegments()) !== sig) return false;
    const keys = listed.datasets.map((d) => state.keys.map((k) => d[k])), n = keys.length;
    state.mosaic = { sig, bounds: tj.bounds, members: keys };
    $('members').textContent = `${n}${n === 100 ? '+' : ''} dataset${n === 1 ? '' : 's'}: ${keys.slice(0, 5).map((k) => k.join(' / ')).join(', ')}${n > 5 ? ', …' : ''}`;
    if (ownScale()) resetStretch();
    const b = tj.bounds;
    map.fitBounds(L.latLngBounds(toMap(b[0], b[1]), toMap(b[2], b[3])));
    fetchHulls(keys).then((h) => { if (state.mosaic.sig === sig) { memberHulls = h; drawFootprints(); } }, (e) => showError(`footprints: ${e.message}`));
    return true;
  }

  /** Whether the pixel selection has values of its own scale (a count, a spread), whose stretch follows the mosaic. */
  const ownScale = () => state.pixelSelection === 'count' || state.pixelSelection === 'stdev';

  /** Back to one dataset: its own bounds, footprint and stretch. */
  function leaveMosaic() {
    if (!state.mosaic.sig) return;
    state.mosaic = { sig: '', bounds: null, members: [] };
    memberHulls = [];
    if (ownScale()) resetStretch();
    const b = state.meta.bounds;
    map.fitBounds(L.latLngBounds(toMap(b[0], b[1]), toMap(b[2], b[3])));
    drawFootprints();
  }

  /** The route path (family, the keys it takes in the path) plus what follows, with the query. */
  function routeUrl(suffix) {
    const mode = state.mode, keys = pathSegments();
    const q = new URLSearchParams();
    if (mode === 'rgb') {
      for (const c of ['r', 'g', 'b']) q.set(c, $(`rgb-${c}`).value);
      const range = $('rgb-range').value.trim();
      if (range) for (const c of ['r', 'g', 'b']) q.set(`${c}_range`, range);
    } else {
      if (mode === 'compute') {
        q.set('expression', $('expression').value);
        for (let i = 1; i <= 3; i++) if ($(`v${i}`).value) q.set(`v${i}`, $(`v${i}`).value);
      }
      q.set('stretch_range', JSON.stringify(state.stretch));
      q.set('colormap', state.colormap);
    }
    if (mosaicOn()) {
      if (state.pixelSelection !== 'first') q.set('pixel_selection', state.pixelSelection);
      if (state.sort) q.set('sort', state.sort);
    }
    if (state.grid !== 'WebMercatorQuad') q.set('tms', state.grid);
    return withKey(`${[mode, ...keys.map(encodeURIComponent), suffix].join('/')}?${q}`);
  }

  /** Show the current style: one tile is fetched first, so a 400 (a bad expression…) shows its message at once. */
  async function apply() {
    if (!state.meta || !map) return;
    // first: a mosaic's members can change its stretch (count), and so the URL
    if (!mosaicOn()) leaveMosaic();
    else if (!(await loadMosaic())) return;
    const template = routeUrl(`{z}/{x}/{y}.${state.format}`);
    $('tile-url').value = absolute(template);
    $('tilejson-url').value = absolute(routeUrl('tilejson.json'));
    void drawLegend();
    if (template === layerUrl) return;
    const z = map.getZoom(), t = map.project(map.getCenter(), z).divideBy(256).floor();
    const probe = template.replace('{z}', z).replace('{x}', Math.max(0, t.x)).replace('{y}', Math.max(0, t.y));
    const r = await fetch(probe);
    const message = r.ok ? '' : (await r.json().catch(() => ({}))).message || `${r.status} ${r.statusText}`;
    if (routeUrl(`{z}/{x}/{y}.${state.format}`) !== template) return; // changed meanwhile
    showError(message);
    // a 422 here is a mosaic's per-tile cap at this zoom: the layer goes on, tiles further in stay under it
    if (!r.ok && r.status !== 422) return;
    // the old layer stays until the new one has loaded, so a restyle does not flash the basemap
    const old = dataLayer, b = mosaicOn() ? state.mosaic.bounds : state.meta.bounds, pad = 0.01;
    dataLayer = L.tileLayer(template, {
      className: 'tg-data', maxZoom: 22,
      bounds: L.latLngBounds(toMap(b[0] - pad, b[1] - pad), toMap(b[2] + pad, b[3] + pad)),
    }).addTo(map);
    if (old) dataLayer.once('load', () => map.removeLayer(old));
    dataLayer.on('tileerror', (e) => fetch(e.tile.src).then((x) => x.json()).then((j) => showError(j.message)).catch(() => undefined));
    layerUrl = template;
  }
  const applySoon = debounce(apply, 250);

  const swatches = new Map();
  async function colormapColours(name) {
    if (!swatches.has(name)) swatches.set(name, getJson(`colormap?colormap=${encodeURIComponent(name)}&stretch_range=[0,1]&num_values=32`).then((j) => j.colormap.map((c) => c.rgba)));
    return swatches.get(name);
  }

  function paint(cv, colours) {
    const g = cv.getContext('2d');
    g.clearRect(0, 0, cv.width, cv.height);
    colours.forEach((c, i) => {
      g.fillStyle = `rgba(${c[0]},${c[1]},${c[2]},${c[3] / 255})`;
      g.fillRect((i * cv.width) / colours.length, 0, cv.width / colours.length + 1, cv.height);
    });
  }

  /** A swatch per colormap (reversed "_r" ones left out), fetched when the list is first opened. */
  let galleryBuilt = false;
  async function buildGallery(names) {
    if (galleryBuilt) return;
    galleryBuilt = true;
    const buttons = names.filter((n) => !n.endsWith('_r')).map((name) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.name = name;
      const cv = Object.assign(document.createElement('canvas'), { width: 64, height: 10 });
      b.append(cv, name);
      b.onclick = () => { $('colormap').value = name; $('colormap').onchange(); };
      return { b, cv, name };
    });
    $('gallery-list').replaceChildren(...buttons.map((x) => x.b));
    markGallery();
    let next = 0;
    const worker = async () => { while (next < buttons.length) { const x = buttons[next++]; paint(x.cv, await colormapColours(x.name).catch(() => [])); } };
    await Promise.all([1, 2, 3, 4, 5, 6].map(worker));
  }
  const markGallery = () => { for (const b of $('gallery-list').children) b.classList.toggle('on', b.dataset.name === state.colormap); };

  async function drawLegend() {
    $('legend-min').textContent = fmt(state.stretch[0]);
    $('legend-max').textContent = fmt(state.stretch[1]);
    const name = state.colormap;
    const colours = await colormapColours(name).catch(() => []);
    if (name === state.colormap) paint($('swatch'), colours);
  }

  /** The dataset's percentile curve (p1…p99), with the stretch bounds as lines; a click moves the nearer bound. */
  function drawCurve() {
    const cv = $('curve'), g = cv.getContext('2d'), p = state.meta?.percentiles ?? [];
    g.clearRect(0, 0, cv.width, cv.height);
    if (!p.length) return;
    const [lo, hi] = curveScale(), y = (v) => cv.height - 4 - ((v - lo) / (hi - lo || 1)) * (cv.height - 8);
    g.strokeStyle = '#243447';
    g.beginPath();
    p.forEach((v, i) => g[i ? 'lineTo' : 'moveTo']((i / (p.length - 1)) * cv.width, y(v)));
    g.stroke();
    g.strokeStyle = '#e4572e';
    for (const v of state.stretch) { g.beginPath(); g.moveTo(0, y(v)); g.lineTo(cv.width, y(v)); g.stroke(); }
  }
  function curveScale() {
    const p = state.meta.percentiles, s = state.stretch;
    return [Math.min(p[0], s[0]), Math.max(p[p.length - 1], s[1])];
  }

  function setStretch(min, max) {
    if (!Number.isFinite(min) || !Number.isFinite(max)) return;
    state.stretch = [min, max];
    drawCurve();
    applySoon();
  }

  // ---- values
  let pointAbort;
  async function showValue(latlng, popup) {
    if (!state.selected) return;
    pointAbort?.abort();
    pointAbort = new AbortController();
    const [lng, lat] = fromMap(latlng);
    if (lng < -180 || lng > 180 || lat < -90 || lat > 90) return;
    const segs = [...state.segments], series = segs.some(M.isPattern);
    const sort = series && state.sort ? `&sort=${encodeURIComponent(state.sort)}` : '';
    try {
      const r = await getJson(withKey(`point/${segs.map(encodeURIComponent).join('/')}?lng=${lng.toFixed(6)}&lat=${lat.toFixed(6)}${sort}`), { signal: pointAbort.signal });
      if (series) {
        // a series: one entry per dataset over the point, in the layer's order
        $('value').textContent = M.seriesText(r, state.keys, segs, fmt);
        if (popup) L.popup({ maxWidth: 320 }).setLatLng(latlng).setContent(M.seriesElement(r, state.keys, segs, fmt)).openOn(map);
        return;
      }
      const text = `${lng.toFixed(5)}, ${lat.toFixed(5)}: ${r.values.map(fmt).join(', ')}`;
      $('value').textContent = text;
      if (popup) L.popup().setLatLng(latlng).setContent(text.replace(': ', '<br>')).openOn(map);
    } catch (e) {
      if (e.name !== 'AbortError') $('value').textContent = e.message;
    }
  }

  // ---- wiring
  async function loadColormaps() {
    let names = FALLBACK_COLORMAPS;
    try {
      const doc = await getJson('openapi.json');
      const op = Object.entries(doc.paths).find(([p]) => p.startsWith('/singleband/') && p.endsWith('.png'))[1].get;
      names = op.parameters.find((p) => p.name === 'colormap').schema.enum.filter((n) => n !== 'explicit');
    } catch { /* the fixed list */ }
    if (!names.includes(state.colormap)) state.colormap = names.includes('viridis') ? 'viridis' : names[0];
    fillSelect('colormap', names, state.colormap);
    $('gallery').ontoggle = () => { if ($('gallery').open) void buildGallery(names); };
  }

  function wire() {
    for (const b of document.querySelectorAll('.tabs button')) {
      b.onclick = () => {
        state.mode = b.dataset.mode;
        for (const o of document.querySelectorAll('.tabs button')) o.classList.toggle('on', o === b);
        for (const el of document.querySelectorAll('[data-for]')) el.hidden = !el.dataset.for.split(' ').includes(state.mode);
        if (state.mode === 'compute' && state.meta) state.stretch = [Number($('smin').value), Number($('smax').value)];
        syncPickers();
        void apply();
      };
    }
    for (const el of document.querySelectorAll('[data-for]')) el.hidden = !el.dataset.for.split(' ').includes(state.mode);
    const ops = $('operands');
    for (let i = 1; i <= 3; i++) {
      const label = document.createElement('label');
      label.textContent = `v${i}`;
      const sel = document.createElement('select');
      sel.id = `v${i}`;
      sel.onchange = applySoon;
      label.append(sel);
      ops.append(label);
    }
    for (const id of ['rgb-r', 'rgb-g', 'rgb-b']) $(id).onchange = () => void apply();
    fillSelect('pixel-selection', M.PIXEL_SELECTIONS, 'first');
    $('pixel-selection').onchange = () => { state.pixelSelection = $('pixel-selection').value; resetStretch(); void apply(); };
    $('sort').onchange = () => { state.sort = $('sort').value; void apply(); };
    $('rgb-range').oninput = applySoon;
    $('expression').oninput = applySoon;
    $('colormap').onchange = () => { state.colormap = $('colormap').value; store.set('colormap', state.colormap); markGallery(); void apply(); };
    const typed = () => setStretch(Number($('smin').value), Number($('smax').value));
    $('smin').oninput = typed;
    $('smax').oninput = typed;
    $('reset-range').onclick = () => { resetStretch(); void apply(); };
    $('curve').onclick = (e) => {
      const cv = $('curve'), [lo, hi] = curveScale(), rect = cv.getBoundingClientRect();
      const v = lo + (1 - (e.clientY - rect.top) / rect.height) * (hi - lo);
      const s = [...state.stretch];
      s[Math.abs(v - s[0]) <= Math.abs(v - s[1]) ? 0 : 1] = v;
      $('smin').value = fmt(s[0]);
      $('smax').value = fmt(s[1]);
      setStretch(Math.min(...s), Math.max(...s));
    };
    $('prev').onclick = () => { state.page = Math.max(0, state.page - 1); void loadDatasets(); };
    $('next').onclick = () => { state.page++; void loadDatasets(); };
    for (const b of document.querySelectorAll('[data-copy]')) {
      b.onclick = async () => {
        const input = $(b.dataset.copy);
        try { await navigator.clipboard.writeText(input.value); } catch { input.select(); document.execCommand('copy'); }
        b.textContent = 'Copied';
        setTimeout(() => { b.textContent = 'Copy'; }, 1200);
      };
    }
    $('format').value = state.format;
    $('format').onchange = () => { state.format = $('format').value; store.set('format', state.format); void apply(); };
    $('grid').value = state.grid;
    $('grid').onchange = () => {
      state.grid = $('grid').value;
      store.set('grid', state.grid);
      // keep the basemap in the grid's datum: AMap with GCJ-02, OSM with the others
      const swap = { GCJ02WebMercatorQuad: ['osm', 'amap'], WebMercatorQuad: ['amap', 'osm'] }[state.grid];
      if (swap && state.basemap === swap[0]) { state.basemap = swap[1]; $('basemap').value = swap[1]; store.set('basemap', swap[1]); }
      makeMap();
    };
    $('basemap').value = state.basemap;
    $('basemap').onchange = () => { state.basemap = $('basemap').value; store.set('basemap', state.basemap); setBasemap(); };
    $('basemap-url').value = state.basemapUrl;
    $('basemap-url').onchange = () => { state.basemapUrl = $('basemap-url').value.trim(); store.set('basemapUrl', state.basemapUrl); setBasemap(); };
  }

  async function main() {
    wire();
    makeMap();
    try {
      await Promise.all([loadKeys(), loadColormaps()]);
      await loadDatasets();
    } catch (e) {
      showError(e.message);
    }
  }
  // app.js is added from <head> (see index.html), so it may run before the body is parsed
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => void main());
  else void main();
})();
