// Pairs the analysis's output columns with Describe's, by position and origin, never by count alone.
// Describe (RowDescription) gives each column's name and, for a plain column reference, its table OID and
// attnum. An analysed column is used only when it agrees with Describe's column at that position: same
// origin when either has one, same name when the analysis knows it. A run of columns the analysis could
// not see (a * over an opaque relation) is matched around: the columns before it from the start, the
// columns after it from the end. Whatever cannot be paired is nullable, with a note saying why.
import type { OutputColumn, OutputItem } from './analyze.js';

export type DescribeColumn = { name: string; table: number; number: number };

export type MatchedColumn = { column: OutputColumn } | { note: string };

/** Names a table OID for notes (OIDs differ between databases; names do not). */
export type TableName = (oid: number) => string;

function agree(analysed: OutputColumn, described: DescribeColumn, position: number, tableName: TableName): MatchedColumn {
  const label = `column ${position + 1} (${described.name})`;
  if (analysed.nameKnown && analysed.name !== described.name) {
    return { note: `${label}: the analysis expected "${analysed.name}" here; nullable` };
  }
  // Attnum 0 is a whole-row reference: not a column origin.
  const describedOrigin = described.table === 0 || described.number <= 0 ? null : { tableOid: described.table, attnum: described.number };
  const origin = analysed.origin;
  if (describedOrigin === null && origin === null) return { column: analysed };
  if (
    describedOrigin === null ||
    origin === null ||
    describedOrigin.tableOid !== origin.tableOid ||
    describedOrigin.attnum !== origin.attnum
  ) {
    const show = (o: { tableOid: number; attnum: number } | null) =>
      o === null ? 'an expression' : `${tableName(o.tableOid)} column ${o.attnum}`;
    return { note: `${label}: PostgreSQL reports ${show(describedOrigin)}, the analysis ${show(origin)}; nullable` };
  }
  return { column: analysed };
}

export function matchColumns(items: OutputItem[], described: readonly DescribeColumn[], tableName: TableName): MatchedColumn[] {
  const firstGap = items.findIndex((item) => item.kind === 'opaque');
  const columnsOf = (part: OutputItem[]) => part.flatMap((item) => (item.kind === 'column' ? [item.column] : []));
  if (firstGap < 0) {
    const columns = columnsOf(items);
    if (columns.length !== described.length) {
      const note = `the analysis found ${columns.length} columns where PostgreSQL describes ${described.length}; all nullable`;
      return described.map(() => ({ note }));
    }
    return described.map((column, index) => {
      const analysed = columns[index];
      return analysed === undefined ? { note: 'no analysed column' } : agree(analysed, column, index, tableName);
    });
  }
  const lastGap = items.length - 1 - [...items].reverse().findIndex((item) => item.kind === 'opaque');
  const before = columnsOf(items.slice(0, firstGap));
  const after = columnsOf(items.slice(lastGap + 1));
  const gap = items[firstGap];
  const reason = gap?.kind === 'opaque' ? gap.reason : 'unknown columns';
  if (before.length + after.length > described.length) {
    const note = `the analysis found more columns than PostgreSQL describes around ${reason}; all nullable`;
    return described.map(() => ({ note }));
  }
  const tail = described.length - after.length;
  return described.map((column, index) => {
    if (index < before.length) {
      const analysed = before[index];
      return analysed === undefined ? { note: 'no analysed column' } : agree(analysed, column, index, tableName);
    }
    if (index >= tail) {
      const analysed = after[index - tail];
      return analysed === undefined ? { note: 'no analysed column' } : agree(analysed, column, index, tableName);
    }
    return { note: `column ${index + 1} (${column.name}) comes from ${reason}; nullable` };
  });
}
