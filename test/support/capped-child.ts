/**
 * A child process under a memory watchdog: its RSS is read from /proc every 20 ms and past `capMb`
 * it is killed, so a probe of what a hostile input costs can never exhaust the machine (a regression
 * shows as `killed`, not as a swapping box). Linux only, as the bench and the memory tests are.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface CappedRun {
  stdout: string;
  stderr: string;
  /** The exit code (null when killed). */
  code: number | null;
  /** True when the watchdog killed it for passing the cap (or the timeout). */
  killed: boolean;
  /** The largest RSS the watchdog saw, in MiB (a child reports its own VmHWM more exactly). */
  maxRssMb: number;
}

const rssMb = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0; // gone already
  }
};

export function runCapped(command: string, args: string[], options: { env: NodeJS.ProcessEnv; capMb: number; timeoutMs?: number }): Promise<CappedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', killed = false, maxRssMb = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const kill = () => {
      killed = true;
      child.kill('SIGKILL');
    };
    const watch = setInterval(() => {
      maxRssMb = Math.max(maxRssMb, rssMb(child.pid!));
      if (maxRssMb > options.capMb) kill();
    }, 20);
    const timer = setTimeout(kill, options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(watch);
      clearTimeout(timer);
      resolve({ stdout, stderr, code, killed, maxRssMb: Math.round(maxRssMb) });
    });
  });
}
