// stream(): a server-side cursor (pg-cursor) on its own leased connection, yielding batches of at most 100 rows.
// The connection goes back on every path: the loop ends, the consumer breaks early, or anything throws. Each read
// is timed by the executor; the stream is observed once, when it ends, with the reads' time and rows summed.
import Cursor from 'pg-cursor';
import { calendarTypes } from './calendar-date.js';
import type pg from 'pg';
import type { Statement } from './contract.js';
import { toSqlboundError, type SqlboundError } from './errors.js';
import { read, type Acquire } from './executor.js';
import { report } from './layers/observation.js';
import type { Observer } from './observe.js';

import { MAX_LIMIT } from './pagination.js';

/** A stream batch is bounded like a page: one batch is never more rows than one page. */
export const MAX_BATCH_SIZE = MAX_LIMIT;

export async function* stream<Row>(
  acquire: Acquire,
  observe: Observer,
  closeTimeoutMs: number,
  statement: Statement,
  values: readonly unknown[],
  batchSize: number,
): AsyncGenerator<Row[], void, undefined> {
  const size = Math.min(MAX_BATCH_SIZE, Math.max(1, Math.floor(batchSize)));
  const lease = await acquire(statement.name, values);
  // The checkout's wait, reported with the stream (the first read would otherwise take it).
  const waitMs = lease.waitMs;
  lease.waitMs = null;
  let executionMs = 0;
  let rows = 0;
  let error: SqlboundError | undefined;
  let broken = false;
  const cursor = lease.client.query(new Cursor<Row>(statement.text, [...values], { types: calendarTypes }));
  try {
    while (true) {
      const sent = await read(lease, cursor, size);
      executionMs += sent.executionMs;
      if (!sent.ok) {
        error = toSqlboundError(sent.cause, statement.name);
        // After a failed read the cursor cannot be closed reliably (close waits for a ReadyForQuery that a dead
        // connection never sends): the connection is destroyed instead.
        broken = true;
        throw error;
      }
      const batch = sent.value;
      if (batch.length === 0) break;
      rows += batch.length;
      yield batch;
      // A short batch means the portal is exhausted: no need for another round trip to learn it.
      if (batch.length < size) break;
    }
  } finally {
    if (!broken) broken = !(await closeCursor(cursor, lease.client, closeTimeoutMs));
    lease.release(broken);
    report(observe, statement.name, values, waitMs, executionMs, rows, error);
  }
}

/** Closes the cursor; false when the connection ended or did not answer in time (then it must be destroyed). */
async function closeCursor<Row>(cursor: Cursor<Row>, client: pg.PoolClient, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  let onEnd: (() => void) | undefined;
  const abandoned = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    onEnd = () => resolve(false);
    client.once('end', onEnd);
    client.once('error', onEnd);
  });
  try {
    return await Promise.race([
      cursor.close().then(
        () => true as const,
        () => false as const,
      ),
      abandoned,
    ]);
  } finally {
    clearTimeout(timer);
    if (onEnd !== undefined) {
      client.removeListener('end', onEnd);
      client.removeListener('error', onEnd);
    }
  }
}
