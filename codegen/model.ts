// Plain data that flows through the pipeline: parse -> describe -> check -> (plan) -> emit.
import type { CachePolicy, WriteEffect } from '../src/runtime/contract.js';
import type { OrderTerm, QueryKind, TsType, TypeModel } from './manifest.js';

export type { OrderTerm, QueryKind, TsType };

export type SourceLocation = { file: string; line: number };

export type IncludeAnnotation = {
  parent: string;
  name: string;
  cardinality: 'one' | 'many';
  limit: number | null;
};

export type Annotations = {
  order: OrderTerm[] | null;
  cache: { ttlMs: number; text: string } | null;
  budgetMs: number | null;
  allowSeqscan: string | null;
  /** Output columns declared non-null by the author, for expressions inference cannot prove. */
  notNull: string[];
  /** `-- replica: ok`: the read may be served by a streaming replica (read-your-writes still applies). */
  replica: boolean;
};

/** A named query as written in a .sql file, before any database work. */
export type ParsedQuery = {
  name: string;
  kind: QueryKind;
  location: SourceLocation;
  /** Line in the file where the SQL text starts; database error positions map from here. */
  sqlLine: number;
  /** The SQL as written, with named params. */
  source: string;
  /** Positional SQL: named params rewritten to $1..$n. */
  text: string;
  params: ParsedParam[];
  /** The SQL with every param occurrence numbered apart, for diagnosing conflicting param types. */
  probe: { text: string; occurrences: string[] };
  annotations: Annotations;
  include: IncludeAnnotation | null;
};

export type ParsedParam = {
  name: string;
  position: number;
  optional: boolean;
};

/** The PostgreSQL type of a param or column as the pipeline carries it: the model's TypeModel and its OID. */
export type PgType = TypeModel & { oid: number };

export type DescribedColumn = {
  name: string;
  type: PgType;
  nullable: boolean;
  /** Base table column, when the output is a plain column reference. */
  origin: { tableOid: number; table: string; attnum: number; column: string } | null;
};

export type DescribedParam = ParsedParam & { type: PgType };

export type TableAccess = { read: string[]; written: string[] };

export type DescribedInclude = {
  /** Field name on the parent row. */
  name: string;
  /** Full include path, e.g. listExposures.latestAlerts. */
  path: string;
  cardinality: 'one' | 'many';
  limit: number | null;
  order: OrderTerm[] | null;
  /** A :one include is null when the related row may be missing (no NOT NULL foreign key guarantees it). */
  optional: boolean;
  columns: DescribedColumn[];
  children: DescribedInclude[];
  source: string;
  location: SourceLocation;
};

/** The statements the generated function runs: one, or a first-page and an after-cursor pair for :list. */
export type FinalStatements = { kind: 'single'; text: string } | { kind: 'list'; first: string; after: string; cursorColumns: string[] };

export type DescribedBase = ParsedQuery & {
  describedParams: DescribedParam[];
  columns: DescribedColumn[];
  tables: TableAccess;
};

export type DescribedQuery = DescribedBase & {
  includes: DescribedInclude[];
  final: FinalStatements;
  cachePolicy: CachePolicy | null;
  effect: WriteEffect | null;
};

/**
 * A problem that stops a query from being generated: where, which query (null for a file-level problem), what,
 * and the fix, because an error without a fix sends the author to the docs.
 *
 * @example
 * ```ts
 * import { formatError, type CodegenError } from 'sqlbound/codegen';
 *
 * const error: CodegenError = {
 *   location: { file: 'sql/queries/alerts.sql', line: 1 },
 *   query: 'listAlerts',
 *   message: ':list query listAlerts has no "-- order:"',
 *   fix: 'add "-- order: created_at DESC, id DESC" (any order ending in a unique, non-null column)',
 * };
 * console.error(formatError(error));
 * ```
 */
export type CodegenError = { location: SourceLocation; query: string | null; message: string; fix: string };

/**
 * Why the analysis left something nullable; printed by `npm run codegen -- --debug`, recorded in golden cases.
 * Not an error: the generated type is still sound, only wider than the author may expect.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { describeQueryFile, type CodegenNote } from 'sqlbound/codegen';
 *
 * const text = await readFile('sql/queries/alerts.sql', 'utf8');
 * const { notes } = await describeQueryFile(process.env.DATABASE_URL!, { file: 'sql/queries/alerts.sql', text });
 * for (const note of notes satisfies CodegenNote[]) console.log(`${note.location.file}:${note.location.line} ${note.query}: ${note.message}`);
 * ```
 */
export type CodegenNote = { location: SourceLocation; query: string; message: string };

/**
 * One error as the CLI prints it: `file:line (query name): message`, then the fix on its own line.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { describeQueryFile, formatError } from 'sqlbound/codegen';
 *
 * const text = await readFile('sql/queries/alerts.sql', 'utf8');
 * const { errors } = await describeQueryFile(process.env.DATABASE_URL!, { file: 'sql/queries/alerts.sql', text });
 * if (errors.length > 0) throw new Error(errors.map(formatError).join('\n'));
 * ```
 */
export function formatError(error: CodegenError): string {
  const where = `${error.location.file}:${error.location.line}`;
  const query = error.query === null ? '' : ` (query ${error.query})`;
  return `${where}${query}: ${error.message}\n  fix: ${error.fix}`;
}

export class CodegenFailure extends Error {
  override readonly name = 'CodegenFailure';
  constructor(readonly errors: CodegenError[]) {
    super(errors.map(formatError).join('\n'));
  }
}
