// What the describe and check stages need from the live catalog: types, columns by (table OID, attnum),
// and unique indexes. Loaded once per codegen run.
import { scanSync } from 'libpg-query';
import type postgres from 'postgres';
import type { PgType, TsType } from './model.js';

export type CatalogColumn = { name: string; attnum: number; notNull: boolean; typeOid: number };
export type CatalogTable = {
  oid: number;
  name: string;
  columns: Map<number, CatalogColumn>;
  /** Column attnums of each unique, non-partial index (primary key included). */
  uniqueKeys: number[][];
};

/** A single-column foreign key: a NOT NULL referencing column guarantees the referenced row exists. */
export type ForeignKey = { table: number; attnum: number; refTable: number; refAttnum: number };

/** A user trigger: the table it fires on, the statements that fire it, and the tables its body writes. */
export type TriggerWrites = { table: string; events: ('insert' | 'update' | 'delete')[]; writes: string[] };

export type Catalog = {
  tables: Map<number, CatalogTable>;
  foreignKeys: ForeignKey[];
  triggers: TriggerWrites[];
  tablesByName: Map<string, CatalogTable>;
  type: (oid: number) => PgType;
};

type TypeRow = { oid: number; name: string; typtype: string; elem: number; basetype: number; labels: string[] | null };

// Scalar mapping; each entry is what node-postgres returns at runtime with its default parsers.
// int8 and numeric are decimal strings (exact; JSON-safe), timestamps are Date.
const SCALARS: Record<string, TsType> = {
  bool: { kind: 'primitive', ts: 'boolean' },
  int2: { kind: 'primitive', ts: 'number' },
  int4: { kind: 'primitive', ts: 'number' },
  oid: { kind: 'primitive', ts: 'number' },
  float4: { kind: 'primitive', ts: 'number' },
  float8: { kind: 'primitive', ts: 'number' },
  int8: { kind: 'primitive', ts: 'string' },
  numeric: { kind: 'primitive', ts: 'string' },
  text: { kind: 'primitive', ts: 'string' },
  varchar: { kind: 'primitive', ts: 'string' },
  bpchar: { kind: 'primitive', ts: 'string' },
  name: { kind: 'primitive', ts: 'string' },
  uuid: { kind: 'primitive', ts: 'string' },
  citext: { kind: 'primitive', ts: 'string' },
  inet: { kind: 'primitive', ts: 'string' },
  interval: { kind: 'primitive', ts: 'string' },
  time: { kind: 'primitive', ts: 'string' },
  timetz: { kind: 'primitive', ts: 'string' },
  timestamptz: { kind: 'primitive', ts: 'Date' },
  timestamp: { kind: 'primitive', ts: 'Date' },
  date: { kind: 'primitive', ts: 'Date' },
  json: { kind: 'primitive', ts: 'JsonValue' },
  jsonb: { kind: 'primitive', ts: 'JsonValue' },
  bytea: { kind: 'primitive', ts: 'Buffer' },
  unknown: { kind: 'primitive', ts: 'string' },
  void: { kind: 'primitive', ts: 'string' },
};

/** Array element types node-postgres parses into JS arrays; other arrays come back as text and are parsed by generated code. */
export const PG_PARSED_ARRAYS = new Set([
  '_bool', '_int2', '_int4', '_int8', '_oid', '_float4', '_float8', '_numeric', '_text', '_varchar', '_bpchar',
  '_uuid', '_timestamptz', '_timestamp', '_date', '_json', '_jsonb', '_bytea', '_name', '_inet', '_interval', '_time',
]);

export async function loadCatalog(sql: postgres.Sql): Promise<Catalog> {
  const typeRows = await sql<TypeRow[]>`
    SELECT t.oid::int AS oid, t.typname AS name, t.typtype::text AS typtype, t.typelem::int AS elem,
           t.typbasetype::int AS basetype,
           (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname IN ('pg_catalog', 'public')`;
  const typesByOid = new Map(typeRows.map((row) => [row.oid, row]));
  const resolved = new Map<number, PgType>();
  const type = (oid: number): PgType => {
    const cached = resolved.get(oid);
    if (cached) return cached;
    const row = typesByOid.get(oid);
    if (row === undefined) throw new Error(`type OID ${oid} is not in pg_catalog or public`);
    let ts: TsType;
    if (row.typtype === 'e') ts = { kind: 'enum', pgName: row.name, labels: row.labels ?? [] };
    else if (row.typtype === 'd') ts = type(row.basetype).ts;
    else if (row.elem !== 0 && row.name.startsWith('_')) ts = { kind: 'array', element: type(row.elem).ts };
    else ts = SCALARS[row.name] ?? { kind: 'primitive', ts: 'string' };
    const pgType = { oid, name: row.name, ts };
    resolved.set(oid, pgType);
    return pgType;
  };

  const columnRows = await sql<{ table_oid: number; table_name: string; attnum: number; name: string; not_null: boolean; type_oid: number }[]>`
    SELECT c.oid::int AS table_oid, c.relname AS table_name, a.attnum::int AS attnum, a.attname AS name,
           a.attnotnull AS not_null, a.atttypid::int AS type_oid
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')`;
  const tables = new Map<number, CatalogTable>();
  for (const row of columnRows) {
    let table = tables.get(row.table_oid);
    if (!table) {
      table = { oid: row.table_oid, name: row.table_name, columns: new Map(), uniqueKeys: [] };
      tables.set(row.table_oid, table);
    }
    table.columns.set(row.attnum, { name: row.name, attnum: row.attnum, notNull: row.not_null, typeOid: row.type_oid });
  }
  const uniqueRows = await sql<{ table_oid: number; keys: number[] }[]>`
    SELECT i.indrelid::int AS table_oid, string_to_array(i.indkey::text, ' ')::int[] AS keys
    FROM pg_index i
    WHERE i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL`;
  for (const row of uniqueRows) tables.get(row.table_oid)?.uniqueKeys.push(row.keys);
  const tablesByName = new Map([...tables.values()].map((table) => [table.name, table]));
  const foreignKeys = await sql<ForeignKey[]>`
    SELECT conrelid::int AS table, conkey[1]::int AS attnum, confrelid::int AS "refTable", confkey[1]::int AS "refAttnum"
    FROM pg_constraint
    WHERE contype = 'f' AND cardinality(conkey) = 1`;
  const triggerRows = await sql<{ table: string; type: number; body: string }[]>`
    SELECT c.relname AS table, t.tgtype::int AS type, p.prosrc AS body
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE NOT t.tgisinternal AND n.nspname = 'public'`;
  const triggers = triggerRows.map((row) => ({
    table: row.table,
    // tgtype bits: 4 INSERT, 8 DELETE, 16 UPDATE.
    events: [
      ...(row.type & 4 ? (['insert'] as const) : []),
      ...(row.type & 16 ? (['update'] as const) : []),
      ...(row.type & 8 ? (['delete'] as const) : []),
    ],
    writes: writtenByBody(row.body).filter((table) => tablesByName.has(table)),
  }));
  return { tables, tablesByName, foreignKeys: [...foreignKeys], triggers, type };
}

/**
 * Tables a trigger function's body writes: INSERT INTO t, UPDATE t, DELETE FROM t, read with PostgreSQL's
 * scanner so strings and comments cannot fool it (`DO UPDATE SET` names no table and is skipped).
 */
export function writtenByBody(body: string): string[] {
  const bytes = Buffer.from(body, 'utf8');
  const words = scanSync(body).tokens
    .filter((token) => token.tokenName !== 'SQL_COMMENT' && token.tokenName !== 'C_COMMENT')
    .map((token) => ({ text: bytes.subarray(token.start, token.end).toString('utf8').toLowerCase(), ident: token.tokenName === 'IDENT' }));
  const written = new Set<string>();
  words.forEach((word, index) => {
    const next = words[index + 1];
    const after = words[index + 2];
    if ((word.text === 'insert' && next?.text === 'into') || (word.text === 'delete' && next?.text === 'from')) {
      if (after?.ident) written.add(after.text);
    } else if (word.text === 'update' && next?.ident && words[index - 1]?.text !== 'do') {
      written.add(next.text);
    }
  });
  return [...written];
}
