// What a suggested index is checked against, read from the catalogs: each table a plan can name, with its schema
// and its columns' types (so the suggestion is schema-qualified and uses an operator class that exists), and every
// index of the user tables (so the suggestion is never one of them). Codegen's connection reads the indexes with the
// same SQL over postgres.js; the plan audit and the live audit read both over pg.
import type pg from 'pg';
import type { ExistingIndex, TableShape } from './suggest.js';

/**
 * Every index of the user tables. Key columns come back as pg_get_indexdef prints them (without ASC/DESC), so a
 * suggestion's keys compare by text; `descending` says which keys are DESC (indoption's first bit).
 */
export const EXISTING_INDEXES_SQL = `
  SELECT n.nspname AS schema, t.relname AS table, c.relname AS name, am.amname AS method,
         array(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) AS k) AS keys,
         array(SELECT (i.indoption[k - 1] & 1) = 1 FROM generate_series(1, i.indnkeyatts) AS k) AS descending,
         i.indpred IS NOT NULL AS partial
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  JOIN pg_am am ON am.oid = c.relam
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`;

const COLUMNS_SQL = `
  SELECT n.nspname AS schema, c.relname AS name, a.attname AS column, ty.typname AS type
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type ty ON ty.oid = a.atttypid
  WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[]))
  ORDER BY n.nspname, c.relname, a.attnum`;

/** The tables by the name a plan gives them, and the indexes that exist. */
export type SuggestionCatalog = {
  /** A table by the name EXPLAIN gives it (unqualified); null when no audited schema, or more than one, holds it. */
  tableOf: (relation: string) => TableShape | null;
  indexes: readonly ExistingIndex[];
};

/**
 * Reads the tables of `schemas` (every user schema when null) and every index of the user tables. `marker`, a SQL
 * comment, tags the two statements (the live audit keeps its own statements out of what it reads).
 */
export async function readSuggestionCatalog(
  client: pg.ClientBase,
  schemas: readonly string[] | null,
  marker = '',
): Promise<SuggestionCatalog> {
  const tagged = (sql: string) => (marker === '' ? sql : sql.replace('SELECT', `SELECT ${marker}`));
  const columns = (await client.query<{ schema: string; name: string; column: string; type: string }>(tagged(COLUMNS_SQL), [schemas])).rows;
  const indexes = (await client.query<ExistingIndex>(tagged(EXISTING_INDEXES_SQL))).rows;
  const byName = new Map<string, Map<string, TableShape & { columns: { name: string; type: string }[] }>>();
  for (const row of columns) {
    const tables = byName.get(row.name) ?? new Map<string, TableShape & { columns: { name: string; type: string }[] }>();
    byName.set(row.name, tables);
    const table = tables.get(row.schema) ?? { schema: row.schema, name: row.name, columns: [] };
    tables.set(row.schema, table);
    table.columns.push({ name: row.column, type: row.type });
  }
  return {
    tableOf: (relation) => {
      const tables = [...(byName.get(relation)?.values() ?? [])];
      return tables.length === 1 ? (tables[0] ?? null) : null;
    },
    indexes,
  };
}
