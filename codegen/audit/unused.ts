// Indexes that no named query's measured plan used. Each one costs every write and its share of the cache, so
// it is worth a look, but it is information, not a violation: an index can serve ad-hoc work, a job outside
// the manifest, or a foreign key. Primary keys, unique indexes and indexes behind constraints enforce
// integrity and are never listed; an index that serves a foreign key is listed with the advice to keep it,
// because dropping it brings back the schema audit's fk_without_index finding.
import type pg from 'pg';

export type UnusedIndex = {
  kind: 'unused_index';
  index: string;
  table: string;
  definition: string;
  /** The foreign key whose referential checks this index serves, if any. */
  servesForeignKey: string | null;
  message: string;
  /** The statement that drops it, schema-qualified (advised against when servesForeignKey is set). */
  fix: string;
};

type IndexRow = { index: string; qualified: string; table: string; definition: string; fk: string | null };

// Leading key columns equal (as a set) to a foreign key's columns: the index the FK's checks use.
const candidatesQuery = `
SELECT ic.relname AS index,
       quote_ident(n.nspname) || '.' || quote_ident(ic.relname) AS qualified,
       c.relname AS table,
       pg_get_indexdef(i.indexrelid) AS definition,
       (SELECT f.conname::text FROM pg_constraint f
        WHERE f.contype = 'f' AND f.conrelid = i.indrelid AND cardinality(f.conkey) <= i.indnkeyatts
          AND (SELECT array_agg(k ORDER BY k) FROM unnest(f.conkey) k)
            = (SELECT array_agg(k ORDER BY k) FROM unnest((i.indkey::int2[])[0:cardinality(f.conkey) - 1]) k)
        ORDER BY f.conname LIMIT 1) AS fk
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
  AND NOT i.indisprimary AND NOT i.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
ORDER BY c.relname, ic.relname`;

export async function unusedIndexes(client: pg.ClientBase, used: ReadonlySet<string>, schema = 'public'): Promise<UnusedIndex[]> {
  const rows = (await client.query<IndexRow>(candidatesQuery, [schema])).rows;
  return rows
    .filter((row) => !used.has(row.index))
    .map((row) => ({
      kind: 'unused_index' as const,
      index: row.index,
      table: row.table,
      definition: row.definition,
      servesForeignKey: row.fk,
      message:
        row.fk === null
          ? `${row.index} on ${row.table} is used by no named query's plan: every write to ${row.table} maintains it for nothing the manifest needs.`
          : `${row.index} on ${row.table} is used by no named query's plan, but it serves foreign key ${row.fk}: keep it, or deletes of the referenced rows scan ${row.table}.`,
      fix: `DROP INDEX ${row.qualified};`,
    }));
}
