/**
 * One statement on a pooled MySQL connection, ended by a deadline that covers the wait for the
 * connection too. mysql2's pool has no acquire timeout: with every connection stuck (a table lock,
 * a stalled network) the rest of the callers would wait in its queue for as long as the stall
 * lasts. Its statement timeout rejects the caller but leaves the statement running on the
 * connection, which then stays checked out until the server answers; so a connection whose
 * statement passed the deadline is destroyed, freeing its place in the pool for a new one (the
 * server drops a statement waiting for a table lock when its client goes: seen on MariaDB 10.11,
 * where the thread was gone within 2 s).
 */
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { byDeadline } from '../deadline.ts';

export type Param = string | number | Buffer | null;
export type Rows = RowDataPacket[] | ResultSetHeader;

/** mysql2's code for a statement past its `timeout`. */
export const STATEMENT_TIMEOUT = 'PROTOCOL_SEQUENCE_TIMEOUT';

/** A pooled connection by `deadline`; one that arrives after the caller gave up goes back to the pool. */
export function acquire(pool: Pool, deadline: number): Promise<PoolConnection> {
  return byDeadline(pool.getConnection(), deadline, (late) => late.release());
}

/**
 * `sql` on a connection from `pool`, all of it by `deadline`. query() sends the parameters inline
 * (one round trip), execute() prepares first (cached per connection).
 */
export async function runBy<T extends Rows>(pool: Pool, deadline: number, sql: string, params: Param[], how: 'execute' | 'query'): Promise<T> {
  const conn = await acquire(pool, deadline);
  try {
    // mysql2 takes 0 as "no timeout": a connection that came just at the deadline still gets 1 ms
    const statement = { sql, timeout: Math.max(1, deadline - Date.now()) };
    const [rows] = how === 'query' ? await conn.query<T>(statement, params) : await conn.execute<T>(statement, params);
    conn.release();
    return rows;
  } catch (e) {
    if ((e as { code?: string }).code === STATEMENT_TIMEOUT) conn.destroy();
    else conn.release();
    throw e;
  }
}
