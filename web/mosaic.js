/* global window, document */
/**
 * The preview page's mosaic helpers, wired by app.js. A key segment written as `*`, a prefix
 * (`2024-06-*`) or a list (`[a,b]`) makes the layer a mosaic of every dataset it matches, read the
 * way the tile routes read it (lib/api/mosaic.ts), so the footprints the page highlights are the
 * datasets the server combines. Pure functions and DOM builders; the page's state stays in app.js.
 */
(function () {
  'use strict';
  const PIXEL_SELECTIONS = ['first', 'highest', 'lowest', 'mean', 'median', 'stdev', 'count'];
  const SVG = 'http://www.w3.org/2000/svg';

  const isList = (s) => s.length >= 2 && s.startsWith('[') && s.endsWith(']');
  const isPattern = (s) => s.endsWith('*') || isList(s);
  const listOf = (s) => s.slice(1, -1).split(',').map((v) => v.trim().replace(/^"(.*)"$/, '$1')).filter((v) => v !== '');

  /** Whether a dataset's key value falls under a path segment (an exact value, a prefix or a list). */
  function matches(segment, value) {
    if (segment.endsWith('*')) return value.startsWith(segment.slice(0, -1));
    if (isList(segment)) return listOf(segment).includes(value);
    return segment === value;
  }

  /**
   * The stretch a combination needs: `count` is a number of datasets (0…members) and `stdev` a
   * spread, neither in the data's units, so the dataset's percentiles would paint them one colour.
   */
  function stretchFor(selection, percentiles, members) {
    if (selection === 'count') return [0, Math.max(1, members)];
    if (selection === 'stdev') return [0, Math.max((percentiles[1] - percentiles[0]) / 2, 1e-9)];
    return percentiles;
  }

  /** What tells the entries of a series apart: the values of the keys written as patterns. */
  const labeller = (names, segments) => {
    const varying = names.filter((_, i) => isPattern(segments[i]));
    return (d) => varying.map((k) => d.keys[k]).join(' / ');
  };

  /** One line for the value bar: every entry's label and values, the first few only. */
  function seriesText(r, names, segments, fmt) {
    const label = labeller(names, segments), shown = r.datasets.slice(0, 6);
    const entries = shown.map((d) => `${label(d)} ${d.values.map(fmt).join(',')}`);
    if (r.datasets.length > shown.length) entries.push(`… ${r.datasets.length} in all`);
    return `${r.lng.toFixed(5)}, ${r.lat.toFixed(5)}: ${entries.length ? entries.join(' · ') : 'no dataset here'}`;
  }

  /** The popup of a series: a line of the first band's values (gaps where there is no data) and a table. */
  function seriesElement(r, names, segments, fmt) {
    const label = labeller(names, segments);
    const wrap = document.createElement('div');
    wrap.className = 'series';
    const head = document.createElement('div');
    head.textContent = `${r.lng.toFixed(5)}, ${r.lat.toFixed(5)} · ${r.datasets.length} dataset${r.datasets.length === 1 ? '' : 's'}`;
    wrap.append(head);
    const values = r.datasets.map((d) => d.values[0]);
    if (values.filter((v) => v !== null).length >= 2) wrap.append(sparkline(values));
    const table = document.createElement('table');
    for (const d of r.datasets) {
      const row = table.insertRow();
      row.insertCell().textContent = label(d);
      row.insertCell().textContent = d.values.map(fmt).join(', ');
    }
    wrap.append(table);
    return wrap;
  }

  function sparkline(values) {
    const W = 200, H = 48, pad = 4, present = values.filter((v) => v !== null);
    const lo = Math.min(...present), hi = Math.max(...present);
    const x = (i) => pad + (values.length === 1 ? 0 : (i / (values.length - 1)) * (W - 2 * pad));
    const y = (v) => H - pad - ((v - lo) / (hi - lo || 1)) * (H - 2 * pad);
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('width', String(W));
    svg.setAttribute('height', String(H));
    let d = '', pen = false;
    values.forEach((v, i) => {
      if (v === null) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
      const dot = document.createElementNS(SVG, 'circle');
      dot.setAttribute('cx', x(i).toFixed(1));
      dot.setAttribute('cy', y(v).toFixed(1));
      dot.setAttribute('r', '2.5');
      svg.append(dot);
    });
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.prepend(path);
    return svg;
  }

  window.TaoguanMosaic = { PIXEL_SELECTIONS, isPattern, matches, stretchFor, seriesText, seriesElement };
})();
