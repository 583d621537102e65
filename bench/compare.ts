// Two `npm run bench --json` reports side by side: each ratio then and now, row by row. Ratios, not times, because
// two runs are rarely on the same machine under the same load; a ratio measured interleaved within one run is.
//   npm run bench:compare -- <before.json> <after.json>
//   npm run bench -- --compare <before.json>   (the run being made is "after")
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

const figures = z.object({ p50Ms: z.number(), p95Ms: z.number(), cpuUsPerCall: z.number() });

/** The part of a report the comparison reads; other fields of the file are left alone. */
const reportSchema = z.object({
  date: z.string(),
  users: z.number(),
  machine: z.object({ cores: z.number(), cpu: z.string(), node: z.string() }),
  ratios: z.array(
    z.object({
      section: z.string(),
      comparison: z.string(),
      subject: figures,
      baseline: figures,
      pairedP50: z.number(),
      p95: z.number(),
      cpu: z.number(),
      target: z.object({ text: z.string(), met: z.boolean() }).nullable(),
    }),
  ),
});

export type BenchReport = z.infer<typeof reportSchema>;

/** A report file, checked: a file from another tool or an older format is refused with the path and the reason. */
export async function readBenchReport(path: string): Promise<BenchReport> {
  const text = await readFile(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path}: not JSON`);
  }
  const report = reportSchema.safeParse(parsed);
  if (!report.success) throw new Error(`${path}: not an npm run bench --json report (${report.error.issues[0]?.message ?? 'invalid'})`);
  return report.data;
}

const fixed = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(2));
const verdict = (target: BenchReport['ratios'][number]['target'] | undefined) =>
  target === null || target === undefined ? '' : target.met ? 'met' : 'missed';

/** Markdown lines: one row per comparison in either report, the earlier run's ratios beside the later one's. */
export function comparisonTable(before: BenchReport, after: BenchReport, labels = { before: 'before', after: 'after' }): string[] {
  const key = (row: BenchReport['ratios'][number]) => `${row.section}: ${row.comparison}`;
  const earlier = new Map(before.ratios.map((row) => [key(row), row]));
  const later = new Map(after.ratios.map((row) => [key(row), row]));
  const keys = [...new Set([...earlier.keys(), ...later.keys()])];
  const describe = (report: BenchReport) =>
    `${report.date}, ${report.users} users, ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.node}`;
  return [
    `${labels.before}: ${describe(before)}`,
    `${labels.after}: ${describe(after)}`,
    '',
    `| comparison | paired p50 ratio, ${labels.before} → ${labels.after} | p95 ratio | Node CPU ratio | target, ${labels.before} → ${labels.after} |`,
    '|---|---|---|---|---|',
    ...keys.map((name) => {
      const was = earlier.get(name);
      const now = later.get(name);
      const pair = (pick: (row: BenchReport['ratios'][number]) => number) => `${fixed(was && pick(was))} → ${fixed(now && pick(now))}`;
      const targets = was?.target || now?.target ? `${verdict(was?.target) || '—'} → ${verdict(now?.target) || '—'}` : '';
      return `| ${name} | ${pair((row) => row.pairedP50)} | ${pair((row) => row.p95)} | ${pair((row) => row.cpu)} | ${targets} |`;
    }),
    '',
    'A ratio is measured within one run (interleaved rounds); compare ratios across runs, not times: the machines may differ.',
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [beforePath, afterPath] = process.argv.slice(2);
  if (beforePath === undefined || afterPath === undefined) {
    process.stderr.write('usage: npm run bench:compare -- <before.json> <after.json>\n');
    process.exit(2);
  }
  try {
    const [before, after] = await Promise.all([readBenchReport(beforePath), readBenchReport(afterPath)]);
    console.log(comparisonTable(before, after).join('\n'));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
