// The plan audit: every named query of the manifest, run with EXPLAIN (ANALYZE, BUFFERS) on sample parameters
// drawn from the data, every plan node checked, p50/p95 measured, plus the schema audit and the indexes no plan
// used. Returns structured results; the CLI (scripts/audit.ts) renders and exits, tests assert on them.
//
// Timing: each run's time is the plan's "Planning Time" + "Execution Time" as the server measured them (no
// network, no client). Statements are sent unnamed with bound parameters, so each run is planned for its
// values (a custom plan) and planning is part of the cost; the execution-only figures are kept as well.
// EXPLAIN ANALYZE's per-node timing adds some overhead, the same for every query.
import pg from 'pg';
import type { Manifest } from '../manifest/manifest.js';
import { checkPlan, findingKey, sortsOf, type CheckContext, type QueryFinding, type SortSeen } from './checks.js';
import { indexesUsed, parseExplain, summarize, type Explained } from './explain.js';
import { drawOwners, Sampler, type ManifestQuery, type SampleCase, type SamplingRules } from './samples.js';
import { auditSchema, type AuditOptions, type SchemaFinding } from './schema.js';
import { indexTarget, type OrderTerm } from './suggest.js';
import { readSuggestionCatalog, type SuggestionCatalog } from './suggestion-catalog.js';
import { unusedIndexes, type UnusedIndex } from './unused.js';

export type PlanAuditOptions = {
  /** How to fill each query's params from the data (from the config's `audit` and `cache` keys). */
  rules: SamplingRules;
  /** Budgets by query name; they replace the queries' own `-- budget:` annotations. */
  budgets?: Readonly<Record<string, number>>;
  /**
   * Judge p95 against budgets (default true). Tests on small data on a shared machine turn it off: a budget is
   * a claim about production-sized data, judged by `npm run audit`, and one stall would fail a unit test.
   */
  judgeBudgets?: boolean;
  /** Options of the schema audit (scope and time columns). */
  schema?: AuditOptions;
  /** The project's schemas (the config's `schemas`): their tables are sized and audited. Default `public`. */
  schemas?: readonly string[];
  /** Measured runs per query, spread round-robin over its sample cases (each case at least once). */
  samples?: number;
  typicalOwners?: number;
  heavyOwners?: number;
  onProgress?: (event: PlanAuditProgress) => void;
};

export type PlanAuditProgress =
  | { kind: 'query-start'; index: number; total: number; name: string; cases: number; runs: number }
  | {
      kind: 'query-done';
      index: number;
      total: number;
      name: string;
      p50Ms: number;
      p95Ms: number;
      violations: number;
      /** Why the query ran no measured run (then the percentiles are NaN), or null when it was measured. */
      unmeasured: string | null;
    };

type CaseResult = {
  label: string;
  runs: number;
  p50Ms: number;
  p95Ms: number;
  plan: string;
  indexes: string[];
};

/**
 * A sort the measured plans ran, judged as the plan rule says: over rows an index found, it is fine when the query's
 * p95 is within its budget (`within budget`, `over budget`, or `no budget` to judge it by); over a whole table it is
 * an error (`table_sort` finding) unless the query says `-- allow: sort` (`allowed`: listed, not failed).
 */
type SortAudit = {
  keys: string[];
  over: SortSeen['over'];
  /** The table read whole under it (over: 'table'). */
  table: string | null;
  methods: string[];
  /** The most rows it took in, in any run. */
  rows: number;
  /** Its own time (its total less its inputs'), p95 over the runs that ran it. */
  p95Ms: number;
  cases: string[];
  verdict: 'within budget' | 'over budget' | 'no budget' | 'allowed' | 'whole table';
};

export type QueryAudit = {
  name: string;
  kind: string;
  file: string;
  line: number;
  budgetMs: number | null;
  allowSeqscan: string | null;
  /** `-- allow: sort <reason>`: listed by the report next to allowSeqscan, each hatch for what it allows. */
  allowSort: string | null;
  runs: number;
  /** Why no run was measured (a param with no sample value, no owner to sample with), or null when runs > 0. */
  unmeasured: string | null;
  /** Planning + execution time. */
  p50Ms: number;
  p95Ms: number;
  /** Execution time only, as a prepared statement reusing its plan would see it. */
  p50ExecMs: number;
  p95ExecMs: number;
  /** Plan shape of the slowest case (by p95). */
  plan: string;
  planShapes: number;
  indexes: string[];
  cases: CaseResult[];
  findings: QueryFinding[];
  /** The sorts codegen recorded in the manifest (plan.statements[].sorts), with the planner's estimate on the empty schema. */
  plannedSorts: { keys: string[]; rows: number }[];
  /** The sorts the measured plans ran, each judged (see SortAudit). */
  sorts: SortAudit[];
  verdict: 'ok' | 'violation';
};

export type PlanAuditResult = {
  queries: QueryAudit[];
  schemaFindings: SchemaFinding[];
  unusedIndexes: UnusedIndex[];
  /** Query findings plus schema findings; unused indexes are information. */
  violations: number;
  samples: number;
  tableRows: Record<string, number>;
  serverVersion: string;
  durationMs: number;
};

const DEFAULT_SAMPLES = 30;

/** Nearest-rank percentile of an ascending array (p in 0..1). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

/**
 * Row counts of the tables of every project schema, by table name as EXPLAIN names a scanned relation (without
 * its schema): where two schemas hold a table of the same name, the larger count, so a big table is never
 * judged small.
 */
async function tableRows(client: pg.ClientBase, schemas: readonly string[]): Promise<Map<string, number>> {
  const rows = (
    await client.query<{ schema: string; name: string; estimate: number }>(
      `SELECT n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS estimate
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p')`,
      [schemas],
    )
  ).rows;
  const sizes = new Map<string, number>();
  for (const row of rows) {
    // reltuples is -1 until the table is first analyzed or vacuumed; count it then rather than guess.
    const table = `${pg.escapeIdentifier(row.schema)}.${pg.escapeIdentifier(row.name)}`;
    const estimate =
      row.estimate >= 0 ? row.estimate : Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n ?? 0);
    sizes.set(row.name, Math.max(estimate, sizes.get(row.name) ?? 0));
  }
  return sizes;
}

/** The indexes of the project schemas, by name as EXPLAIN and the manifest's plan proofs name them. */
async function indexNames(client: pg.ClientBase, schemas: readonly string[]): Promise<Set<string>> {
  const rows = (
    await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('i', 'I')`,
      [schemas],
    )
  ).rows;
  return new Set(rows.map((row) => row.name));
}

async function explain(client: pg.ClientBase, sample: SampleCase, values: unknown[]): Promise<Explained> {
  // Writes are measured for real (triggers included) and undone.
  if (sample.write) await client.query('BEGIN');
  try {
    const result = await client.query<{ 'QUERY PLAN': unknown }>({
      text: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sample.text}`,
      values,
    });
    return parseExplain(result.rows[0]?.['QUERY PLAN']);
  } finally {
    if (sample.write) await client.query('ROLLBACK');
  }
}

/**
 * The table a list's order columns come from (from the manifest's column origins, `table.column` or
 * `schema.table.column`), by the name a plan gives it (without its schema), to aim index fixes.
 */
function orderTarget(query: ManifestQuery): { table: string | null; order: OrderTerm[] } {
  const order = query.order ?? [];
  const origins = order.map((term) => query.columns.find((column) => column.name === term.column)?.origin?.split('.') ?? null);
  const tables = new Set(origins.map((origin) => origin?.at(-2) ?? null));
  const [table] = [...tables];
  const columns = order.map((term, k) => ({ column: origins[k]?.at(-1) ?? term.column, direction: term.direction }));
  return { table: tables.size === 1 && table !== undefined ? table : null, order: columns };
}

function mergeFinding(findings: Map<string, QueryFinding>, finding: QueryFinding, label: string): void {
  const key = findingKey(finding);
  const seen = findings.get(key);
  if (seen === undefined) {
    findings.set(key, { ...finding, cases: [label] });
    return;
  }
  if (!seen.cases.includes(label)) seen.cases.push(label);
  // Keep the worst figures seen for a filter, so the message shows the heaviest case.
  if (seen.kind === 'filter_ratio' && finding.kind === 'filter_ratio' && finding.removed > seen.removed) {
    findings.set(key, { ...finding, cases: seen.cases });
  }
}

async function auditQuery(
  client: pg.ClientBase,
  query: ManifestQuery,
  sampler: Sampler,
  sizes: ReadonlyMap<string, number>,
  catalog: SuggestionCatalog,
  existingIndexes: ReadonlySet<string>,
  samples: number,
  progress: (cases: number, runs: number) => void,
): Promise<QueryAudit> {
  const { cases, unsampled } = await sampler.samples(query);
  const target = orderTarget(query);
  const context: CheckContext = {
    queryKind: query.kind,
    allowSeqscan: query.allowSeqscan,
    allowSort: query.allowSort,
    tableRows: sizes,
    orderTable: target.table,
    order: target.order,
    catalog,
    // A sort over found rows is measured against the budget below, not judged by its size.
    foundSortFloor: null,
  };
  const findings = new Map<string, QueryFinding>();
  for (const param of unsampled) {
    mergeFinding(
      findings,
      {
        kind: 'not_sampled',
        param,
        cases: [],
        message: `no sample value for param ${param} (${query.file}:${query.line}): some statements were not measured.`,
        fix:
          `in sqlbound.config.json, give "audit": { "samples": { "${param}": "<SQL returning one id of the owner's rows, $1 = the owner>" } }, ` +
          `or a fixed value: "audit": { "values": { "${param}": ... } }`,
      },
      'all',
    );
  }
  if (cases.length === 0 && unsampled.length === 0) {
    mergeFinding(
      findings,
      {
        kind: 'not_sampled',
        param: '(all)',
        cases: [],
        message: `no sample owner has the rows ${query.name}'s params need: the query was not measured.`,
        fix:
          'in sqlbound.config.json, set "audit": { "owners": { "typical": ..., "heavy": ... } } (SQL returning owner ids as column id, ' +
          '$1 = how many) to owners that hold rows, or audit a database with data',
      },
      'all',
    );
  }
  const runs = cases.length === 0 ? 0 : Math.max(samples, cases.length);
  progress(cases.length, runs);
  // One unmeasured run per case: the first execution pays for loading catalog caches and cold pages.
  for (const sample of cases) {
    const first = sample.paramSets[0];
    if (first !== undefined) await explain(client, sample, first);
  }
  const times = cases.map(() => ({ total: [] as number[], exec: [] as number[], plans: new Map<string, string[]>() }));
  const sorts = new Map<string, MeasuredSorts>();
  for (let run = 0; run < runs; run++) {
    const k = run % cases.length;
    const sample = cases[k];
    const acc = times[k];
    if (sample === undefined || acc === undefined) continue;
    const values = sample.paramSets[Math.floor(run / cases.length) % sample.paramSets.length];
    if (values === undefined) continue;
    const explained = await explain(client, sample, values);
    acc.total.push(explained.planningMs + explained.executionMs);
    acc.exec.push(explained.executionMs);
    const shape = summarize(explained.root);
    if (!acc.plans.has(shape)) acc.plans.set(shape, indexesUsed(explained.root));
    for (const finding of checkPlan(explained.root, context)) mergeFinding(findings, finding, sample.label);
    for (const seen of sortsOf(explained.root, context)) mergeSort(sorts, seen, sample.label);
  }
  const caseResults: CaseResult[] = cases.map((sample, k) => {
    const acc = times[k];
    const total = [...(acc?.total ?? [])].sort((a, b) => a - b);
    const [plan, indexes] = [...(acc?.plans.entries() ?? [])][0] ?? ['(not run)', []];
    return { label: sample.label, runs: total.length, p50Ms: percentile(total, 0.5), p95Ms: percentile(total, 0.95), plan, indexes };
  });
  const allTotal = times.flatMap((acc) => acc.total).sort((a, b) => a - b);
  const allExec = times.flatMap((acc) => acc.exec).sort((a, b) => a - b);
  const p95Ms = percentile(allTotal, 0.95);
  const overBudget = query.budgetMs !== null && p95Ms > query.budgetMs;
  const sortAudits = judgeSorts(sorts, query, overBudget);
  const foundSorts = sortAudits.filter((sort) => sort.over !== 'table');
  if (query.budgetMs !== null && p95Ms > query.budgetMs) {
    mergeFinding(
      findings,
      {
        kind: 'over_budget',
        p95Ms,
        budgetMs: query.budgetMs,
        cases: [],
        message:
          `p95 ${p95Ms.toFixed(2)} ms is over the budget of ${query.budgetMs} ms.` +
          (foundSorts.length === 0
            ? ''
            : ` It sorts rows it found (no table of 10k rows read whole): ${foundSorts.map((sort) => `${sort.keys.join(', ')} (up to ${sort.rows} rows, p95 ${sort.p95Ms.toFixed(2)} ms of it)`).join('; ')}.`),
        fix: `fix the plan findings of ${query.name}, or raise "-- budget:" at ${query.file}:${query.line} if the budget was wrong`,
      },
      'all runs',
    );
  }
  const unsampledNote = unsampled.length > 0 ? `no sample value for ${unsampled.join(', ')}` : 'no sample owner holds the rows it needs';
  const unmeasured = allTotal.length > 0 ? null : cases.length === 0 ? unsampledNote : 'no run completed';
  const slowest = [...caseResults].sort((a, b) => b.p95Ms - a.p95Ms)[0];
  const shapes = new Set(times.flatMap((acc) => [...acc.plans.keys()]));
  const indexes = [...new Set(times.flatMap((acc) => [...acc.plans.values()].flat()))].sort();
  const list = [...findings.values()].map((finding) => withCodegenProof(finding, query, existingIndexes));
  return {
    name: query.name,
    kind: query.kind,
    file: query.file,
    line: query.line,
    budgetMs: query.budgetMs,
    allowSeqscan: query.allowSeqscan,
    allowSort: query.allowSort,
    runs: allTotal.length,
    unmeasured,
    p50Ms: percentile(allTotal, 0.5),
    p95Ms,
    p50ExecMs: percentile(allExec, 0.5),
    p95ExecMs: percentile(allExec, 0.95),
    plan: slowest?.plan ?? '(not run)',
    planShapes: shapes.size,
    indexes,
    cases: caseResults,
    findings: list,
    plannedSorts: query.plan.kind === 'checked' ? query.plan.statements.flatMap((statement) => statement.sorts) : [],
    sorts: sortAudits,
    verdict: list.length === 0 && allTotal.length > 0 ? 'ok' : 'violation',
  };
}

/**
 * A whole table read or sorted on this data where codegen's generic plan found the rows through indexes (the
 * manifest's plan.statements[].foundBy). Either an index the proof used is missing from this database (a migration
 * not applied, an index dropped by hand), or they all exist and the planner chose not to use them here: said, so the
 * fix looked for is the migration, or the index's selectivity and the table's statistics, not a new index.
 */
function withCodegenProof(finding: QueryFinding, query: ManifestQuery, indexes: ReadonlySet<string>): QueryFinding {
  if (finding.kind !== 'seq_scan' && finding.kind !== 'table_sort') return finding;
  const foundBy = query.plan.kind === 'checked' ? [...new Set(query.plan.statements.flatMap((statement) => statement.foundBy))].sort() : [];
  if (foundBy.length === 0) return finding;
  const missing = foundBy.filter((index) => !indexes.has(index));
  const note =
    missing.length > 0
      ? ` Codegen proved the plan with ${missing.join(', ')}, which this database does not have: apply the migration that creates ${missing.length === 1 ? 'it' : 'them'}.`
      : ` Codegen's generic plan found these rows through ${foundBy.join(', ')}: on this data the planner read the whole table instead ` +
        '(an index that does not narrow the rows here, or stale statistics: ANALYZE the table).';
  return { ...finding, message: `${finding.message}${note}` };
}

/** One sort of one query over every run that ran it. */
type MeasuredSorts = { seen: SortSeen; methods: Set<string>; rows: number; ms: number[]; cases: string[] };

function mergeSort(sorts: Map<string, MeasuredSorts>, seen: SortSeen, label: string): void {
  const key = `${seen.over}|${seen.table ?? ''}|${seen.keys.join(',')}`;
  const entry = sorts.get(key) ?? { seen, methods: new Set<string>(), rows: 0, ms: [], cases: [] };
  if (seen.method !== null) entry.methods.add(seen.method);
  entry.rows = Math.max(entry.rows, seen.inputRows);
  entry.ms.push(seen.ms);
  if (!entry.cases.includes(label)) entry.cases.push(label);
  sorts.set(key, entry);
}

/** Each measured sort with its verdict: a whole table's is allowed or an error; found rows' are judged by the budget. */
function judgeSorts(sorts: ReadonlyMap<string, MeasuredSorts>, query: ManifestQuery, overBudget: boolean): SortAudit[] {
  return [...sorts.values()].map(({ seen, methods, rows, ms, cases }) => ({
    keys: seen.keys,
    over: seen.over,
    table: seen.table,
    methods: [...methods].sort(),
    rows,
    p95Ms: percentile(
      [...ms].sort((a, b) => a - b),
      0.95,
    ),
    cases,
    verdict:
      seen.over === 'table'
        ? query.allowSort === null
          ? 'whole table'
          : 'allowed'
        : query.budgetMs === null
          ? 'no budget'
          : overBudget
            ? 'over budget'
            : 'within budget',
  }));
}

/**
 * Where a plan finding's derived CREATE INDEX builds the same index as a schema finding's fix, report the
 * schema's statement (its name is checked free and matches the migration's naming), so applying every fix of
 * the report creates each index once.
 */
function adoptSchemaFixes(queries: QueryAudit[], schemaFindings: readonly SchemaFinding[]): void {
  const byTarget = new Map<string, string>();
  for (const finding of schemaFindings) {
    const target = indexTarget(finding.fix);
    if (target !== null && !byTarget.has(target)) byTarget.set(target, finding.fix);
  }
  for (const query of queries) {
    for (const finding of query.findings) {
      const target = indexTarget(finding.fix);
      const schemaFix = target === null ? undefined : byTarget.get(target);
      if (schemaFix !== undefined) finding.fix = schemaFix;
    }
  }
}

/** Audits every named query of `manifest` against the database at `url`; see the file comment. */
export async function runPlanAudit(url: string, manifest: Manifest, options: PlanAuditOptions): Promise<PlanAuditResult> {
  const started = performance.now();
  const samples = options.samples ?? DEFAULT_SAMPLES;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`samples must be a positive integer, got ${samples}`);
  const client = new pg.Client({ connectionString: url, application_name: 'sqlbound-audit' });
  await client.connect();
  try {
    // A runaway plan must not stall the audit for ever; a minute is far beyond any budget.
    await client.query("SET statement_timeout = '60s'");
    const serverVersion = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?';
    const schemas = options.schemas ?? ['public'];
    const sizes = await tableRows(client, schemas);
    const catalog = await readSuggestionCatalog(client, schemas);
    const existingIndexes = await indexNames(client, schemas);
    const pools = await drawOwners(client, { typical: options.typicalOwners ?? 3, heavy: options.heavyOwners ?? 2 }, options.rules.owners);
    const sampler = new Sampler(client, pools, options.rules);
    const queries: QueryAudit[] = [];
    const total = manifest.queries.length;
    for (const [k, listed] of manifest.queries.entries()) {
      const budgetMs = options.judgeBudgets === false ? null : (options.budgets?.[listed.name] ?? listed.budgetMs);
      const query = { ...listed, budgetMs };
      const audit = await auditQuery(client, query, sampler, sizes, catalog, existingIndexes, samples, (cases, runs) =>
        options.onProgress?.({ kind: 'query-start', index: k + 1, total, name: query.name, cases, runs }),
      );
      options.onProgress?.({
        kind: 'query-done',
        index: k + 1,
        total,
        name: query.name,
        p50Ms: audit.p50Ms,
        p95Ms: audit.p95Ms,
        violations: audit.findings.length,
        unmeasured: audit.unmeasured,
      });
      queries.push(audit);
    }
    const schemaFindings: SchemaFinding[] = [];
    for (const schema of schemas) schemaFindings.push(...(await auditSchema(client, { ...options.schema, schema })));
    adoptSchemaFixes(queries, schemaFindings);
    const used = new Set(queries.flatMap((query) => query.indexes));
    const unused: UnusedIndex[] = [];
    for (const schema of schemas) unused.push(...(await unusedIndexes(client, used, schema)));
    const queryViolations = queries.reduce((sum, query) => sum + query.findings.length, 0);
    return {
      queries,
      schemaFindings,
      unusedIndexes: unused,
      violations: queryViolations + schemaFindings.length,
      samples,
      tableRows: Object.fromEntries(sizes),
      serverVersion,
      durationMs: performance.now() - started,
    };
  } finally {
    await client.end();
  }
}
