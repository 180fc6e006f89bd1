import { SingleBar } from 'cli-progress';
import type { BatchResult } from '../../../lib/ingest/index.ts';

type Run = (signal: AbortSignal, onProgress: (done: number, total: number, name: string) => void) => Promise<BatchResult>;

/**
 * A batch ingest on the terminal: a progress bar on stderr (when it is a terminal), Ctrl-C finishing
 * what is in flight and starting nothing more, then the counts and each failure; exit code 1 when
 * anything failed or the run was stopped.
 */
export async function runBatch(total: number, unit: string, progress: boolean | undefined, run: Run): Promise<void> {
  const abort = new AbortController();
  const stop = () => {
    // Rows are written whole, one upsert each: stopping between them leaves a consistent catalog.
    console.error('\ninterrupted: finishing the datasets in flight, starting no more');
    abort.abort();
  };
  process.once('SIGINT', stop);
  const bar = new SingleBar({
    format: 'ingest [{bar}] {value}/{total} {percentage}% | eta {eta_formatted} | {file}',
    stream: process.stderr, hideCursor: true,
  });
  const showBar = progress !== false && process.stderr.isTTY;
  if (showBar) bar.start(total, 0, { file: '' });
  let result: BatchResult;
  try {
    result = await run(abort.signal, (done, _total, name) => showBar && bar.update(done, { file: name.split('/').pop() }));
  } finally {
    if (showBar) bar.stop();
    process.off('SIGINT', stop);
  }
  const { inserted, updated, unchanged } = result.counts;
  console.log(`${total} ${unit}: ${inserted} inserted, ${updated} updated, ${unchanged} unchanged, ${result.failures.length} failed`);
  for (const f of result.failures) console.error(`  failed: ${f.message}`);
  if (result.failures.length || abort.signal.aborted) process.exitCode = 1;
}
