// execute(): one statement on a leased connection, timed (pool wait apart from execution), typed errors only.
import type { Rows, Statement } from './contract.js';
import { failed, type Acquire } from './lease.js';
import type { Observer } from './observe.js';
import { queryConfig } from './prepared.js';

export async function execute<Row>(
  acquire: Acquire,
  observe: Observer,
  prepared: boolean,
  statement: Statement,
  values: readonly unknown[],
): Promise<Rows<Row>> {
  const lease = await acquire(statement.name, values);
  const start = performance.now();
  let result;
  try {
    result = await lease.client.query(queryConfig(statement, values, prepared));
  } catch (cause) {
    failed(lease, cause, { queryName: statement.name, executionMs: performance.now() - start, rows: 0, values }, observe);
  }
  const executionMs = performance.now() - start;
  lease.release(false);
  // pg types rows as any; the generated statement's Row type is the contract codegen proved against the database.
  const rows: Row[] = result.rows;
  const rowCount = result.rowCount ?? rows.length;
  observe({ queryName: statement.name, waitMs: lease.waitMs, executionMs, rows: rowCount, parameters: values });
  return { rows, rowCount };
}
