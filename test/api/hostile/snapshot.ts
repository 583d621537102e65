// Every row of every table, keyed by primary key: taken before the hostile run and after, so that any change
// a request made is seen, and can be checked against the changes the valid calls explain.
import pg from 'pg';

export type Row = Record<string, unknown>;
/** table → primary key text → row */
export type Snapshot = Map<string, Map<string, Row>>;

export type RowChange = { table: string; key: string; before: Row | undefined; after: Row | undefined };

export async function snapshot(url: string): Promise<Snapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // One snapshot of the whole database, not of each table at its own moment.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const tables = await client.query<{ name: string; keys: string[] | null }>(
      `SELECT c.relname AS name,
              (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
               WHERE i.indrelid = c.oid AND i.indisprimary) AS keys
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
    );
    const result: Snapshot = new Map();
    for (const { name, keys } of tables.rows) {
      const rows = await client.query<{ row: Row }>(`SELECT to_jsonb(t) AS row FROM ${pg.escapeIdentifier(name)} t`);
      const byKey = new Map<string, Row>();
      for (const { row } of rows.rows) {
        // A table without a primary key is keyed by the whole row: any change shows as a removal and an addition.
        byKey.set(JSON.stringify(keys === null ? row : keys.map((key) => row[key])), row);
      }
      result.set(name, byKey);
    }
    await client.query('COMMIT');
    return result;
  } finally {
    await client.end();
  }
}

export function diff(before: Snapshot, after: Snapshot): RowChange[] {
  const changes: RowChange[] = [];
  for (const table of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(table) ?? new Map<string, Row>();
    const now = after.get(table) ?? new Map<string, Row>();
    for (const key of new Set([...old.keys(), ...now.keys()])) {
      const was = old.get(key);
      const is = now.get(key);
      if (JSON.stringify(was) !== JSON.stringify(is)) changes.push({ table, key, before: was, after: is });
    }
  }
  return changes;
}

/** The columns whose values differ between two versions of a row. */
export function changedColumns(change: RowChange): string[] {
  const columns = new Set([...Object.keys(change.before ?? {}), ...Object.keys(change.after ?? {})]);
  return [...columns].filter((column) => JSON.stringify(change.before?.[column]) !== JSON.stringify(change.after?.[column])).sort();
}
