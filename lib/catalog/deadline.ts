/**
 * One deadline per catalog call: the wait for a pooled connection, connecting, the statement and any
 * retry all end by it, so a stuck store costs a caller at most the catalog's timeout, never the sum
 * of its parts. Giving up does not cancel the work (mysql2 and the TableStore SDK cannot be told
 * to stop), so what the work yields after the deadline is handed to `late` (a connection goes back
 * to its pool) and a late failure is swallowed.
 */
import { TaoguanError } from '../errors/index.ts';

/** The `code` of a DeadlineError, beside the codes of the errors it stands with (mysql2's, say). */
export const DEADLINE = 'TAOGUAN_DEADLINE';

/** The deadline passed before the work settled: the catalog is as good as unavailable. */
export class DeadlineError extends TaoguanError {
  readonly code = DEADLINE;

  constructor(message = 'deadline passed') {
    super('unavailable', message);
    this.name = 'DeadlineError';
  }
}

/** `work`'s outcome if it settles by `deadline` (epoch ms), else a DeadlineError. */
export function byDeadline<T>(work: Promise<T>, deadline: number, late?: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new DeadlineError());
    }, Math.max(0, deadline - Date.now()));
  });
  work.then((value) => {
    if (expired) late?.(value);
  }, () => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export const isDeadline = (e: unknown): e is DeadlineError => e instanceof DeadlineError;
