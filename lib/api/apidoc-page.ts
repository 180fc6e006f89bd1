/**
 * /apidoc: one self-contained HTML page that renders ./openapi.json — every route with its
 * parameters, and a form per route that builds the request URL and shows the answer (an image, or
 * JSON / XML text). Relative URLs throughout, so it works under any base path; no CDN, no external
 * script or font, so it loads where foreign CDNs are slow or blocked. Text goes in with textContent.
 */
export const APIDOC_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>taoguan API</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
header{background:#243447;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.8}
main{max-width:1100px;margin:0 auto;padding:16px 24px}h2{margin:24px 0 8px;font-size:16px;text-transform:uppercase;letter-spacing:.04em;color:#55606e}
details{background:#fff;border:1px solid #dde2e8;border-radius:6px;margin:8px 0}summary{cursor:pointer;padding:8px 12px;display:flex;gap:10px;align-items:baseline}
.m{font:600 12px ui-monospace,monospace;padding:2px 6px;border-radius:4px;color:#fff;background:#2f7d4f;min-width:38px;text-align:center}.m.post{background:#b26b00}
code,.p{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}.p{font-size:13px}.s{color:#55606e}
.body{padding:4px 14px 14px}table{border-collapse:collapse;width:100%;margin:8px 0}td,th{border-top:1px solid #eef0f3;padding:5px 6px;text-align:left;vertical-align:top}
th{font-weight:600;color:#55606e}input,textarea{width:100%;box-sizing:border-box;font:13px ui-monospace,monospace;padding:3px 5px;border:1px solid #c9d0d8;border-radius:4px}
button{background:#243447;color:#fff;border:0;border-radius:4px;padding:6px 14px;cursor:pointer}.url{word-break:break-all;margin:8px 0}
pre{background:#f1f3f6;padding:10px;overflow:auto;max-height:420px}.req{color:#b3261e}img.out{max-width:100%;background:repeating-conic-gradient(#ddd 0 25%,#fff 0 50%) 0 0/16px 16px}
</style></head><body>
<header><h1 id="title">taoguan API</h1><p id="desc"></p></header>
<main id="main"><p>Loading <a href="openapi.json">openapi.json</a>…</p></main>
<script>
(function () {
  var main = document.getElementById('main');
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function typeOf(s) {
    if (!s) return '';
    if (s.enum) return s.enum.length > 8 ? s.enum.slice(0, 8).join(' | ') + ' … (' + s.enum.length + ')' : s.enum.join(' | ');
    return (s.type || '') + (s.minimum !== undefined ? ' ≥ ' + s.minimum : '') + (s.maximum !== undefined ? ' ≤ ' + s.maximum : '');
  }
  function route(path, method, op) {
    var d = el('details'), sum = el('summary');
    sum.appendChild(el('span', { class: 'm ' + method }, method.toUpperCase()));
    sum.appendChild(el('span', { class: 'p' }, path));
    sum.appendChild(el('span', { class: 's' }, op.summary || ''));
    d.appendChild(sum);
    var body = el('div', { class: 'body' });
    if (op.description) body.appendChild(el('p', null, op.description));
    var params = op.parameters || [], inputs = {};
    if (params.length) {
      var t = el('table'), h = el('tr');
      ['name', 'in', 'type', 'description', 'value'].forEach(function (c) { h.appendChild(el('th', null, c)); });
      t.appendChild(h);
      params.forEach(function (p) {
        var r = el('tr'), n = el('td', { class: 'p' }, p.name);
        if (p.required) n.appendChild(el('span', { class: 'req' }, ' *'));
        r.appendChild(n); r.appendChild(el('td', null, p.in)); r.appendChild(el('td', { class: 'p' }, typeOf(p.schema)));
        r.appendChild(el('td', null, (p.description || (p.schema && p.schema.description) || '') + (p.schema && p.schema.default !== undefined ? ' Default: ' + JSON.stringify(p.schema.default) + '.' : '')));
        var cell = el('td'), input = el('input', { placeholder: p.example !== undefined ? String(p.example) : (p.schema && p.schema.example !== undefined ? String(p.schema.example) : '') });
        inputs[p.in + ':' + p.name] = input; cell.appendChild(input); r.appendChild(cell); t.appendChild(r);
      });
      body.appendChild(t);
    }
    var bodyInput;
    if (op.requestBody) { bodyInput = el('textarea', { rows: '4', placeholder: '{"keys": [["…"]]}' }); body.appendChild(bodyInput); }
    var go = el('button', null, 'Send'), url = el('div', { class: 'url p' }), out = el('div');
    go.onclick = function () {
      var u = path.replace(/\\{([^}]+)\\}/g, function (_, name) {
        var i = inputs['path:' + name], v = i ? (i.value || i.placeholder) : '';
        return name === 'keys' ? v.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(v);
      }).replace(/^\\//, '');
      var q = [];
      params.forEach(function (p) { var i = inputs[p.in + ':' + p.name]; if (p.in === 'query' && i.value) q.push(encodeURIComponent(p.name) + '=' + encodeURIComponent(i.value)); });
      if (q.length) u += '?' + q.join('&');
      url.textContent = ''; var a = el('a', { href: u }, u); url.appendChild(a); out.textContent = '';
      var init = { method: method.toUpperCase() };
      if (bodyInput) { init.body = bodyInput.value; init.headers = { 'content-type': 'application/json' }; }
      fetch(u, init).then(function (res) {
        var type = res.headers.get('content-type') || '';
        out.appendChild(el('div', { class: 's' }, res.status + ' ' + type));
        if (type.indexOf('image/') === 0) return res.blob().then(function (b) { out.appendChild(el('img', { class: 'out', src: URL.createObjectURL(b) })); });
        return res.text().then(function (text) {
          try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* XML or text */ }
          out.appendChild(el('pre', null, text));
        });
      }).catch(function (e) { out.appendChild(el('pre', null, String(e))); });
    };
    body.appendChild(go); body.appendChild(url); body.appendChild(out); d.appendChild(body);
    return d;
  }
  fetch('openapi.json').then(function (r) { return r.json(); }).then(function (spec) {
    document.getElementById('title').textContent = spec.info.title + ' ' + spec.info.version;
    document.getElementById('desc').textContent = spec.info.description || '';
    main.textContent = '';
    var groups = {};
    Object.keys(spec.paths).forEach(function (path) {
      Object.keys(spec.paths[path]).forEach(function (method) {
        var op = spec.paths[path][method], tag = (op.tags && op.tags[0]) || 'other';
        (groups[tag] = groups[tag] || []).push(route(path, method, op));
      });
    });
    Object.keys(groups).forEach(function (tag) { main.appendChild(el('h2', null, tag)); groups[tag].forEach(function (d) { main.appendChild(d); }); });
  }).catch(function (e) { main.textContent = 'Could not load openapi.json: ' + e; });
})();
</script></body></html>
`;
