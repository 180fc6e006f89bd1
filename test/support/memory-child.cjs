// One tiles function instance, as the 128 MB check runs it: plain Node (no tsx, which would weigh
// ~40 MB by itself), the built bundle require()d, `concurrency` requests in flight over a list of
// API Gateway v2 paths for `seconds` and until the list has been served through twice (cold, then
// warm: on a loaded machine that takes longer, never fewer requests), at most 10 minutes, then one
// JSON line: peak RSS (VmHWM) and what was answered.
'use strict';
const { readFileSync } = require('node:fs');
const [bundle, pathsFile, seconds, concurrency] = process.argv.slice(2);
const paths = JSON.parse(readFileSync(pathsFile, 'utf8'));
const context = { memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE };
const mb = (kb) => Math.round(Number(kb) / 1024);
const status = () => readFileSync('/proc/self/status', 'utf8');
const event = (p) => {
  const [path, query = ''] = p.split('?');
  return { version: '2.0', rawPath: path, rawQueryString: query, headers: { host: 'localhost' }, requestContext: { http: { method: 'GET', path }, stage: '$default' }, isBase64Encoded: false };
};

(async () => {
  const { handler } = require(bundle);
  const end = Date.now() + Number(seconds) * 1000;
  const limit = Date.now() + 600_000;
  const more = () => Date.now() < limit && (Date.now() < end || next < 2 * paths.length);
  const statuses = {};
  let next = 0, requests = 0, firstError;
  const loop = async () => {
    while (more()) {
      const res = await handler(event(paths[next++ % paths.length]), context);
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode !== 200 && !firstError) firstError = `${res.statusCode} ${paths[(next - 1) % paths.length]} ${String(res.body).slice(0, 300)}`;
      requests++;
      // a platform hands over one event at a time per slot: let timers and I/O run between them
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const trace = process.env.TAOGUAN_MEM_TRACE ? setInterval(() => console.error('rss', mb(/VmRSS:\s+(\d+)/.exec(status())[1]), requests), 250) : undefined;
  await Promise.all(Array.from({ length: Number(concurrency) }, loop));
  clearInterval(trace);
  const s = status();
  console.log(JSON.stringify({ peakMb: mb(/VmHWM:\s+(\d+)/.exec(s)[1]), endMb: mb(/VmRSS:\s+(\d+)/.exec(s)[1]), requests, statuses, firstError }));
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
