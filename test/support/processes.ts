/** The processes of a running `taoguan serve`, from /proc: for the memory probes of the tests and the bench. */
import { readFile } from 'node:fs/promises';

async function children(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** `taoguan serve`'s processes: the launcher (bin), the primary it starts, the primary's workers. */
export async function serveProcesses(launcher: number): Promise<{ launcher: number; primary: number[]; workers: number[] }> {
  const primary = await children(launcher);
  const workers = (await Promise.all(primary.map(children))).flat();
  return { launcher, primary, workers };
}
