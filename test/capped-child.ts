/**
 * The CLI in a child process that can never exhaust the machine: a watchdog samples its RSS every
 * 50 ms and kills it past `capMb` or `timeoutMs`. The child reports its own peak RSS on exit, so a
 * test can assert "refused in bounded memory" and print the figure.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const BIN = new URL('../bin/taoguan.mjs', import.meta.url).pathname;
const REPORT_PEAK = 'data:text/javascript,process.on("exit",()=>process.stderr.write("MAXRSS_KB="+process.resourceUsage().maxRSS+"\\n"))';

export interface CappedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The child's own maxRSS, or the watchdog's last sample when it was killed. */
  peakMb: number;
  /** Why the watchdog killed it, if it did. */
  killed?: 'memory' | 'time';
}

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0; // already gone
  }
}

export function runCapped(args: string[], { capMb = 1024, timeoutMs = 60_000 } = {}): Promise<CappedRun> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', REPORT_PEAK, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '', sampled = 0;
  let killed: CappedRun['killed'];
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const watchdog = setInterval(() => {
    sampled = Math.max(sampled, rssMb(child.pid!));
    if (sampled > capMb) killed = 'memory';
    else if (performance.now() - t0 > timeoutMs) killed = 'time';
    if (killed) child.kill('SIGKILL');
  }, 50);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(watchdog);
      const kb = /MAXRSS_KB=(\d+)/.exec(stderr)?.[1];
      resolve({ code, stdout, stderr: stderr.replace(/MAXRSS_KB=\d+\n/, ''), ms: performance.now() - t0, peakMb: kb ? Number(kb) / 1024 : sampled, killed });
    });
  });
}
