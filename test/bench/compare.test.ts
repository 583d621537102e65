// bench:compare's arithmetic and its refusal of files that are not bench reports; no database, no timing.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { comparisonTable, readBenchReport, type BenchReport } from '../../bench/compare.js';

const figures = { p50Ms: 1, p95Ms: 2, cpuUsPerCall: 100 };
type Row = BenchReport['ratios'][number];
const row = (comparison: string, pairedP50: number, cpu: number, met: boolean | null): Row => ({
  section: 'SDK vs raw pg',
  comparison,
  subject: figures,
  baseline: figures,
  pairedP50,
  p95: pairedP50 + 0.5,
  cpu,
  target: met === null ? null : { text: 'CPU ≤ 1.10', met },
});
const report = (date: string, ratios: Row[]): BenchReport => ({
  date,
  users: 100,
  machine: { cores: 2, cpu: 'test cpu', node: 'v20' },
  ratios,
});

const directory = await mkdtemp(join(tmpdir(), 'bench-compare-'));
after(() => rm(directory, { recursive: true, force: true }));

describe('bench:compare', () => {
  test('puts each ratio of the earlier run beside the later one, rows matched by name, missing ones marked', () => {
    const before = report('2026-12-01', [row('page', 1.26, 1.25, false), row('gone', 2, 2, null)]);
    const later = report('2026-12-02', [row('page', 1.08, 1.07, true), row('new', 3, 3, null)]);
    const lines = comparisonTable(before, later);
    assert.match(lines[0] ?? '', /^before: 2026-12-01, 100 users, 2 cores \(test cpu\), v20$/);
    assert.equal(
      lines.find((line) => line.startsWith('| SDK vs raw pg: page ')),
      '| SDK vs raw pg: page | 1.26 → 1.08 | 1.76 → 1.58 | 1.25 → 1.07 | missed → met |',
    );
    assert.equal(
      lines.find((line) => line.includes(': gone ')),
      '| SDK vs raw pg: gone | 2.00 → — | 2.50 → — | 2.00 → — |  |',
    );
    assert.equal(
      lines.find((line) => line.includes(': new ')),
      '| SDK vs raw pg: new | — → 3.00 | — → 3.50 | — → 3.00 |  |',
    );
  });

  test('reads a report written by npm run bench --json, and refuses other files with the path and the reason', async () => {
    const good = join(directory, 'good.json');
    // Extra fields (the other sections of a real report) are allowed.
    await writeFile(good, JSON.stringify({ ...report('2026-12-02', [row('page', 1, 1, true)]), seconds: 90, cache: {} }));
    assert.equal((await readBenchReport(good)).ratios[0]?.comparison, 'page');
    const notJson = join(directory, 'not.json');
    await writeFile(notJson, 'users 100000;');
    await assert.rejects(readBenchReport(notJson), new RegExp(`^Error: ${notJson}: not JSON$`));
    const other = join(directory, 'other.json');
    await writeFile(other, JSON.stringify({ date: '2026-12-02', ratios: 'none' }));
    await assert.rejects(readBenchReport(other), new RegExp(`^Error: ${other}: not an npm run bench --json report`));
  });
});
