// What the describe and check stages need from the live catalog: types by OID from every schema, relations
// by OID (tables, views, materialized views in any schema), names resolved through the session's search
// path, unique indexes, and the names of user-defined functions, operators and casts (a user object that
// shares a builtin's name voids what the analysis knows about the builtin). Loaded once per codegen run.
import { loadDependencies, writtenByBody, type Dependencies } from './dependencies.js';
import type postgres from 'postgres';
import { quoteIdentifier } from 'sqlbound';
import type { TsType, TypeModel } from '../manifest/manifest.js';

/** The PostgreSQL type of a param or column as the pipeline carries it: the model's TypeModel and its OID. */
export type PgType = TypeModel & {
  oid: number;
  /**
   * The type as SQL names it whatever the connection's search_path: `"schema"."name"` for a type outside pg_catalog
   * (a domain by its own name, an array as `"schema"."_name"`), the quoted bare name for pg_catalog's, which every
   * search path searches first.
   */
  qualified: string;
};

/** Array types node-postgres parses into JS arrays; other arrays come back as text and are parsed by generated code. */
export const PG_PARSED_ARRAYS = new Set([
  '_bool',
  '_int2',
  '_int4',
  '_int8',
  '_oid',
  '_float4',
  '_float8',
  '_numeric',
  '_text',
  '_varchar',
  '_bpchar',
  '_uuid',
  '_timestamptz',
  '_timestamp',
  '_date',
  '_json',
  '_jsonb',
  '_bytea',
  '_name',
  '_inet',
  '_interval',
  '_time',
]);

type CatalogColumn = {
  name: string;
  attnum: number;
  /** NOT NULL holds for every stored row: a validated NOT NULL constraint (a NOT NULL domain only when trusted). */
  notNull: boolean;
  typeOid: number;
};

type RelationKind = 'table' | 'partitioned' | 'view' | 'materialized' | 'foreign';

export type CatalogTable = {
  oid: number;
  schema: string;
  name: string;
  /** The name the manifest and the cache use: bare when the search path finds this relation, else schema.name. */
  displayName: string;
  kind: RelationKind;
  columns: Map<number, CatalogColumn>;
  /** Column attnums of each unique, non-partial index (primary key included). */
  uniqueKeys: number[][];
  /** The SELECT of a view (pg_get_viewdef), analysed for its columns' nullability; null for a materialized view. */
  definition: string | null;
  /** INSTEAD OF triggers or INSTEAD rules: what its RETURNING yields is whatever the trigger or rule returns. */
  insteadOfTriggers: boolean;
};

/** A single-column foreign key: a NOT NULL referencing column guarantees the referenced row exists. */
type ForeignKey = { table: number; attnum: number; refTable: number; refAttnum: number };

/** A validated, not deferrable foreign key of any width: columns and referenced columns by attnum, pairwise. */
type ForeignKeyColumns = { table: number; columns: number[]; refTable: number; refColumns: number[] };

/** A user trigger: the table it fires on, the statements that fire it, and the tables its body writes. */
type TriggerWrites = { table: string; events: ('insert' | 'update' | 'delete')[]; writes: string[] };

/** Names of routines and operators, by what the analysis may assume about them. */
export type Routines = {
  /** Function names defined outside pg_catalog: an unqualified call may reach the user's function. */
  userFunctions: ReadonlySet<string>;
  /** Operator names defined outside pg_catalog. */
  userOperators: ReadonlySet<string>;
  /** Names whose every pg_catalog overload is an aggregate. */
  aggregates: ReadonlySet<string>;
  /** Names with a set-returning overload in any schema: such a call in a target list can remove every row. */
  setReturning: ReadonlySet<string>;
  /** Type names that a user-defined cast function produces: a cast to them may return NULL. */
  userCastTargets: ReadonlySet<string>;
  /** Function names whose every pg_catalog overload returns one (non-polymorphic) type: name -> type OID. */
  returnTypes: ReadonlyMap<string, number>;
  /** pg_catalog operators by `name:left:right` operand type OIDs (0 for a prefix operator's left) -> result type OID. */
  operators: ReadonlyMap<string, number>;
};

/** What the analysis knows about a type besides its TypeScript mapping. */
export type TypeFacts = {
  /** pg_type.typcategory: S string, N numeric, G geometric, R range, A array, ... */
  category: (oid: number) => string | null;
  /** The type a TypeName in a cast names: schema-qualified or through the search path; arrays by their element. */
  resolve: (names: string[], array: boolean) => number | null;
  /** A domain's base type (through domains over domains); any other type itself. */
  base: (oid: number) => number;
  /** pg_catalog.typname of a type, e.g. 'int4'. */
  name: (oid: number) => string | null;
};

export type Catalog = {
  tables: Map<number, CatalogTable>;
  /** Relations by display name (see CatalogTable.displayName). */
  tablesByName: Map<string, CatalogTable>;
  /** The relation `schema.name` or, unqualified, the first one on the search path; null when there is none. */
  resolveTable: (schema: string | null, name: string) => CatalogTable | null;
  searchPath: string[];
  foreignKeys: ForeignKey[];
  /** Every enforced foreign key, composite ones included (the owner isolation proof reads them). */
  foreignKeyColumns: ForeignKeyColumns[];
  triggers: TriggerWrites[];
  routines: Routines;
  /** Views' sources, inheritance parents, rules and user routines' effects (./dependencies.ts). */
  dependencies: Dependencies;
  type: (oid: number) => PgType;
  types: TypeFacts;
  /** Where a type is declared: its schema, its own name and whether it is a domain (`d`), enum (`e`)... */
  declaration: (oid: number) => { schema: string; name: string; typtype: string } | null;
};

type TypeRow = {
  oid: number;
  schema: string;
  name: string;
  typtype: string;
  category: string;
  array: number;
  elem: number;
  basetype: number;
  notnull: boolean;
  labels: string[] | null;
};

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

function typeResolver(rows: TypeRow[]): { type: (oid: number) => PgType; notNullDomain: (oid: number) => boolean } {
  const byOid = new Map(rows.map((row) => [row.oid, row]));
  const resolved = new Map<number, PgType>();
  const type = (oid: number): PgType => {
    const cached = resolved.get(oid);
    if (cached) return cached;
    const row = byOid.get(oid);
    if (row === undefined) throw new Error(`type OID ${oid} is not in pg_type`); // the pipeline turns this into a diagnostic
    let ts: TsType;
    // Domains map as their base type; enums, arrays and scalars by OID, whatever schema they live in.
    if (row.typtype === 'e') ts = { kind: 'enum', pgName: row.name, labels: row.labels ?? [] };
    else if (row.typtype === 'd') ts = type(row.basetype).ts;
    else if (row.elem !== 0 && row.name.startsWith('_')) {
      // node-postgres parses builtin arrays only; any other array (of enums, domains, composites) arrives as
      // text and generated code parses it into strings (see reviveSpec), so its elements are strings.
      const element = type(row.elem).ts;
      const parsed = row.schema === 'pg_catalog' && PG_PARSED_ARRAYS.has(row.name);
      ts = { kind: 'array', element: parsed || element.kind === 'enum' ? element : { kind: 'primitive', ts: 'string' } };
    }
    // Composites, ranges and unknown scalars arrive as their text form.
    else ts = (row.schema === 'pg_catalog' ? SCALARS[row.name] : undefined) ?? { kind: 'primitive', ts: 'string' };
    // A domain keeps its own name, so a column of domain type reads as its base (int8, numeric...) for input parsing.
    const name = row.typtype === 'd' ? type(row.basetype).name : row.name;
    const qualified =
      row.schema === 'pg_catalog' ? quoteIdentifier(row.name) : `${quoteIdentifier(row.schema)}.${quoteIdentifier(row.name)}`;
    const pgType = { oid, name, ts, qualified };
    resolved.set(oid, pgType);
    return pgType;
  };
  // A domain is NOT NULL when it or any domain it is based on says so.
  const notNullDomain = (oid: number): boolean => {
    for (
      let row = byOid.get(oid), depth = 0;
      row !== undefined && row.typtype === 'd' && depth < 32;
      row = byOid.get(row.basetype), depth++
    ) {
      if (row.notnull) return true;
    }
    return false;
  };
  return { type, notNullDomain };
}

const RELKINDS: Record<string, RelationKind> = { r: 'table', p: 'partitioned', v: 'view', m: 'materialized', f: 'foreign' };

/** `trustNotNullDomains`: a NOT NULL domain makes a column non-null (the config's nullability key; see there). */
export type CatalogOptions = { trustNotNullDomains: boolean };

export async function loadCatalog(sql: postgres.Sql, options: CatalogOptions = { trustNotNullDomains: false }): Promise<Catalog> {
  const typeRows = await sql<TypeRow[]>`
    SELECT t.oid::int AS oid, n.nspname AS schema, t.typname AS name, t.typtype::text AS typtype,
           t.typcategory::text AS category, t.typarray::int AS array, t.typelem::int AS elem, t.typbasetype::int AS basetype, t.typnotnull AS notnull,
           (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace`;
  const { type, notNullDomain } = typeResolver([...typeRows]);

  const [{ path } = { path: [] }] = await sql<{ path: string[] }[]>`SELECT current_schemas(true)::text[] AS path`;
  const searchPath = path.filter((schema) => !schema.startsWith('pg_temp'));
  const types = typeFacts([...typeRows], searchPath);

  const columnRows = await sql<
    {
      table_oid: number;
      schema: string;
      table_name: string;
      relkind: string;
      definition: string | null;
      instead_of: boolean;
      attnum: number;
      name: string;
      not_null: boolean;
      type_oid: number;
    }[]
  >`
    SELECT c.oid::int AS table_oid, n.nspname AS schema, c.relname AS table_name, c.relkind::text AS relkind,
           -- A materialized view holds the rows of its last REFRESH, not what its definition yields under today's
           -- NOT NULLs: only a plain view is analysed through its definition.
           CASE WHEN c.relkind = 'v' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                THEN pg_get_viewdef(c.oid) END AS definition,
           EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = c.oid AND (t.tgtype & 64) <> 0)
             OR EXISTS (SELECT FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.is_instead AND r.ev_type <> '1') AS instead_of,
           a.attnum::int AS attnum, a.attname AS name,
           -- PostgreSQL 18 can add NOT NULL as NOT VALID: rows from before it may still hold NULL.
           a.attnotnull AND NOT EXISTS (
             SELECT FROM pg_constraint k
             WHERE k.conrelid = c.oid AND k.contype = 'n' AND NOT k.convalidated AND k.conkey[1] = a.attnum
           ) AS not_null,
           a.atttypid::int AS type_oid
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname <> 'pg_toast'`;
  const tables = new Map<number, CatalogTable>();
  for (const row of columnRows) {
    let table = tables.get(row.table_oid);
    const kind = RELKINDS[row.relkind] ?? 'table';
    if (!table) {
      table = {
        oid: row.table_oid,
        schema: row.schema,
        name: row.table_name,
        displayName: row.table_name,
        kind,
        columns: new Map(),
        uniqueKeys: [],
        definition: row.definition,
        insteadOfTriggers: row.instead_of,
      };
      tables.set(row.table_oid, table);
    }
    // A foreign table's NOT NULL is not enforced by PostgreSQL; a view's columns come from its definition.
    const storedNotNull = kind !== 'foreign' && kind !== 'view' && kind !== 'materialized' && row.not_null;
    // A NOT NULL domain proves nothing about stored values (an empty scalar subquery writes NULL through it).
    const domainNotNull =
      options.trustNotNullDomains && kind !== 'foreign' && kind !== 'view' && kind !== 'materialized' && notNullDomain(row.type_oid);
    table.columns.set(row.attnum, {
      name: row.name,
      attnum: row.attnum,
      notNull: storedNotNull || domainNotNull,
      typeOid: row.type_oid,
    });
  }
  const dependencies = await loadDependencies(sql);
  // Read through a parent (no ONLY), a table yields its children's rows too: a parent's NOT NULL NO INHERIT (or
  // ALTER TABLE ONLY ... SET NOT NULL) does not hold for them, so a column is non-null only if it is in every child.
  for (const [childOid, parentOid] of dependencies.parent) {
    const child = tables.get(childOid);
    for (let ancestor = tables.get(parentOid), depth = 0; ancestor !== undefined && depth < 64; depth++) {
      for (const column of ancestor.columns.values()) {
        const inChild = child === undefined ? undefined : [...child.columns.values()].find((c) => c.name === column.name);
        if (inChild === undefined || !inChild.notNull) column.notNull = false;
      }
      const next = dependencies.parent.get(ancestor.oid);
      ancestor = next === undefined ? undefined : tables.get(next);
    }
  }
  const bySchemaName = new Map([...tables.values()].map((table) => [`${table.schema}.${table.name}`, table]));
  const resolveTable = (schema: string | null, name: string): CatalogTable | null => {
    if (schema !== null) return bySchemaName.get(`${schema}.${name}`) ?? null;
    for (const candidate of searchPath) {
      const found = bySchemaName.get(`${candidate}.${name}`);
      if (found) return found;
    }
    return null;
  };
  for (const table of tables.values()) {
    if (resolveTable(null, table.name) !== table) table.displayName = `${table.schema}.${table.name}`;
  }

  const uniqueRows = await sql<{ table_oid: number; keys: number[] }[]>`
    SELECT i.indrelid::int AS table_oid, string_to_array(i.indkey::text, ' ')::int[] AS keys
    FROM pg_index i
    WHERE i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL`;
  for (const row of uniqueRows) tables.get(row.table_oid)?.uniqueKeys.push(row.keys);
  // pg_catalog's own tables are left out by display name when a user relation shadows them.
  const tablesByName = new Map<string, CatalogTable>();
  for (const table of tables.values()) if (!tablesByName.has(table.displayName)) tablesByName.set(table.displayName, table);
  const foreignKeys = await sql<ForeignKey[]>`
    SELECT conrelid::int AS table, conkey[1]::int AS attnum, confrelid::int AS "refTable", confkey[1]::int AS "refAttnum"
    FROM pg_constraint
    WHERE contype = 'f' AND cardinality(conkey) = 1`;
  // A deferrable or NOT VALID key can be broken while a statement runs: it proves nothing about the rows it sees.
  const foreignKeyColumns = await sql<ForeignKeyColumns[]>`
    SELECT conrelid::int AS table, conkey::int[] AS columns, confrelid::int AS "refTable", confkey::int[] AS "refColumns"
    FROM pg_constraint
    WHERE contype = 'f' AND NOT condeferrable AND convalidated`;
  const triggerRows = await sql<{ table: number; type: number; body: string }[]>`
    SELECT t.tgrelid::int AS table, t.tgtype::int AS type, p.prosrc AS body
    FROM pg_trigger t
    JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE NOT t.tgisinternal`;
  const resolveParts = (parts: string[]) =>
    resolveTable(parts.length > 1 ? (parts.at(-2) ?? null) : null, parts.at(-1) ?? '')?.displayName ?? null;
  const triggers = triggerRows
    .flatMap((row) => {
      const table = tables.get(row.table);
      return table === undefined ? [] : [{ ...row, table: table.displayName }];
    })
    .map((row) => ({
      table: row.table,
      // tgtype bits: 4 INSERT, 8 DELETE, 16 UPDATE.
      events: [
        ...(row.type & 4 ? (['insert'] as const) : []),
        ...(row.type & 16 ? (['update'] as const) : []),
        ...(row.type & 8 ? (['delete'] as const) : []),
      ],
      // Names in the body resolve through the codegen session's search path (a function's own SET search_path aside).
      writes: writtenByBody(row.body).flatMap((parts) => resolveParts(parts) ?? []),
    }));
  const typeByOid = new Map(typeRows.map((row) => [row.oid, row]));
  const declaration = (oid: number) => {
    const row = typeByOid.get(oid);
    return row === undefined ? null : { schema: row.schema, name: row.name, typtype: row.typtype };
  };
  return {
    tables,
    tablesByName,
    resolveTable,
    searchPath,
    foreignKeys: [...foreignKeys],
    foreignKeyColumns: [...foreignKeyColumns],
    triggers,
    routines: await loadRoutines(sql),
    dependencies,
    type,
    types,
    declaration,
  };
}

function typeFacts(rows: TypeRow[], searchPath: string[]): TypeFacts {
  const byOid = new Map(rows.map((row) => [row.oid, row]));
  const byName = new Map(rows.map((row) => [`${row.schema}.${row.name}`, row]));
  const base = (oid: number): number => {
    let current = oid;
    for (let depth = 0; depth < 32; depth++) {
      const row = byOid.get(current);
      if (row === undefined || row.typtype !== 'd') return current;
      current = row.basetype;
    }
    return current;
  };
  return {
    base,
    name: (oid) => byOid.get(oid)?.name ?? null,
    category: (oid) => byOid.get(oid)?.category ?? null,
    resolve: (names, array) => {
      const name = names.at(-1) ?? '';
      const schema = names.length >= 2 ? (names.at(-2) ?? null) : null;
      const row =
        schema !== null
          ? byName.get(`${schema}.${name}`)
          : searchPath.map((candidate) => byName.get(`${candidate}.${name}`)).find((found) => found !== undefined);
      if (row === undefined) return null;
      return array ? (row.array === 0 ? null : row.array) : row.oid;
    },
  };
}

async function loadRoutines(sql: postgres.Sql): Promise<Routines> {
  const names = async (query: postgres.PendingQuery<{ name: string }[]>) => new Set((await query).map((row) => row.name));
  return {
    userFunctions: await names(sql`
      SELECT DISTINCT p.proname AS name FROM pg_proc p WHERE p.pronamespace <> 'pg_catalog'::regnamespace`),
    userOperators: await names(sql`
      SELECT DISTINCT o.oprname AS name FROM pg_operator o WHERE o.oprnamespace <> 'pg_catalog'::regnamespace`),
    aggregates: await names(sql`
      SELECT p.proname AS name FROM pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace
      GROUP BY p.proname HAVING bool_and(p.prokind = 'a')`),
    setReturning: await names(sql`SELECT DISTINCT p.proname AS name FROM pg_proc p WHERE p.proretset`),
    userCastTargets: await names(sql`
      SELECT DISTINCT t.typname AS name
      FROM pg_cast c JOIN pg_proc p ON p.oid = c.castfunc JOIN pg_type t ON t.oid = c.casttarget
      WHERE p.pronamespace <> 'pg_catalog'::regnamespace`),
    returnTypes: new Map(
      (
        await sql<{ name: string; type: number }[]>`
          SELECT p.proname AS name, min(p.prorettype)::int AS type
          FROM pg_proc p JOIN pg_type t ON t.oid = p.prorettype
          WHERE p.pronamespace = 'pg_catalog'::regnamespace
          GROUP BY p.proname
          HAVING count(DISTINCT p.prorettype) = 1 AND bool_and(t.typtype <> 'p')`
      ).map((row) => [row.name, row.type]),
    ),
    operators: new Map(
      (
        await sql<{ key: string; type: number }[]>`
          SELECT o.oprname || ':' || o.oprleft::int || ':' || o.oprright::int AS key, o.oprresult::int AS type
          FROM pg_operator o WHERE o.oprnamespace = 'pg_catalog'::regnamespace`
      ).map((row) => [row.key, row.type]),
    ),
  };
}
