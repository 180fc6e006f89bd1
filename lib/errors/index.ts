/**
 * The one error hierarchy. Every error taoguan throws on purpose carries a kind: whose fault it is
 * and whether trying again can help. That kind alone decides the HTTP status (lib/api/errors.ts)
 * and whether an object event is retried (lib/ingest/events.ts). Anything else thrown (a
 * RangeError, a TypeError, a failed allocation) is a bug: kind 'internal', a 500, logged.
 *
 * No imports from the rest of lib: every module may depend on this one.
 */

export type ErrorKind =
  /** The request or the file given is wrong; the message says what and where. */
  | 'input'
  /** What was asked for does not exist (an unknown dataset). */
  | 'not-found'
  /** Well-formed, but more than this server does for one request or object. */
  | 'limit'
  /** The object store (or the object in it) failed: 5xx, resets, short reads, missing or corrupt objects. */
  | 'origin'
  /** The object store did not answer in time: an origin fault of its own status. */
  | 'timeout'
  /** The object was replaced since it was ingested. */
  | 'changed'
  /** The catalog cannot be reached or used right now. */
  | 'unavailable'
  /** A bug. */
  | 'internal';

export class TaoguanError extends Error {
  constructor(readonly kind: ErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TaoguanError';
  }
}

/** Bad input, in the common shape (message only): the class most specific errors extend. */
export class InputError extends TaoguanError {
  constructor(message: string, options?: ErrorOptions) {
    super('input', message, options);
    this.name = 'InputError';
  }
}

/** The kind of anything thrown: a built-in or foreign error is a bug until shown otherwise. */
export function errorKind(err: unknown): ErrorKind {
  return err instanceof TaoguanError ? err.kind : 'internal';
}

/**
 * Kinds no retry can cure: the same input fails the same way, so an object event carrying it is
 * reported and dropped rather than retried. Origin, timeout, changed and unavailable faults may pass;
 * an internal one is not known to be permanent, so it is retried too.
 */
const PERMANENT: ReadonlySet<ErrorKind> = new Set(['input', 'not-found', 'limit']);

export const isPermanent = (err: unknown): boolean => PERMANENT.has(errorKind(err));
