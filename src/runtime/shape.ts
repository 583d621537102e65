// Rows of a shaped statement (contract.ts's RowShape): codegen's builder makes each row an object literal by position.
// The builder trusts positions, so the server's column names are checked first (./statement-query.ts, whenever the
// server describes other columns than last time): a schema that drifted from the generated code (a view's columns
// reordered, `SELECT *` over an altered table) gets its rows made by name instead, as pg's object mode makes them,
// never values under the wrong names.
import type { FieldDef } from 'pg';
import type { RowShape } from './contract.js';

/** Whether the server's columns are codegen's, in the same order. */
export function columnsMatch(shape: RowShape, fields: readonly FieldDef[]): boolean {
  const { columns } = shape;
  if (fields.length !== columns.length) return false;
  for (let k = 0; k < columns.length; k++) if (fields[k]!.name !== columns[k]) return false;
  return true;
}

/**
 * A row by name, as pg's object mode makes it (a later column of the same name wins); `__proto__` defined, not
 * assigned (that would set the prototype).
 */
export function byName(names: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let k = 0; k < names.length; k++) {
    const name = names[k]!;
    if (name === '__proto__') Object.defineProperty(row, name, { value: values[k], enumerable: true, writable: true, configurable: true });
    else row[name] = values[k];
  }
  return row;
}

const warned = new WeakSet<RowShape>();

/** Once per statement: its rows are still right (made by name), but the generated code is behind the database. */
export function warnOnce(shape: RowShape, fields: readonly FieldDef[]): void {
  if (warned.has(shape)) return;
  warned.add(shape);
  process.emitWarning(
    `the server returned columns (${fields.map((field) => field.name).join(', ')}) where the generated code expects (${shape.columns.join(', ')}): rows are read by name; run sqlbound codegen against this schema`,
    { code: 'SQLBOUND_COLUMNS_DIFFER' },
  );
}
