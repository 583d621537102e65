// Named prepared statements: a stable name per statement text, so each connection parses and plans it once.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Statement } from './contract.js';
import { sqlStateOf } from './errors.js';

const names = new WeakMap<Statement, string>();

/** `<query name>_<8 hex of sha1(text)>`, within PostgreSQL's 63-byte identifier limit; the hash keeps two texts apart. */
export function preparedName(statement: Statement): string {
  let name = names.get(statement);
  if (name === undefined) {
    const hash = createHash('sha1').update(statement.text).digest('hex').slice(0, 8);
    name = `${statement.name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 50)}_${hash}`;
    names.set(statement, name);
  }
  return name;
}

/**
 * Whether generated statements run named, for one db handle. Starts as the `preparedStatements` option and turns
 * to unnamed, for good, the first time a named statement proves that connections are shared under the client:
 * PgBouncer < 1.21 (or without max_prepared_statements) in transaction mode hands each transaction any server
 * connection, so a statement pg parsed on one is missing on the next (26000) or already there (42P05).
 */
export type PreparedMode = { named: boolean; readonly logger: Logger };

export function preparedMode(named: boolean, logger: Logger): PreparedMode {
  return { named, logger };
}

/** 26000 invalid_sql_statement_name, 42P05 duplicate_prepared_statement: raised before anything ran. */
export function isPreparedMismatch(error: unknown): boolean {
  const sqlState: unknown = sqlStateOf(error) ?? (typeof error === 'object' && error !== null ? Reflect.get(error, 'sqlState') : undefined);
  return sqlState === '26000' || sqlState === '42P05';
}

/** Switches `mode` to unnamed statements after a mismatch; true when this call made the switch or it was made. */
export function fallBackToUnnamed(mode: PreparedMode, error: unknown, queryName: string): boolean {
  if (!isPreparedMismatch(error)) return false;
  if (mode.named) {
    mode.named = false;
    mode.logger.warn(
      { query: queryName, sqlState: sqlStateOf(error) },
      'named prepared statements do not survive this connection pooler (PgBouncer transaction pooling without max_prepared_statements): running unnamed statements from now on; set preparedStatements: false to skip this probe',
    );
  }
  return true;
}
