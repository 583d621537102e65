// The intermediate representation, defined once: what codegen knows about each query after describe, check,
// compose and plan. Emit, the audit, the cache policies, `manifest.json` and outside tools read this model and
// import nothing else from codegen (as sqlc's generators read only its plugin request). It is plain data: the
// manifest file is its JSON, validated on load with the zod schema below, so a stale or foreign file fails with
// the key at fault instead of a wrong answer later.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { CachePolicy, WriteEffect } from '../src/runtime/contract.js';

/** A column of the keyset order, or of an include's order. */
export type OrderTerm = { column: string; direction: 'ASC' | 'DESC' };

/** The TypeScript side of a PostgreSQL type, as the runtime value arrives (node-postgres's default parsers). */
export type TsType =
  | { kind: 'primitive'; ts: 'string' | 'number' | 'boolean' | 'Date' | 'Buffer' | 'JsonValue' | 'bigint' }
  | { kind: 'enum'; pgName: string; labels: string[] }
  | { kind: 'array'; element: TsType }
  /** A type named by the config's overrides (a domain's own type), imported from `from` when given. */
  | { kind: 'named'; name: string; from: string | null; base: TsType };

/**
 * A PostgreSQL type: its name (a domain reports its base type's name) and TypeScript type. No OID: those of user
 * types differ between databases, and the manifest must not.
 */
export type TypeModel = { name: string; ts: TsType };

export type ParamModel = {
  name: string;
  /** `$n` in the positional SQL. */
  position: number;
  /** Declared with `?`: the generated param is `T | null` and may be left out. */
  optional: boolean;
  type: TypeModel;
};

export type ColumnModel = {
  name: string;
  type: TypeModel;
  nullable: boolean;
  /** `table.column` when the output is a plain column of a table. */
  origin: string | null;
};

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

/** The statements a generated function runs: one, or the first-page and after-cursor pair of a `:list`. */
export type StatementsModel =
  | { kind: 'single'; text: string }
  | { kind: 'list'; first: string; after: string; cursorColumns: string[] };

/** Cache policy and write effect are the runtime's own types: generated statements carry them as they are. */
export type { CachePolicy, WriteEffect };

export type QueryKind = 'one' | 'maybe' | 'list' | 'exec' | 'stream';

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
  /** Writes nothing (not :exec, no table written, triggers included): the runtime may route it to a replica. */
  readOnly: boolean;
  /** `-- replica: ok`: routed to a replica unless the call says otherwise (docs/operations.md, Topology). */
  replica: boolean;
};

export const MANIFEST_VERSION = 2;

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
  // Absent in manifests written before replicas: read as "not proven", so nothing is routed by mistake.
  readOnly: z.boolean().default(false),
  replica: z.boolean().default(false),
});

const manifestSchema = z.strictObject({ version: z.literal(MANIFEST_VERSION), queries: z.array(querySchema) });

/** Validates parsed JSON as a manifest; the error names the key at fault. */
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
 * Reads a `manifest.json` written by `sqlbound codegen`.
 *
 * ### Examples
 * ```ts
 * const manifest = await loadManifest('generated/manifest.json');
 * for (const query of manifest.queries) console.log(query.name, query.kind, query.budgetMs);
 * ```
 */
export async function loadManifest(path: string): Promise<Manifest> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the manifest ${path}: ${error instanceof Error ? error.message : String(error)} (run sqlbound codegen)`);
  }
  return parseManifest(value, path);
}

export function serializeManifest(queries: QueryModel[]): string {
  const manifest: Manifest = { version: MANIFEST_VERSION, queries };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
