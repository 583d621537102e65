// Renders a live audit as Markdown: one row per top statement, then each finding with its CREATE INDEX, the likely
// N+1s with the table and columns they look up, and the statements EXPLAIN could not plan, with the reason.
import { match } from 'ts-pattern';
import type { PlanFinding } from './checks.js';
import type { LiveAuditResult, LiveStatement } from './live.js';
import { ms } from './report.js';

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s+/g, ' ');
}

function short(text: string, length = 90): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= length ? flat : `${flat.slice(0, length - 1)}…`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function findingTitle(finding: PlanFinding): string {
  return match(finding)
    .with(
      { kind: 'seq_scan' },
      (f) => `seq scan of ${f.table} (~${Math.round(f.tableRows)} rows)${f.filter === null ? '' : ` filtering ${f.filter}`}`,
    )
    .with({ kind: 'table_sort' }, (f) => `sort without an index on ${f.sortKey.join(', ')}`)
    .with({ kind: 'filter_ratio' }, (f) => `${f.removed} rows removed by filter for ${f.returned} returned`)
    .with({ kind: 'sort_spill' }, (f) => `sort spilled to disk (${f.sortMethod})`)
    .exhaustive();
}

function verdict(statement: LiveStatement): string {
  const parts: string[] = [];
  if (statement.nPlusOne) parts.push('**likely N+1**');
  match(statement.verdict)
    .with({ kind: 'skipped' }, () => parts.push('skipped'))
    .with({ kind: 'explained' }, (v) =>
      parts.push(v.findings.length === 0 ? 'ok' : `**${[...new Set(v.findings.map((f) => f.kind))].join(', ')}**`),
    )
    .exhaustive();
  return parts.join(', ');
}

export function formatLiveAuditReport(result: LiveAuditResult): string {
  const { options } = result;
  const lines: string[] = [
    '# Live audit',
    '',
    `Database ${result.database} on PostgreSQL ${result.serverVersion}: the top ${result.statements.length} of ${result.tracked} statements in ` +
      `pg_stat_statements by total execution time (${ms(result.totalMs)} ms in all), each planned with EXPLAIN (GENERIC_PLAN) ` +
      `on estimates. Likely N+1: at least ${options.nPlusOneMinCalls} calls at a mean of at most ${options.nPlusOneMaxMeanMs} ms.`,
    '',
    '| # | calls | mean ms | share | rows/call | statement | plan | verdict |',
    '|---|---|---|---|---|---|---|---|',
    ...result.statements.map(
      (s, k) =>
        `| ${k + 1} | ${s.calls} | ${ms(s.meanMs)} | ${percent(s.share)} | ${s.rowsPerCall.toFixed(1)} | \`${cell(short(s.text))}\` ` +
        `| ${s.verdict.kind === 'explained' ? cell(s.verdict.plan) : '–'} | ${verdict(s)} |`,
    ),
    '',
    '## Findings',
    '',
  ];
  const flagged = result.statements.flatMap((s, k) =>
    s.verdict.kind === 'explained' && s.verdict.findings.length > 0 ? [{ s, k, findings: s.verdict.findings }] : [],
  );
  if (flagged.length === 0) lines.push('No plan findings.', '');
  for (const { s, k, findings } of flagged) {
    lines.push(
      `### #${k + 1}: ${s.calls} calls, mean ${ms(s.meanMs)} ms, ${percent(s.share)} of the time`,
      '',
      '```sql',
      s.text.trim(),
      '```',
      '',
    );
    for (const finding of findings) lines.push(`- **${finding.kind}**: ${findingTitle(finding)}.`, `  - fix: \`${finding.fix}\``);
    lines.push('');
  }
  lines.push('## Likely N+1', '');
  const repeated = result.statements.flatMap((s, k) => (s.nPlusOne ? [{ s, k }] : []));
  if (repeated.length === 0) lines.push('None.', '');
  for (const { s, k } of repeated) {
    const by =
      s.verdict.kind === 'explained' && s.verdict.lookups.length > 0
        ? s.verdict.lookups.map((l) => `${l.table} by ${l.columns.join(', ')}`).join('; ')
        : 'its plan did not show a lookup';
    lines.push(
      `- #${k + 1} ran ${s.calls} times at ${ms(s.meanMs)} ms (looks up ${by}): \`${short(s.text, 120)}\``,
      '  - fix: load these rows for every parent at once (`= ANY($1)`, a join, or an include) instead of one statement per parent row',
    );
  }
  lines.push('', '## Skipped', '');
  const skipped = result.statements.flatMap((s, k) => (s.verdict.kind === 'skipped' ? [{ s, k, reason: s.verdict.reason }] : []));
  if (skipped.length === 0) lines.push('None.');
  for (const { s, k, reason } of skipped) lines.push(`- #${k + 1} \`${short(s.text, 80)}\`: ${reason}`);
  lines.push('');
  return lines.join('\n');
}
