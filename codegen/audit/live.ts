// The live audit: the statements that cost the database most, whatever client sent them (an ORM, raw pg, a job),
// read from pg_stat_statements and planned with EXPLAIN (GENERIC_PLAN), which needs no parameter values
// (PostgreSQL 16+). Each plan goes through the plan audit's own node checks (checks.ts) and index derivation
// (suggest.ts), on the planner's estimates since nothing is run. A normalized statement called very often for a
// tiny mean is flagged as a likely N+1. What EXPLAIN cannot plan (utility statements, DDL, a statement whose
// parameter types cannot be inferred) is listed as skipped with the reason, never a failure of the audit.
import pg from 'pg';
import { checkPlan, SEQ_SCAN_MIN_ROWS, type CheckContext, type PlanFinding } from './checks.js';
import { parseEstimatedPlan, summarize, walk, type PlanNode } from './explain.js';
import { equalityColumns, type OrderTerm } from './suggest.js';
import { readSuggestionCatalog, type SuggestionCatalog } from './suggestion-catalog.js';

export type LiveAuditOptions = {
  /** Statements read from pg_stat_statements, by total time. Default 20. */
  top?: number;
  /** A likely N+1 is called at least this often... Default 500. */
  nPlusOneMinCalls?: number;
  /** ...for a mean at most this (ms). Default 1. */
  nPlusOneMaxMeanMs?: number;
  /** statement_timeout of each EXPLAIN. Default 5000 ms. */
  explainTimeoutMs?: number;
};

/** The table and columns a repeated statement looks rows up by: where the N+1's loop should join instead. */
type Lookup = { table: string; columns: string[] };

type LiveVerdict = { kind: 'explained'; plan: string; findings: PlanFinding[]; lookups: Lookup[] } | { kind: 'skipped'; reason: string };

export type LiveStatement = {
  queryid: string;
  /** Normalized text as pg_stat_statements keeps it: constants are `$n`. */
  text: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rowsPerCall: number;
  /** This statement's part of the database's total execution time, 0..1. */
  share: number;
  nPlusOne: boolean;
  verdict: LiveVerdict;
};

export type LiveAuditResult = {
  database: string;
  serverVersion: string;
  /** Execution time of every statement pg_stat_statements holds for this database (ms). */
  totalMs: number;
  /** Statements pg_stat_statements holds for this database, of which `statements` are the top. */
  tracked: number;
  statements: LiveStatement[];
  options: Required<LiveAuditOptions>;
};

export class LiveAuditError extends Error {
  override readonly name = 'LiveAuditError';
}

/**
 * The audit's own statements carry this comment after their first keyword (pg_stat_statements drops a leading
 * comment), so their entries can be left out of the report when the session could not turn tracking off.
 */
const OWN = '/* sqlbound audit --live */';

const EXPLAINABLE = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'VALUES', 'TABLE', 'WITH']);

/** The statement's first keyword, after comments and opening parentheses: `SELECT`, `CREATE`, `BEGIN`... */
export function leadingKeyword(text: string): string {
  let rest = text;
  for (;;) {
    const trimmed = rest.replace(/^[\s(]+/, '');
    if (trimmed.startsWith('--')) rest = trimmed.replace(/^--[^\n]*\n?/, '');
    else if (trimmed.startsWith('/*')) {
      const end = trimmed.indexOf('*/');
      rest = end < 0 ? '' : trimmed.slice(end + 2);
    } else return /^[A-Za-z]+/.exec(trimmed)?.[0]?.toUpperCase() ?? '';
  }
}

// `orders.created_at DESC`, `created_at`, `"Order".placed_at DESC NULLS LAST`: a plain column of a sort key.
const sortColumn = /^(?:"?[A-Za-z_][\w$]*"?\.)?"?([A-Za-z_][\w$]*)"?(?: (ASC|DESC))?(?: NULLS (?:FIRST|LAST))?$/;

/**
 * What the live statement's Sort would need from an index: the table read under the first Sort (when it is one
 * table) and the sort key as plain columns. A named query gets this from the manifest's `-- order:`; a foreign
 * statement only has its plan.
 */
function orderOf(root: PlanNode): { table: string | null; order: OrderTerm[] } {
  for (const node of walk(root)) {
    if (!node.nodeType.endsWith('Sort') || node.sortKey.length === 0) continue;
    const tables = new Set([...walk(node)].flatMap((inner) => (inner.relation === null ? [] : [inner.relation])));
    const order: OrderTerm[] = [];
    for (const key of node.sortKey) {
      const parsed = sortColumn.exec(key);
      if (parsed?.[1] === undefined) break;
      order.push({ column: parsed[1], direction: parsed[2] === 'DESC' ? 'DESC' : 'ASC' });
    }
    const [table] = [...tables];
    return { table: tables.size === 1 && table !== undefined ? table : null, order };
  }
  return { table: null, order: [] };
}

function lookups(root: PlanNode): Lookup[] {
  const found: Lookup[] = [];
  for (const node of walk(root)) {
    if (node.relation === null) continue;
    // A Bitmap Heap Scan's condition sits on the Bitmap Index Scan under it.
    const conditions = [node, ...node.children.filter((child) => child.relation === null)].flatMap((n) => [
      n.indexCond,
      n.recheckCond,
      n.filter,
    ]);
    const columns = equalityColumns(conditions);
    if (columns.length > 0 && !found.some((l) => l.table === node.relation)) found.push({ table: node.relation, columns });
  }
  return found;
}

type StatRow = { queryid: string; query: string; calls: string; total_ms: number; rows: string; all_ms: number; tracked: number };

/** Estimated rows per table (by name, every schema but the catalogs), for the checks' size floor. */
async function tableSizes(client: pg.ClientBase): Promise<Map<string, number>> {
  const rows = (
    await client.query<{ name: string; estimate: number }>(
      // reltuples is -1 before a table's first ANALYZE; the statistics collector's live count stands in then.
      `SELECT ${OWN} c.relname AS name, CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE coalesce(s.n_live_tup, 0) END::float8 AS estimate
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
       WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
    )
  ).rows;
  // A plan names a table without its schema: where two schemas hold one name, the larger, so a big table is never judged small.
  const sizes = new Map<string, number>();
  for (const row of rows) sizes.set(row.name, Math.max(row.estimate, sizes.get(row.name) ?? 0));
  return sizes;
}

async function explainLive(
  client: pg.ClientBase,
  text: string,
  sizes: ReadonlyMap<string, number>,
  catalog: SuggestionCatalog,
  timeoutMs: number,
): Promise<LiveVerdict> {
  const keyword = leadingKeyword(text);
  if (!EXPLAINABLE.has(keyword)) {
    return {
      kind: 'skipped',
      reason: `utility statement (${keyword || 'empty'}): EXPLAIN plans only SELECT, INSERT, UPDATE, DELETE, MERGE and VALUES`,
    };
  }
  // Read only, on top of EXPLAIN without ANALYZE never running anything: a mistake here cannot write.
  await client.query(`BEGIN ${OWN} READ ONLY`);
  try {
    await client.query(`SET ${OWN} LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    const result = await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN ${OWN} (GENERIC_PLAN, FORMAT JSON) ${text}`);
    const root = parseEstimatedPlan(result.rows[0]?.['QUERY PLAN']);
    const target = orderOf(root);
    const context: CheckContext = {
      queryKind: 'live',
      allowSeqscan: null,
      allowSort: null,
      tableRows: sizes,
      orderTable: target.table,
      order: target.order,
      // No budget to measure a sort against: one over more estimated rows than a big table holds is a finding.
      foundSortFloor: SEQ_SCAN_MIN_ROWS,
      catalog,
    };
    return { kind: 'explained', plan: summarize(root), findings: checkPlan(root, context), lookups: lookups(root) };
  } catch (error) {
    return { kind: 'skipped', reason: `EXPLAIN (GENERIC_PLAN) failed: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    await client.query(`ROLLBACK ${OWN}`);
  }
}

/** Audits the top statements of the database at `url`; see the file comment. */
export async function runLiveAudit(url: string, options: LiveAuditOptions = {}): Promise<LiveAuditResult> {
  const resolved: Required<LiveAuditOptions> = {
    top: options.top ?? 20,
    nPlusOneMinCalls: options.nPlusOneMinCalls ?? 500,
    nPlusOneMaxMeanMs: options.nPlusOneMaxMeanMs ?? 1,
    explainTimeoutMs: options.explainTimeoutMs ?? 5000,
  };
  if (!Number.isInteger(resolved.top) || resolved.top < 1) throw new LiveAuditError(`top must be a positive integer, got ${resolved.top}`);
  const client = new pg.Client({ connectionString: url, application_name: 'sqlbound-audit-live' });
  await client.connect();
  try {
    // Keeps the audit's own statements out of the statistics it reads; only a superuser may (the filter below
    // covers the others).
    await client.query(`SET ${OWN} pg_stat_statements.track = none`).catch(() => undefined);
    const about = (
      await client.query<{ version: string; database: string; num: number; installed: boolean }>(
        `SELECT ${OWN} current_setting('server_version') AS version, current_database() AS database,
                current_setting('server_version_num')::int AS num, to_regclass('pg_stat_statements') IS NOT NULL AS installed`,
      )
    ).rows[0];
    if (about === undefined) throw new LiveAuditError('the server answered no row');
    if (about.num < 160000) throw new LiveAuditError(`PostgreSQL ${about.version}: EXPLAIN (GENERIC_PLAN) needs PostgreSQL 16 or later`);
    if (!about.installed) {
      throw new LiveAuditError(
        `pg_stat_statements is not installed in database ${about.database}: add it to shared_preload_libraries and run CREATE EXTENSION pg_stat_statements (docs/operations.md)`,
      );
    }
    const own = `%${OWN}%`;
    // The database's total comes from the same snapshot as the top rows (a window over every row before LIMIT),
    // so the shares of the top statements add up to at most 1 even while other clients keep running.
    const rows = (
      await client.query<StatRow>(
        `SELECT ${OWN} queryid::text AS queryid, query, calls::text AS calls, total_exec_time::float8 AS total_ms, rows::text AS rows,
                sum(total_exec_time) OVER ()::float8 AS all_ms, (count(*) OVER ())::int AS tracked
         FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE $1
         ORDER BY total_exec_time DESC, calls DESC LIMIT $2`,
        [own, resolved.top],
      )
    ).rows;
    const totalMs = rows[0]?.all_ms ?? 0;
    const tracked = rows[0]?.tracked ?? 0;
    const sizes = await tableSizes(client);
    const catalog = await readSuggestionCatalog(client, null, OWN);
    const statements: LiveStatement[] = [];
    for (const row of rows) {
      const calls = Number(row.calls);
      const meanMs = calls === 0 ? 0 : row.total_ms / calls;
      statements.push({
        queryid: row.queryid,
        text: row.query,
        calls,
        totalMs: row.total_ms,
        meanMs,
        rowsPerCall: calls === 0 ? 0 : Number(row.rows) / calls,
        share: totalMs > 0 ? row.total_ms / totalMs : 0,
        nPlusOne: calls >= resolved.nPlusOneMinCalls && meanMs <= resolved.nPlusOneMaxMeanMs,
        verdict: await explainLive(client, row.query, sizes, catalog, resolved.explainTimeoutMs),
      });
    }
    return { database: about.database, serverVersion: about.version, totalMs, tracked, statements, options: resolved };
  } finally {
    await client.end();
  }
}

/** How many statements need a look: plan findings or a likely N+1. The CLI's exit code follows it. */
export function liveProblems(result: LiveAuditResult): number {
  return result.statements.filter((s) => s.nPlusOne || (s.verdict.kind === 'explained' && s.verdict.findings.length > 0)).length;
}
