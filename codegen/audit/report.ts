// Renders a plan audit as Markdown: one table row per named query, then every finding with its exact fix,
// then the schema audit and the indexes no plan used (information only).
import { match } from 'ts-pattern';
import type { QueryFinding } from './checks.js';
import type { PlanAuditResult, QueryAudit } from './plan-audit.js';
import { formatSchemaFindings } from './schema.js';

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function ms(value: number): string {
  if (Number.isNaN(value)) return '–';
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function verdict(query: QueryAudit): string {
  if (query.verdict === 'ok') return 'ok';
  const kinds = [...new Set(query.findings.map((finding) => finding.kind))];
  return `**violation**: ${kinds.join(', ')}`;
}

function findingTitle(finding: QueryFinding): string {
  return match(finding)
    .with({ kind: 'seq_scan' }, (f) => `Seq Scan on ${f.table}`)
    .with({ kind: 'table_sort' }, (f) => `Sort over ${f.table === null ? 'unindexed rows' : `all of ${f.table}`} (${f.sortKey.join(', ')})`)
    .with({ kind: 'filter_ratio' }, (f) => `${f.removed} rows removed by filter for ${f.returned} returned`)
    .with({ kind: 'sort_spill' }, (f) => `sort spilled to disk (${f.sortMethod})`)
    .with({ kind: 'over_budget' }, (f) => `p95 ${ms(f.p95Ms)} ms over budget ${f.budgetMs} ms`)
    .with({ kind: 'not_sampled' }, (f) => `not sampled: ${f.param}`)
    .exhaustive();
}

/** p50, p95 and p95 exec cells: a query that ran no measured run says so and why, never "NaN". */
function timings(query: QueryAudit): string {
  if (query.unmeasured !== null) return `not measured (${cell(query.unmeasured)}) | – | –`;
  return `${ms(query.p50Ms)} | ${ms(query.p95Ms)} | ${ms(query.p95ExecMs)}`;
}

export function formatPlanAuditReport(result: PlanAuditResult, heading = '# Plan audit'): string {
  const lines: string[] = [
    heading,
    '',
    `PostgreSQL ${result.serverVersion}; ${result.samples} measured runs per query (round-robin over its sample cases, ` +
      "after one warm-up run per case); times are the server's Planning Time + Execution Time from " +
      'EXPLAIN (ANALYZE, BUFFERS) in ms. Rows: ' +
      Object.entries(result.tableRows)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([table, rows]) => `${table} ~${Math.round(rows)}`)
        .join(', ') +
      '.',
    '',
    '| query | plan (slowest case) | indexes used | p50 | p95 | p95 exec only | budget | verdict |',
    '|---|---|---|---|---|---|---|---|',
    ...result.queries.map(
      (query) =>
        `| ${query.name} :${query.kind} | ${cell(query.plan)}${query.planShapes > 1 ? ` (+${query.planShapes - 1} other shape${query.planShapes > 2 ? 's' : ''})` : ''} ` +
        `| ${cell(query.indexes.join(', ') || '–')} | ${timings(query)} ` +
        `| ${query.budgetMs === null ? '–' : `${query.budgetMs} ms`} | ${verdict(query)} |`,
    ),
    '',
    '## Findings',
    '',
  ];
  const flagged = result.queries.filter((query) => query.findings.length > 0);
  if (flagged.length === 0) lines.push('No plan findings.', '');
  for (const query of flagged) {
    lines.push(`### ${query.name} (${query.file}:${query.line})`, '');
    for (const finding of query.findings) {
      lines.push(
        `- **${finding.kind}**: ${findingTitle(finding)}. ${finding.message}`,
        `  - seen in: ${finding.cases.join('; ')}`,
        `  - fix: \`${finding.fix}\``,
      );
    }
    lines.push('');
  }
  // Each escape hatch of the plan rule, named for what it allows, so a reader sees every query that uses one.
  lines.push('## Plan rule escape hatches', '');
  const hatches = result.queries.flatMap((query) => [
    ...(query.allowSeqscan === null ? [] : [`- ${query.name} (${query.file}:${query.line}): \`allow: seqscan\` ${query.allowSeqscan}`]),
    ...(query.allowSort === null ? [] : [`- ${query.name} (${query.file}:${query.line}): \`allow: sort\` ${query.allowSort}`]),
  ]);
  lines.push(...(hatches.length === 0 ? ['No query reads a whole table or sorts one by annotation.'] : hatches), '');
  lines.push(...formatSorts(result.queries), '');
  lines.push('## Schema', '', formatSchemaFindings(result.schemaFindings).trimEnd(), '');
  lines.push('## Indexes no named query used (information, not violations)', '');
  if (result.unusedIndexes.length === 0) lines.push('Every non-unique index served at least one measured plan.');
  for (const unused of result.unusedIndexes) {
    lines.push(
      `- ${unused.index} on ${unused.table}: ${unused.message}`,
      `  - ${unused.servesForeignKey === null ? 'suggestion' : 'if you must (not advised)'}: \`${unused.fix}\``,
    );
  }
  lines.push('', '## Per sample case', '', formatCaseDetails(result).trimEnd());
  lines.push(
    '',
    `**${result.violations === 0 ? 'No violations' : `${result.violations} violation${result.violations === 1 ? '' : 's'}`}** ` +
      `(${(result.durationMs / 1000).toFixed(1)} s).`,
    '',
  );
  return lines.join('\n');
}

/**
 * Every sort the measured plans ran: a sort over rows an index found is judged by the query's p95 against its budget; one
 * over a whole table fails unless the query says `-- allow: sort` (then it is listed here as allowed). Codegen's
 * estimate (the manifest's plan.statements[].sorts, planned on the empty schema) stands beside the measured rows.
 */
function formatSorts(queries: readonly QueryAudit[]): string[] {
  const rows = queries.flatMap((query) =>
    query.sorts.map((sort) => {
      const planned = query.plannedSorts.length === 0 ? 'none recorded' : `${Math.max(...query.plannedSorts.map((p) => p.rows))} rows`;
      const over = match(sort.over)
        .with('found', () => 'rows an index found')
        .with('small', () => 'found rows and small tables read whole')
        .with('table', () => `all of ${sort.table ?? '?'}`)
        .exhaustive();
      const budget = query.budgetMs === null ? '–' : `${ms(query.p95Ms)} / ${query.budgetMs} ms`;
      return (
        `| ${query.name} | ${cell(sort.keys.join(', '))} | ${over} | ${planned} | ${sort.rows} | ${ms(sort.p95Ms)} ` +
        `| ${cell(sort.methods.join(', ') || '–')} | ${budget} | ${sort.verdict} |`
      );
    }),
  );
  if (rows.length === 0) return ['## Sorts', '', 'No measured plan sorted rows.'];
  return [
    '## Sorts',
    '',
    "A sort over rows an index found is fine within the query's budget; over a whole table it is a violation unless the query " +
      "says `-- allow: sort`. Estimate: codegen's, on the empty schema; rows: the most the sort took in, measured.",
    '',
    '| query | sort keys | sorts | codegen estimate | rows | sort p95 ms | method | query p95 / budget | verdict |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

/** Per-case figures, for readers who want to see the heavy user apart from the typical one. */
function formatCaseDetails(result: PlanAuditResult): string {
  const lines = ['| query | case | runs | p50 | p95 | plan |', '|---|---|---|---|---|---|'];
  for (const query of result.queries) {
    for (const sample of query.cases) {
      lines.push(`| ${query.name} | ${sample.label} | ${sample.runs} | ${ms(sample.p50Ms)} | ${ms(sample.p95Ms)} | ${cell(sample.plan)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Where the JSON form of a Markdown report goes: `audit-report.md` → `audit-report.json`. */
export function jsonReportPath(markdownPath: string): string {
  return markdownPath.endsWith('.md') ? `${markdownPath.slice(0, -3)}.json` : `${markdownPath}.json`;
}

/** The audit as JSON, for tools and the example API's performance page (its last verdicts per query). */
export function planAuditJson(result: PlanAuditResult, generatedAt: Date = new Date()): string {
  return `${JSON.stringify({ generatedAt: generatedAt.toISOString(), ...result }, null, 2)}\n`;
}
