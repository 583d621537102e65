// Schema audit: indexes an owner-scoped PostgreSQL schema should have, and indexes it should not. The scope
// column (the config's `cache.scopeColumn`, `user_id` by default) and the time column (`created_at`) are options.
// Everything is read from the catalogs (pg_index, pg_constraint, pg_attribute) and matched by attnum, never
// by parsing index definitions. Each finding carries the exact statement that fixes it.
//
// Rules
// - fk_without_index: a foreign key whose columns are not the leading key columns (in any order) of a valid,
//   non-partial btree or hash index. Without one, every delete or key update of the referenced row scans the
//   referencing table (PgHero has no such check).
// - scope_column_without_index: a scope column that is not the leading key column of a valid, non-partial
//   index: every per-owner query scans the table.
// - time_ordered_without_scope_index: a table with the scope and time columns but no valid, non-partial btree
//   index whose leading key columns are (scope, time), in either direction: per-owner lists ordered by time
//   must sort. A table with a valid, non-partial unique index on exactly (scope), such as a one-per-owner
//   settings table, holds at most one row per owner and is exempt.
// - duplicate_index: an index whose key columns, expressions, operator classes, collations and predicate
//   equal, or are a leading prefix of, another index of the same access method on the same table (btree
//   prefixes only; other methods must match exactly). The fix drops the redundant one; an index that a
//   constraint depends on (primary key, unique, exclusion, or the target of a foreign key) and a unique index
//   that enforces something the other does not are never the one dropped.
//
// Fixes are consistent: on a table with scope and time columns, the fix for a missing scope index (and for a
// scope foreign key) is the (scope, time DESC, id DESC) index that also serves the time
// order, so applying every distinct fix (see fixScript) creates one index, not three overlapping ones.
// Fixes are plain CREATE INDEX / DROP INDEX, runnable in a migration (the migrator runs in a transaction);
// on a large live table run them by hand with CONCURRENTLY instead.
import type pg from 'pg';
import { indexStatement, type IndexKey } from './suggest.js';

type FindingBase = {
  /** Table name, schema-qualified unless it is in public. */
  table: string;
  /** A sentence saying what is wrong and what it costs. */
  message: string;
  /** The exact statement that resolves the finding. */
  fix: string;
};

type FkWithoutIndexFinding = FindingBase & {
  kind: 'fk_without_index';
  constraint: string;
  columns: string[];
  referencedTable: string;
};

type ScopeColumnWithoutIndexFinding = FindingBase & {
  kind: 'scope_column_without_index';
  /** The scope column. */
  columns: [string];
};

type TimeOrderedWithoutScopeIndexFinding = FindingBase & {
  kind: 'time_ordered_without_scope_index';
  /** The scope column, then the time column. */
  columns: [string, string];
};

type DuplicateIndexFinding = FindingBase & {
  kind: 'duplicate_index';
  /** The redundant index, which the fix drops. */
  index: string;
  /** The index that makes it redundant, which is kept. */
  coveredBy: string;
  /** Key columns (or expressions) of the redundant index. */
  columns: string[];
};

export type SchemaFinding =
  FkWithoutIndexFinding | ScopeColumnWithoutIndexFinding | TimeOrderedWithoutScopeIndexFinding | DuplicateIndexFinding;

export type AuditOptions = {
  /** The schema to audit; `public` by default. */
  schema?: string;
  /** The column that holds a row's owner; `user_id` by default. */
  scopeColumn?: string;
  /** The column per-owner lists are ordered by; `created_at` by default. */
  timeColumn?: string;
};

type TableRow = {
  oid: string;
  name: string;
  /** For messages: without the schema in public. */
  qualified: string;
  /** For fixes: always with its schema, so a statement means the same table whatever the search_path. */
  target: string;
};
type ColumnRow = { table_oid: string; attnum: number; name: string; quoted: string };
type IndexRow = {
  oid: string;
  table_oid: string;
  name: string;
  /** Always with its schema, as DROP INDEX needs it whatever the search_path. */
  target: string;
  method: string;
  is_unique: boolean;
  is_primary: boolean;
  is_valid: boolean;
  key_count: number;
  keys: number[];
  options: number[];
  opclasses: string[];
  collations: string[];
  column_defs: string[];
  predicate: string | null;
  constraints: string[];
};
type ForeignKeyRow = {
  name: string;
  table_oid: string;
  columns: number[];
  referenced: string;
};

type Catalog = {
  tables: TableRow[];
  columns: Map<string, ColumnRow[]>;
  indexes: Map<string, IndexRow[]>;
  foreignKeys: ForeignKeyRow[];
  relationNames: Set<string>;
};

// Names in messages are quoted with quote_ident and the schema left off for public, as a human would write them;
// names in fixes always carry their schema: CREATE INDEX ... ON public.exposures (broker_id) means that table
// whatever the search_path of whoever runs it.
const qualify = (nameExpr: string) =>
  `CASE WHEN n.nspname = 'public' THEN quote_ident(${nameExpr}) ELSE quote_ident(n.nspname) || '.' || quote_ident(${nameExpr}) END`;
const target = (nameExpr: string) => `quote_ident(n.nspname) || '.' || quote_ident(${nameExpr})`;

const tablesQuery = `
SELECT c.oid::int8::text AS oid, c.relname AS name, ${qualify('c.relname')} AS qualified, ${target('c.relname')} AS target
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname`;

const columnsQuery = `
SELECT a.attrelid::int8::text AS table_oid, a.attnum::int AS attnum, a.attname AS name, quote_ident(a.attname) AS quoted
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

// keys/options/opclasses/collations cover the key columns only (the first indnkeyatts); column_defs covers
// every column, INCLUDE ones last. pg_get_indexdef(oid, k, true) prints one column or expression without its
// ordering or operator class, which are compared separately.
const indexesQuery = `
SELECT i.indexrelid::int8::text AS oid, i.indrelid::int8::text AS table_oid, ic.relname AS name,
       ${target('ic.relname')} AS target, am.amname AS method,
       i.indisunique AS is_unique, i.indisprimary AS is_primary, i.indisvalid AS is_valid,
       i.indnkeyatts::int AS key_count,
       (i.indkey::int2[])[0:i.indnkeyatts - 1]::int4[] AS keys,
       (i.indoption::int2[])[0:i.indnkeyatts - 1]::int4[] AS options,
       (i.indclass::oid[])[0:i.indnkeyatts - 1]::text[] AS opclasses,
       (i.indcollation::oid[])[0:i.indnkeyatts - 1]::text[] AS collations,
       array(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnatts::int) k ORDER BY k) AS column_defs,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       array(SELECT con.conname::text FROM pg_constraint con WHERE con.conindid = i.indexrelid ORDER BY con.conname) AS constraints
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY ic.relname`;

const foreignKeysQuery = `
SELECT con.conname AS name, con.conrelid::int8::text AS table_oid, con.conkey::int4[] AS columns,
       con.confrelid::regclass::text AS referenced
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND con.contype = 'f' AND NOT c.relispartition
ORDER BY con.conname`;

async function readCatalog(client: pg.ClientBase, schema: string): Promise<Catalog> {
  const tables = (await client.query<TableRow>(tablesQuery, [schema])).rows;
  const columnRows = (await client.query<ColumnRow>(columnsQuery, [schema])).rows;
  const indexRows = (await client.query<IndexRow>(indexesQuery, [schema])).rows;
  const foreignKeys = (await client.query<ForeignKeyRow>(foreignKeysQuery, [schema])).rows;
  const names = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`,
    [schema],
  );
  return {
    tables,
    columns: groupBy(columnRows, (row) => row.table_oid),
    indexes: groupBy(indexRows, (row) => row.table_oid),
    foreignKeys,
    relationNames: new Set(names.rows.map((row) => row.name)),
  };
}

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group === undefined) groups.set(key(row), [row]);
    else group.push(row);
  }
  return groups;
}

/** Indexes that can serve lookups on their leading columns for every row of the table. */
function usable(index: IndexRow): boolean {
  return index.is_valid && index.predicate === null;
}

/** Whether the first `columns.length` key columns of the index are exactly these attnums, in any order. */
function leadsWithSet(index: IndexRow, columns: number[]): boolean {
  if (columns.length === 0 || index.keys.length < columns.length) return false;
  const leading = new Set(index.keys.slice(0, columns.length));
  return leading.size === columns.length && columns.every((column) => leading.has(column));
}

/** An index name that is free in the schema (and stays free for the other fixes of this audit). */
function freshIndexName(catalog: Catalog, table: TableRow, suffix: string): string {
  const base = `${table.name}_${suffix}`.slice(0, 59);
  let name = base;
  for (let n = 1; catalog.relationNames.has(name); n++) name = `${base}${n}`;
  catalog.relationNames.add(name);
  return name;
}

function indexColumnList(index: IndexRow): string {
  return index.column_defs.slice(0, index.key_count).join(', ');
}

function describeIndex(index: IndexRow): string {
  const include = index.column_defs.slice(index.key_count);
  return (
    `${index.name} (${indexColumnList(index)})` +
    (include.length > 0 ? ` INCLUDE (${include.join(', ')})` : '') +
    (index.predicate === null ? '' : ` WHERE ${index.predicate}`)
  );
}

/**
 * Whether `a` is redundant given `b`: same method, a's key columns a prefix of b's (equal for methods other
 * than btree) with the same expressions, operator classes and collations, orderings equal or all reversed
 * (a backward scan gives the other), the same predicate, and a's INCLUDE columns among b's columns.
 */
function coveredBy(a: IndexRow, b: IndexRow): boolean {
  if (a.oid === b.oid || a.method !== b.method || !b.is_valid) return false;
  if (a.predicate !== b.predicate) return false;
  const n = a.key_count;
  if (a.method === 'btree' ? n > b.key_count : n !== b.key_count) return false;
  for (let k = 0; k < n; k++) {
    if (a.keys[k] !== b.keys[k] || a.column_defs[k] !== b.column_defs[k]) return false;
    if (a.opclasses[k] !== b.opclasses[k] || a.collations[k] !== b.collations[k]) return false;
  }
  const optionsA = a.options.slice(0, n);
  const optionsB = b.options.slice(0, n);
  // indoption bit 0 is DESC, bit 1 NULLS FIRST; reversing a scan flips both.
  const same = optionsA.every((option, k) => option === optionsB[k]);
  const reversed = optionsA.every((option, k) => (option ^ 3) === optionsB[k]);
  if (!same && !reversed) return false;
  const bColumns = new Set(b.column_defs);
  if (!a.column_defs.slice(n).every((column) => bColumns.has(column))) return false;
  return true;
}

/** An index whose drop would remove a constraint or uniqueness the covering index does not give. */
function mustKeep(a: IndexRow, b: IndexRow): boolean {
  if (a.constraints.length > 0 || a.is_primary) return true;
  if (!a.is_unique) return false;
  // A unique index is replaceable only by a unique index on exactly the same key.
  return !(b.is_unique && a.key_count === b.key_count);
}

/** Among equal indexes keep the one a constraint uses, then a unique one, then the oldest. */
function keepRank(index: IndexRow): [number, number, number] {
  return [index.constraints.length > 0 || index.is_primary ? 0 : 1, index.is_unique ? 0 : 1, Number(index.oid)];
}

function compareRank(a: IndexRow, b: IndexRow): number {
  const ra = keepRank(a);
  const rb = keepRank(b);
  for (let k = 0; k < ra.length; k++) {
    const d = (ra[k] ?? 0) - (rb[k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function duplicateFindings(table: TableRow, indexes: IndexRow[]): DuplicateIndexFinding[] {
  const findings: DuplicateIndexFinding[] = [];
  const dropped = new Set<string>();
  for (const a of indexes) {
    if (!a.is_valid) continue;
    const candidates = indexes.filter(
      (b) =>
        !dropped.has(b.oid) &&
        coveredBy(a, b) &&
        !mustKeep(a, b) &&
        // Between two equal indexes only the lower-ranked one is dropped.
        !(coveredBy(b, a) && compareRank(a, b) < 0),
    );
    if (candidates.length === 0) continue;
    // Prefer the longest covering index, then the one most worth keeping.
    candidates.sort((x, y) => y.key_count - x.key_count || compareRank(x, y));
    const keeper = candidates[0];
    if (keeper === undefined) continue;
    dropped.add(a.oid);
    const equal = coveredBy(keeper, a);
    findings.push({
      kind: 'duplicate_index',
      table: table.qualified,
      index: a.name,
      coveredBy: keeper.name,
      columns: a.column_defs.slice(0, a.key_count),
      message:
        `${describeIndex(a)} ${equal ? 'duplicates' : 'is a prefix of'} ${describeIndex(keeper)}: ` +
        `every query it serves can use ${keeper.name}, and each write pays for both.`,
      fix: `DROP INDEX ${a.target};`,
    });
  }
  return findings;
}

/**
 * Audits the indexes of one schema (public by default) and returns the findings, ordered by table, then
 * kind. An empty array means the schema passes every rule.
 */
export async function auditSchema(client: pg.ClientBase, options: AuditOptions = {}): Promise<SchemaFinding[]> {
  const catalog = await readCatalog(client, options.schema ?? 'public');
  const findings: SchemaFinding[] = [];
  for (const table of catalog.tables) {
    const columns = catalog.columns.get(table.oid) ?? [];
    const indexes = catalog.indexes.get(table.oid) ?? [];
    const byAttnum = new Map(columns.map((column) => [column.attnum, column]));
    const byName = new Map(columns.map((column) => [column.name, column]));
    const scopeName = options.scopeColumn ?? 'user_id';
    const timeName = options.timeColumn ?? 'created_at';
    const userId = byName.get(scopeName);
    const createdAt = byName.get(timeName);

    // The one index that serves user-scoped lookups and the time order; reused by every fix that needs it.
    let userIndexFix: string | null = null;
    const userIndex = (): string => {
      if (userIndexFix !== null) return userIndexFix;
      if (userId === undefined) throw new Error(`userIndex() needs a ${scopeName} column`);
      const id = byName.get('id');
      const keys: IndexKey[] =
        createdAt === undefined
          ? [{ expression: userId.quoted }]
          : [
              { expression: userId.quoted },
              { expression: `${createdAt.quoted} DESC` },
              ...(id === undefined ? [] : [{ expression: `${id.quoted} DESC` }]),
            ];
      // user_id + created_at -> user_created_idx: the column names without their _id / _at suffixes.
      const stem = (column: string) => column.replace(/_(id|at)$/, '');
      const name = freshIndexName(
        catalog,
        table,
        createdAt === undefined ? `${scopeName}_idx` : `${stem(scopeName)}_${stem(timeName)}_idx`,
      );
      userIndexFix = indexStatement(table.target, keys, name);
      return userIndexFix;
    };

    for (const fk of catalog.foreignKeys.filter((row) => row.table_oid === table.oid)) {
      const served = indexes.some(
        (index) => usable(index) && (index.method === 'btree' || index.method === 'hash') && leadsWithSet(index, fk.columns),
      );
      if (served) continue;
      const fkColumns = fk.columns.map((attnum) => byAttnum.get(attnum));
      const names = fkColumns.map((column, k) => column?.name ?? `attnum ${fk.columns[k]}`);
      const keys = fkColumns.map((column, k): IndexKey => ({ expression: column?.quoted ?? `attnum ${fk.columns[k]}` }));
      const isUserId = fk.columns.length === 1 && userId !== undefined && fk.columns[0] === userId.attnum;
      findings.push({
        kind: 'fk_without_index',
        table: table.qualified,
        constraint: fk.name,
        columns: names,
        referencedTable: fk.referenced,
        message:
          `foreign key ${fk.name} (${names.join(', ')}) references ${fk.referenced} but no index leads with ` +
          `its columns: each delete or key update in ${fk.referenced} scans ${table.name}.`,
        fix: isUserId ? userIndex() : indexStatement(table.target, keys, freshIndexName(catalog, table, `${names.join('_')}_idx`)),
      });
    }

    if (userId !== undefined && !indexes.some((index) => usable(index) && index.keys[0] === userId.attnum)) {
      findings.push({
        kind: 'scope_column_without_index',
        table: table.qualified,
        columns: [scopeName],
        message: `${table.name}.${scopeName} leads no index: every per-owner query on ${table.name} scans the table.`,
        fix: userIndex(),
      });
    }

    const onePerUser =
      userId !== undefined &&
      indexes.some((index) => usable(index) && index.is_unique && index.key_count === 1 && index.keys[0] === userId.attnum);
    if (userId !== undefined && createdAt !== undefined && !onePerUser) {
      const ordered = indexes.some(
        (index) => usable(index) && index.method === 'btree' && index.keys[0] === userId.attnum && index.keys[1] === createdAt.attnum,
      );
      if (!ordered) {
        findings.push({
          kind: 'time_ordered_without_scope_index',
          table: table.qualified,
          columns: [scopeName, timeName],
          message:
            `${table.name} has ${scopeName} and ${timeName} but no index leads with (${scopeName}, ${timeName}): ` +
            `an owner's rows in time order (keyset pages, latest first) are read and sorted in full.`,
          fix: userIndex(),
        });
      }
    }

    findings.push(...duplicateFindings(table, indexes));
  }
  return findings;
}

/** The distinct fix statements, in finding order: several findings can share one index. */
export function fixScript(findings: readonly SchemaFinding[]): string[] {
  return [...new Set(findings.map((finding) => finding.fix))];
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function findingColumns(finding: SchemaFinding): string {
  switch (finding.kind) {
    case 'duplicate_index':
      return `${finding.index} (${finding.columns.join(', ')}), kept: ${finding.coveredBy}`;
    case 'fk_without_index':
      return `${finding.constraint} (${finding.columns.join(', ')})`;
    case 'scope_column_without_index':
    case 'time_ordered_without_scope_index':
      return `(${finding.columns.join(', ')})`;
  }
}

/** Renders findings as a Markdown table (kind, table, columns or index, problem, fix). */
export function formatSchemaFindings(findings: readonly SchemaFinding[]): string {
  if (findings.length === 0) return 'Schema audit: no findings.\n';
  const lines = [
    `Schema audit: ${findings.length} finding${findings.length === 1 ? '' : 's'}.`,
    '',
    '| kind | table | columns / index | problem | fix |',
    '|---|---|---|---|---|',
    ...findings.map(
      (finding) =>
        `| ${finding.kind} | ${cell(finding.table)} | ${cell(findingColumns(finding))} | ${cell(finding.message)} | \`${cell(finding.fix)}\` |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
