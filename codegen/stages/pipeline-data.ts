// The pipeline's working data: what flows between the stages (parse -> describe -> check -> compose -> verify)
// before to-model turns it into the manifest's model (codegen/manifest/manifest.ts), which is all emit and the audit see.
import type { CachePolicy, WriteEffect } from 'sqlbound';
import type { Isolation, OrderTerm, QueryKind, QueryModel } from '../manifest/manifest.js';
import type { SourceLocation } from '../diagnostics.js';
import type { PgType } from '../analysis/catalog.js';
import type { TableAccess } from '../analysis/analyze.js';

export type { OrderTerm, QueryKind };

export type { PgType, SourceLocation, TableAccess };

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
  allowSort: string | null;
  /** Output columns declared non-null by the author, for expressions inference cannot prove. */
  notNull: string[];
  /** `-- replica: ok`: the read may be served by a streaming replica (read-your-writes still applies). */
  replica: boolean;
  /** `-- owner: any -- <reason>`: the statement crosses owners on purpose; isolation is not proven. */
  ownerAny: string | null;
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

export type DescribedColumn = {
  name: string;
  type: PgType;
  nullable: boolean;
  /** Base table column, when the output is a plain column reference. */
  origin: { tableOid: number; table: string; attnum: number; column: string } | null;
};

export type DescribedParam = ParsedParam & { type: PgType };

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
  isolation: Isolation;
};

/** Whether the verify stage checked the statement's plan, or why it could not (a utility statement has none). */
export type PlanCheck = QueryModel['plan'];

export type VerifiedQuery = DescribedQuery & { plan: PlanCheck };
