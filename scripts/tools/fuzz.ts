/**
 * `npm run fuzz [-- --runs 100000] [--seed 1] [--workers 2]`: the header parser and window reader
 * under test/tiff-fuzz.ts's mutations (bytes, IFD entries' tag/type/count/value, block offset and
 * byte count arrays, compressed blocks, truncation), far more cases than `npm test` runs.
 *
 * Worker threads run the cases (fast-check, each from its own seed); this thread is the watchdog. A
 * case running for 30 s is a hang, a worker that dies (out of its 1 GiB heap, or any uncaught error) a
 * crash; either is reported with the case it was running, as JSON for mutate()/runCase(). An error
 * that is not the library's own (a TaoguanError: TiffError, CorruptBlockError, ReadLimitError, SourceError…) is a finding, reported by
 * fast-check with its shrunk counterexample. Exit status 1 on any of the three.
 */
import fc from 'fast-check';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fuzzCase, loadSeed, mutate, runCase, seedPaths, type FuzzCase } from '../../test/tiff-fuzz.ts';

interface Job { runs: number; seed: number; current: SharedArrayBuffer; startedAt: SharedArrayBuffer }
type Tally = Record<string, number>;
type Message =
  | { type: 'progress'; done: number; tally: Tally }
  | { type: 'done'; tally: Tally; slowestMs: number; slowest: string; overOneSecond: number; finding?: string };

const CURRENT_BYTES = 8192;
const PROGRESS_EVERY = 250;
/** One case normally takes milliseconds. */
const HANG_MS = 30_000;

if (isMainThread) await main();
else await work(workerData as Job);

async function main(): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const runs = arg('runs', 100_000), seed = arg('seed', 1), workers = arg('workers', 2);
  console.log(`fuzz — header parser and window reader: ${runs} mutated files, seed ${seed}, ${workers} worker(s)`);
  const t0 = performance.now();
  const done = new Array<number>(workers).fill(0);
  let reported = 0;
  const progress = (w: number, n: number) => {
    done[w] = n;
    const total = done.reduce((a, b) => a + b, 0);
    if (total - reported < runs / 10) return;
    reported = total;
    console.log(`  … ${total} cases, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  };
  const results = await Promise.all(Array.from({ length: workers }, (_, w) => {
    const share = Math.floor(runs / workers) + (w < runs % workers ? 1 : 0);
    const job = { runs: share, seed: seed + w, current: new SharedArrayBuffer(CURRENT_BYTES), startedAt: new SharedArrayBuffer(8) };
    return runWorker(job, (n) => progress(w, n));
  }));
  const tally: Tally = {};
  let cases = 0, slowestMs = 0, slowest = '', overOneSecond = 0;
  for (const r of results) {
    overOneSecond += r.overOneSecond;
    for (const [k, n] of Object.entries(r.tally)) {
      tally[k] = (tally[k] ?? 0) + n;
      cases += n;
    }
    if (r.slowestMs > slowestMs) ({ slowestMs, slowest } = r);
  }
  const findings = results.filter((r) => r.finding).length;
  const crashes = results.filter((r) => r.crash).length;
  const hangs = results.filter((r) => r.hang).length;
  for (const [k, n] of Object.entries(tally).sort()) console.log(`  ${k.padEnd(28)} ${n}`);
  console.log(`  ${cases} cases in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${overOneSecond} took over 1 s; slowest ${slowestMs.toFixed(0)} ms: ${slowest}`);
  console.log(`  crashes ${crashes}, hangs ${hangs}, errors other than the library's own ${findings}`);
  for (const r of results) for (const line of [r.finding, r.crash, r.hang]) if (line) console.log(`\n${line}`);
  if (findings || crashes || hangs) process.exitCode = 1;
}

interface WorkerResult { tally: Tally; slowestMs: number; slowest: string; overOneSecond: number; finding?: string; crash?: string; hang?: string }

function runWorker(job: Job, onProgress: (done: number) => void): Promise<WorkerResult> {
  // Workers do not inherit tsx's hooks: register them in the worker, then load this file there.
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: job, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
  const current = () => new TextDecoder().decode(new Uint8Array(job.current)).replace(/\0+$/, '');
  const startedAt = new Float64Array(job.startedAt);
  let result: WorkerResult = { tally: {}, slowestMs: 0, slowest: '', overOneSecond: 0 };
  return new Promise((resolve) => {
    const watchdog = setInterval(() => {
      const started = startedAt[0];
      if (started === 0 || Date.now() - started < HANG_MS) return;
      result.hang = `HANG (seed ${job.seed}): one case ran for more than ${HANG_MS / 1000} s: ${current()}`;
      void worker.terminate();
    }, 1000);
    worker.on('message', (m: Message) => {
      if (m.type === 'done') result = { ...result, ...m };
      else {
        result.tally = m.tally;
        onProgress(m.done);
      }
    });
    worker.on('error', (e) => {
      result.crash = `CRASH (seed ${job.seed}): ${(e as Error).stack ?? e} on case ${current()}`;
    });
    worker.on('exit', () => {
      clearInterval(watchdog);
      resolve(result);
    });
  });
}

async function work(job: Job): Promise<void> {
  const seeds = await Promise.all(seedPaths().map(loadSeed));
  const current = new Uint8Array(job.current);
  const startedAt = new Float64Array(job.startedAt);
  // The codecs' first use loads WASM and geotiff: done here, so no case is charged for it.
  for (const s of seeds) await runCase(s.bytes);
  const tally: Tally = {};
  let done = 0, slowestMs = 0, slowest = '', overOneSecond = 0;
  const check = await fc.check(fc.asyncProperty(fuzzCase, async (c: FuzzCase) => {
    const json = JSON.stringify(c);
    current.fill(0);
    new TextEncoder().encodeInto(json, current);
    startedAt[0] = Date.now();
    const t = performance.now();
    const outcome = await runCase(mutate(seeds, c));
    const ms = performance.now() - t;
    startedAt[0] = 0;
    if (ms > slowestMs) [slowestMs, slowest] = [ms, json];
    if (ms > 1000) overOneSecond++;
    tally[outcome] = (tally[outcome] ?? 0) + 1;
    if (++done % PROGRESS_EVERY === 0) parentPort!.postMessage({ type: 'progress', done, tally } satisfies Message);
  }), { numRuns: job.runs, seed: job.seed });
  const finding = check.failed ? `FINDING (seed ${job.seed}):\n${fc.defaultReportMessage(check)}` : undefined;
  parentPort!.postMessage({ type: 'done', tally, slowestMs, slowest, overOneSecond, finding } satisfies Message);
}
