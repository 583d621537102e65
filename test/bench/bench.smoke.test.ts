// `npm run bench` and `npm run bench:dashboard` at tiny counts on this file's database: they exit 0 and print every
// row of their tables. Nothing here is about speed (figures at these counts mean nothing); it keeps the scripts
// from rotting as the queries, the runtime and the schema change.
import assert from 'node:assert/strict';
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { runScript } from '../support/run-script.js';

// 3000 users: about one in a thousand is heavy (seed 1 gives one here), with enough alerts for 100 pages of 50.
const USERS = '3000';
const database = await testDatabase();

test('npm run bench prints every ratio row and writes the same figures as JSON', { timeout: 600_000 }, async () => {
  const json = join(await mkdtemp(join(tmpdir(), 'sqlbound-bench-')), 'bench.json');
  const run = await runScript('bench/bench.ts', ['--users', USERS, '--rounds', '2', '--calls', '2', '--in-flight', '20', '--json', json], {
    databaseUrl: database.directUrl,
  });
  assert.equal(run.code, 0, run.stderr);
  for (const payload of [
    'dashboard \\(getDashboard, cache bypassed\\)',
    'alerts page of 50 \\(listAlerts, 51 rows read\\)',
    'alerts page 21 of 50 \\(listAlerts with a cursor, 51 rows read\\)',
  ]) {
    assert.match(
      run.stdout,
      new RegExp(`\\| SDK vs raw pg: ${payload}: generated / raw pg \\| .*\\| CPU ≤ 1\\.00, throughput ≥ 1\\.00, p50 ≤ 1\\.05: `),
    );
  }
  for (const page of [10, 50, 100])
    assert.match(run.stdout, new RegExp(`\\| keyset vs OFFSET: keyset page ${page} / keyset page 1 .*\\| paired p50 ≤ 1\\.2: `));
  assert.match(run.stdout, /\| keyset vs OFFSET: OFFSET page 100 \/ keyset page 100 \|/);
  for (const strategy of ['naive N\\+1 loop', '5 queries in parallel']) {
    for (const subject of ['typical user', 'heaviest user']) {
      assert.match(run.stdout, new RegExp(`\\| dashboard: ${strategy} / one statement \\(generated\\) \\(${subject} `));
    }
  }
  assert.match(run.stdout, /\| heavy vs typical: dashboard, heaviest user/);
  assert.match(run.stdout, /\| heavy vs typical: first alerts page \(limit 50\), heaviest user/);
  // The one claim checked by counting, not timing: a cache hit sends nothing to the database.
  assert.match(run.stdout, /\| cache: dashboard cache hit \/ miss .*\| statements sent by 200 hits: 0 \| a hit sends 0 statements: met \|/);
  assert.match(run.stdout, /\| cache: dashboard cache miss \/ cache bypassed \|.*\| Node CPU ≤ 1\.3: (met|MISSED) \|/);
  assert.match(run.stdout, /^\| 100 \| .* \|$/m, 'the per-depth table reaches page 100');
  assert.match(run.stdout, /performance page refresh: 3 statements, execution/);
  assert.match(run.stderr, /\[bench\] round 2\/2/, 'progress on stderr');

  const report = JSON.parse(await readFile(json, 'utf8')) as {
    users: number;
    ratios: { section: string; comparison: string }[];
    keysetAgainstOffset: { page: number }[];
  };
  assert.equal(report.users, Number(USERS));
  assert.deepEqual(
    report.keysetAgainstOffset.map((depth) => depth.page),
    [1, 10, 50, 100],
  );
  const printed = [...run.stdout.matchAll(/^\| (.+?) \| [0-9.]+ \/ [0-9.]+ \| /gm)].map((match) => match[1]);
  assert.deepEqual(
    report.ratios.map((row) => `${row.section}: ${row.comparison}`),
    printed.filter((cell) => cell !== undefined && !/^[0-9]+$/.test(cell)),
    'the JSON holds the rows the table printed',
  );

  // npm run bench:compare on two reports (here the same one twice): every row, each ratio beside itself.
  const compared = await runScript('bench/compare.ts', [json, json]);
  assert.equal(compared.code, 0, compared.stderr);
  for (const name of report.ratios.map((row) => `${row.section}: ${row.comparison}`)) {
    const line = compared.stdout.split('\n').find((text) => text.startsWith(`| ${name} | `));
    assert.ok(line !== undefined, `bench:compare printed no row for ${name}`);
    const [paired] = [...line.matchAll(/([0-9.]+) → ([0-9.]+)/g)];
    assert.equal(paired?.[1], paired?.[2], line);
  }
});

test(
  'npm run bench:dashboard prints its three strategies for both users, sequentially and concurrently',
  { timeout: 600_000 },
  async () => {
    const run = await runScript('bench/dashboard.ts', [], {
      databaseUrl: database.directUrl,
      env: { BENCH_USERS: USERS, BENCH_ROUNDS: '2', BENCH_BURST: '20' },
    });
    assert.equal(run.code, 0, run.stderr);
    for (const strategy of ['one statement \\(generated\\)', 'naive N\\+1 loop', '5 queries in parallel']) {
      for (const subject of ['typical user', 'heaviest user'])
        assert.match(run.stdout, new RegExp(`^\\| ${strategy} \\| ${subject} `, 'm'));
      assert.match(run.stdout, new RegExp(`^\\| ${strategy} \\| [0-9.]+ \\| [0-9.]+ \\| [0-9]+ \\|$`, 'm'));
    }
    assert.match(run.stdout, /heaviest vs typical user, one statement, p50 ratio: [0-9.]+/);
  },
);
