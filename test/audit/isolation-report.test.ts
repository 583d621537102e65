// The audit's owner isolation section, on the example's manifest and on one that crosses owners.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIsolationReport } from '../../codegen/audit/isolation-report.js';
import { loadManifest } from '../../codegen/manifest/manifest.js';

const manifest = await loadManifest(new URL('../../generated/manifest.json', import.meta.url).pathname);

test("the example's queries are all confined or touch no owned table", () => {
  const report = formatIsolationReport(manifest);
  const confined = manifest.queries.filter((query) => query.isolation.kind === 'owner').length;
  assert.ok(confined >= 8, report);
  assert.match(
    report,
    new RegExp(`^${confined} queries proven confined to the owner param, 1 touching no owned table, 0 crossing owners`, 'm'),
  );
  assert.doesNotMatch(report, /\| query \| where \| reason \|/);
});

test('every owner: any statement is listed with its file, line and reason', () => {
  const [first, second] = manifest.queries;
  assert.ok(first !== undefined && second !== undefined);
  const crossing = {
    queries: [
      { ...first, isolation: { kind: 'any' as const, reason: 'operators | counts per user' } },
      { ...second, isolation: { kind: 'any' as const, reason: 'public catalogue' } },
      ...manifest.queries.slice(2),
    ],
  };
  const report = formatIsolationReport(crossing);
  assert.match(report, /2 crossing owners on purpose/);
  assert.ok(report.includes(`| ${first.name} | ${first.file}:${first.line} | operators \\| counts per user |`), report);
  assert.ok(report.includes(`| ${second.name} | ${second.file}:${second.line} | public catalogue |`), report);
});
