// Rows of a shaped statement (contract.ts's RowShape): pg read them as arrays, codegen's builder makes the objects.
// The builder trusts positions, so the server's column names are checked first, on every result: a schema that
// drifted from the generated code (a view's columns reordered, `SELECT *` over an altered table) gets its rows made
// by name instead, as pg's object mode makes them, never values under the wrong names.
import type { FieldDef } from 'pg';
import type { RowShape } from './contract.js';

/** Whether the server's columns are codegen's, in the same order. */
function matches(shape: RowShape, fields: readonly FieldDef[]): boolean {
  const { columns } = shape;
  if (fields.length !== columns.length) return false;
  for (let k = 0; k < columns.length; k++) if (fields[k]!.name !== columns[k]) return false;
  return true;
}

/** A row by name, as pg's object mode makes it; `__proto__` defined, not assigned (that would set the prototype). */
function byName(fields: readonly FieldDef[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let k = 0; k < fields.length; k++) {
    const name = fields[k]!.name;
    if (name === '__proto__') Object.defineProperty(row, name, { value: values[k], enumerable: true, writable: true, configurable: true });
    else row[name] = values[k];
  }
  return row;
}

const warned = new WeakSet<RowShape>();

/** Once per statement: its rows are still right (made by name), but the generated code is behind the database. */
function warnOnce(shape: RowShape, fields: readonly FieldDef[]): void {
  if (warned.has(shape)) return;
  warned.add(shape);
  process.emitWarning(
    `the server returned columns (${fields.map((field) => field.name).join(', ')}) where the generated code expects (${shape.columns.join(', ')}): rows are read by name; run sqlbound codegen against this schema`,
    { code: 'SQLBOUND_COLUMNS_DIFFER' },
  );
}

/** The rows of a result read in array mode, as objects. */
export function shapedRows(shape: RowShape, result: { rows: unknown[]; fields: readonly FieldDef[] }): Record<string, unknown>[] {
  const arrays = result.rows as unknown[][];
  const rows = new Array<Record<string, unknown>>(arrays.length);
  if (matches(shape, result.fields)) {
    const { build } = shape;
    for (let k = 0; k < arrays.length; k++) rows[k] = build(arrays[k]!);
  } else {
    warnOnce(shape, result.fields);
    for (let k = 0; k < arrays.length; k++) rows[k] = byName(result.fields, arrays[k]!);
  }
  return rows;
}
