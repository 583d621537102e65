// Named prepared statements: a stable name per statement text, so each connection parses and plans it once.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Statement } from './contract.js';

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

export function queryConfig(statement: Statement, values: readonly unknown[], prepared: boolean): pg.QueryConfig {
  return prepared
    ? { name: preparedName(statement), text: statement.text, values: [...values] }
    : { text: statement.text, values: [...values] };
}
