// The intermediate representation, defined once: what codegen knows about each query after describe, check,
// compose and plan. Emit, the audit, the cache policies, `manifest.json` and outside tools read this model and
// import nothing else from codegen (as sqlc's generators read only its plugin request). It is plain data: the
// manifest file is its JSON, validated on load with the zod schema below, so a stale or foreign file fails with
// the key at fault instead of a wrong answer later.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { CachePolicy, WriteEffect } from 'sqlbound';

/**
 * A column of the keyset order, or of an include's order, from the query's `-- order:` line.
 *
 * @example
 * ```ts
 * import type { OrderTerm } from '@sqlbound/cli/codegen';
 *
 * // -- order: created_at DESC, id DESC
 * const order: OrderTerm[] = [{ column: 'created_at', direction: 'DESC' }, { column: 'id', direction: 'DESC' }];
 * ```
 */
export type OrderTerm = { column: string; direction: 'ASC' | 'DESC' };

/**
 * The TypeScript side of a PostgreSQL type, as the runtime value arrives (node-postgres's default parsers): int8
 * and numeric are strings unless the config says otherwise, because that is what pg returns. Structured rather
 * than a string, so tools can tell an enum's labels or an array's element; tsTypeOf prints it.
 *
 * @example
 * ```ts
 * import { tsTypeOf, type TsType } from '@sqlbound/cli/codegen';
 *
 * const severities: TsType = { kind: 'array', element: { kind: 'enum', pgName: 'alert_severity', labels: ['low', 'high'] } };
 * tsTypeOf(severities); // '("low" | "high")[]'
 * ```
 */
export type TsType =
  | { kind: 'primitive'; ts: 'string' | 'number' | 'boolean' | 'Date' | 'Buffer' | 'JsonValue' | 'bigint' }
  | { kind: 'enum'; pgName: string; labels: string[] }
  | { kind: 'array'; element: TsType }
  /** A type named by the config's overrides (a domain's own type), imported from `from` when given. */
  | { kind: 'named'; name: string; from: string | null; base: TsType };

/**
 * A PostgreSQL type: its name (a domain reports its base type's name) and TypeScript type. No OID: those of user
 * types differ between databases, and the manifest must not.
 *
 * @example
 * ```ts
 * import type { TypeModel } from '@sqlbound/cli/codegen';
 *
 * const createdAt: TypeModel = { name: 'timestamptz', ts: { kind: 'primitive', ts: 'Date' } };
 * ```
 */
export type TypeModel = { name: string; ts: TsType };

/**
 * A named param of a query (`:userId`, or `:severity?` when optional) and the type PostgreSQL inferred for it.
 *
 * @example
 * ```ts
 * import type { ParamModel } from '@sqlbound/cli/codegen';
 *
 * const userId: ParamModel = { name: 'userId', position: 1, optional: false, type: { name: 'int8', ts: { kind: 'primitive', ts: 'string' } } };
 * ```
 */
export type ParamModel = {
  name: string;
  /** `$n` in the positional SQL. */
  position: number;
  /** Declared with `?`: the generated param is `T | null` and may be left out. */
  optional: boolean;
  type: TypeModel;
};

/**
 * An output column: its type and whether it can be null, as codegen proved it (nullable when in doubt).
 *
 * @example
 * ```ts
 * import type { ColumnModel } from '@sqlbound/cli/codegen';
 *
 * const phone: ColumnModel = { name: 'phone', type: { name: 'text', ts: { kind: 'primitive', ts: 'string' } }, nullable: true, origin: 'users.phone' };
 * ```
 */
export type ColumnModel = {
  name: string;
  type: TypeModel;
  nullable: boolean;
  /** `table.column` when the output is a plain column of a table. */
  origin: string | null;
};

/**
 * An `-- include:`: a correlated query whose rows come back as a field of the parent row, in the same statement.
 *
 * @example
 * ```ts
 * import { loadManifest, type IncludeModel } from '@sqlbound/cli/codegen';
 *
 * const manifest = await loadManifest('generated/manifest.json');
 * const includes: IncludeModel[] = manifest.queries.find((query) => query.name === 'getDashboard')?.includes ?? [];
 * includes.map((include) => `${include.path} :${include.cardinality}`); // ['getDashboard.recentAlerts :many', ...]
 * ```
 */
export type IncludeModel = {
  /** Field name on the parent row. */
  name: string;
  /** Full path, e.g. `listExposures.latestAlerts`. */
  path: string;
  cardinality: 'one' | 'many';
  limit: number | null;
  /** A `:one` include that may find no row (no NOT NULL foreign key proves it exists). */
  optional: boolean;
  columns: ColumnModel[];
  includes: IncludeModel[];
};

/**
 * The statements a generated function runs: one, or the first-page and after-cursor pair of a `:list`, as they
 * are sent (pagination and includes composed in).
 *
 * @example
 * ```ts
 * import type { StatementsModel } from '@sqlbound/cli/codegen';
 *
 * const sent = (statements: StatementsModel): string[] =>
 *   statements.kind === 'single' ? [statements.text] : [statements.first, statements.after];
 * sent({ kind: 'single', text: 'SELECT id, email FROM users WHERE id = $1' }); // ['SELECT id, email FROM users WHERE id = $1']
 * ```
 */
export type StatementsModel = { kind: 'single'; text: string } | { kind: 'list'; first: string; after: string; cursorColumns: string[] };

/**
 * Whether a query is confined to one owner's rows: `owner` (proven: every owned row it touches has its owner column
 * equal to `param`; `params` when the config names several owned columns), `any` (`-- owner: any -- <reason>`: it
 * crosses owners on purpose), or `none` (it touches no owned table).
 *
 * @example
 * ```ts
 * import { loadManifest } from '@sqlbound/cli/codegen';
 *
 * const { queries } = await loadManifest('generated/manifest.json');
 * const crossing = queries.flatMap((query) => (query.isolation.kind === 'any' ? [`${query.name}: ${query.isolation.reason}`] : []));
 * ```
 */
export type Isolation = { kind: 'owner'; param: string; params: string[] } | { kind: 'any'; reason: string } | { kind: 'none' };

/** Cache policy and write effect are the runtime's own types: generated statements carry them as they are. */
/**
 * The `:kind` of a `-- name:` line: `one` (exactly one row), `maybe` (zero or one), `list` (keyset pages),
 * `exec` (affected count), `stream` (batches from a server-side cursor).
 *
 * @example
 * ```ts
 * import type { QueryKind } from '@sqlbound/cli/codegen';
 *
 * const paginated = (kind: QueryKind) => kind === 'list';
 * ```
 */
export type QueryKind = 'one' | 'maybe' | 'list' | 'exec' | 'stream';

/**
 * Everything codegen knows about one query: the model emit, the audit and the cache read, and the entries of
 * `manifest.json`. Plain data, so an outside tool needs no codegen internals to use it.
 *
 * @example
 * ```ts
 * import { loadManifest, type QueryModel } from '@sqlbound/cli/codegen';
 *
 * const { queries } = await loadManifest('generated/manifest.json');
 * const writers: QueryModel[] = queries.filter((query) => query.tables.written.includes('alerts'));
 * for (const query of writers) console.log(`${query.file}:${query.line} ${query.name} :${query.kind}`);
 * ```
 */
export type QueryModel = {
  name: string;
  kind: QueryKind;
  /** The query file, relative to the config file's folder, and the line of its `-- name:`. */
  file: string;
  line: number;
  /** The SQL as written, with named params. */
  sql: string;
  /** Positional SQL (`$1..$n`), before pagination and includes are composed in. */
  text: string;
  statements: StatementsModel;
  params: ParamModel[];
  columns: ColumnModel[];
  includes: IncludeModel[];
  tables: { read: string[]; written: string[] };
  order: OrderTerm[] | null;
  cache: CachePolicy | null;
  effect: WriteEffect | null;
  budgetMs: number | null;
  allowSeqscan: string | null;
  /** `-- allow: sort <reason>`: a sort may run over a whole table (null in manifests written before it). */
  allowSort: string | null;
  /** Writes nothing (not :exec, no table written, triggers included): the runtime may route it to a replica. */
  readOnly: boolean;
  /** `-- replica: ok`: routed to a replica unless the call says otherwise (docs/operations.md, Topology). */
  replica: boolean;
  /**
   * Whether codegen proved the statement's plan uses indexes, or why it has no plan (a utility statement). When
   * checked, one proof per statement the function runs (a :list's first page, then the page after a cursor).
   */
  plan: { kind: 'checked'; statements: PlanProof[] } | { kind: 'skipped'; reason: string };
  /** Owner isolation: proven for a param, crossed on purpose with a reason, or no owned table touched. */
  isolation: Isolation;
};

/**
 * How a statement's generic plan finds and orders its rows: the indexes whose conditions find them, the index walked
 * for the order (null when none is), and each sort left over found rows with the planner's row estimate on the empty
 * schema (the plan audit measures it on production-sized data against the query's budget).
 *
 * @example
 * ```ts
 * import type { PlanProof } from '@sqlbound/cli/codegen';
 *
 * const proof: PlanProof = { foundBy: ['books_search_gin'], orderedBy: null, sorts: [{ keys: ['created_at DESC', 'id DESC'], rows: 10 }] };
 * ```
 */
export type PlanProof = { foundBy: string[]; orderedBy: string | null; sorts: { keys: string[]; rows: number }[] };

/**
 * The manifest format's version. It changes when the model does, so a tool reading an older file gets an error
 * that says to run codegen, not a wrong answer.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { MANIFEST_VERSION } from '@sqlbound/cli/codegen';
 *
 * const { version } = JSON.parse(await readFile('generated/manifest.json', 'utf8')) as { version: number };
 * if (version !== MANIFEST_VERSION) throw new Error('stale manifest: run sqlbound codegen');
 * ```
 */
export const MANIFEST_VERSION = 4;

/**
 * The content of `manifest.json`: every generated query's model.
 *
 * @example
 * ```ts
 * import { loadManifest, type Manifest } from '@sqlbound/cli/codegen';
 *
 * const manifest: Manifest = await loadManifest('generated/manifest.json');
 * const cached = manifest.queries.filter((query) => query.cache !== null).map((query) => query.name);
 * ```
 */
export type Manifest = { version: typeof MANIFEST_VERSION; queries: QueryModel[] };

const tsTypeSchema: z.ZodType<TsType> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('primitive'), ts: z.enum(['string', 'number', 'boolean', 'Date', 'Buffer', 'JsonValue', 'bigint']) }),
    z.strictObject({ kind: z.literal('enum'), pgName: z.string(), labels: z.array(z.string()) }),
    z.strictObject({ kind: z.literal('array'), element: tsTypeSchema }),
    z.strictObject({ kind: z.literal('named'), name: z.string(), from: z.string().nullable(), base: tsTypeSchema }),
  ]),
);
const typeSchema = z.strictObject({ name: z.string(), ts: tsTypeSchema });
const columnSchema = z.strictObject({ name: z.string(), type: typeSchema, nullable: z.boolean(), origin: z.string().nullable() });
const includeSchema: z.ZodType<IncludeModel> = z.lazy(() =>
  z.strictObject({
    name: z.string(),
    path: z.string(),
    cardinality: z.enum(['one', 'many']),
    limit: z.number().int().nullable(),
    optional: z.boolean(),
    columns: z.array(columnSchema),
    includes: z.array(includeSchema),
  }),
);
const touchSchema = z.strictObject({ table: z.string(), scoped: z.boolean() });
const scopeSchema = z.strictObject({ param: z.string(), index: z.number().int() }).nullable();
const orderSchema = z.array(z.strictObject({ column: z.string(), direction: z.enum(['ASC', 'DESC']) })).nullable();

const querySchema = z.strictObject({
  name: z.string(),
  kind: z.enum(['one', 'maybe', 'list', 'exec', 'stream']),
  file: z.string(),
  line: z.number().int(),
  sql: z.string(),
  text: z.string(),
  statements: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('single'), text: z.string() }),
    z.strictObject({ kind: z.literal('list'), first: z.string(), after: z.string(), cursorColumns: z.array(z.string()) }),
  ]),
  params: z.array(z.strictObject({ name: z.string(), position: z.number().int(), optional: z.boolean(), type: typeSchema })),
  columns: z.array(columnSchema),
  includes: z.array(includeSchema),
  tables: z.strictObject({ read: z.array(z.string()), written: z.array(z.string()) }),
  order: orderSchema,
  cache: z.strictObject({ ttlMs: z.number(), reads: z.array(touchSchema), scope: scopeSchema }).nullable(),
  effect: z.strictObject({ writes: z.array(touchSchema), scope: scopeSchema }).nullable(),
  budgetMs: z.number().nullable(),
  allowSeqscan: z.string().nullable(),
  allowSort: z.string().nullable().default(null),
  // Absent in manifests written before replicas: read as "not proven", so nothing is routed by mistake.
  readOnly: z.boolean().default(false),
  replica: z.boolean().default(false),
  // Absent in manifests written before utility statements: every statement then had its plan checked.
  plan: z
    .discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('checked'),
        // Absent in manifests written before the proof was recorded: nothing is known of how the rows were found.
        statements: z
          .array(
            z.strictObject({
              foundBy: z.array(z.string()),
              orderedBy: z.string().nullable(),
              sorts: z.array(z.strictObject({ keys: z.array(z.string()), rows: z.number() })),
            }),
          )
          .default([]),
      }),
      z.strictObject({ kind: z.literal('skipped'), reason: z.string() }),
    ])
    .default({ kind: 'checked', statements: [] }),
  // Absent in manifests written before owner isolation: nothing was proven, which is what `none` would wrongly claim
  // of an owned table, so such a manifest reads as crossing owners until codegen runs again.
  isolation: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('owner'), param: z.string(), params: z.array(z.string()) }),
      z.strictObject({ kind: z.literal('any'), reason: z.string() }),
      z.strictObject({ kind: z.literal('none') }),
    ])
    .default({ kind: 'any', reason: 'written before owner isolation was checked: run sqlbound codegen' }),
});

const manifestSchema = z.strictObject({ version: z.literal(MANIFEST_VERSION), queries: z.array(querySchema) });

/**
 * Validates parsed JSON as a manifest; the error names the key at fault. For a manifest that does not come from
 * a file (fetched, embedded in a bundle).
 *
 * @example
 * ```ts
 * import { parseManifest } from '@sqlbound/cli/codegen';
 *
 * const manifest = parseManifest(await (await fetch('https://example.com/manifest.json')).json(), 'remote manifest');
 * ```
 */
export function parseManifest(value: unknown, source = 'manifest'): Manifest {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : ` at ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
    throw new Error(`${source} is not a version ${MANIFEST_VERSION} sqlbound manifest${where} (run sqlbound codegen)`);
  }
  return parsed.data;
}

/**
 * Reads a `manifest.json` written by `sqlbound codegen`. A missing, unreadable or stale file is an Error that says
 * to run codegen.
 *
 * @example
 * ```ts
 * import { loadManifest } from '@sqlbound/cli/codegen';
 *
 * const manifest = await loadManifest('generated/manifest.json');
 * for (const query of manifest.queries) console.log(query.name, query.kind, query.budgetMs);
 * ```
 */
export async function loadManifest(path: string): Promise<Manifest> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the manifest ${path}: ${error instanceof Error ? error.message : String(error)} (run sqlbound codegen)`, {
      cause: error,
    });
  }
  return parseManifest(value, path);
}

export function serializeManifest(queries: QueryModel[]): string {
  const manifest: Manifest = { version: MANIFEST_VERSION, queries };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
