// `npm run loadtest` kept from rotting: each mode runs at tiny counts as a child process, on its own embedded
// server in a temporary data directory, and must exit 0 and print its tables with the expected rows. Nothing here
// is about speed: the figures at these counts mean nothing.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { runScript } from '../support/run-script.js';

const TINY = ['--users', '50', '--duration', '1', '--rate', '50', '--burst', '20'];
/** The closed model (wrk) at a few seconds and 50 connections, over 20 and then all 50 users. */
const CLOSED = ['--closed-duration', '2', '--connections', '50', '--closed-users', '20,50'];
const WRK_INSTALLED = spawnSync('sh', ['-c', 'command -v wrk']).status === 0;

type Outcome = { code: number | null; stdout: string; stderr: string };
/** Its own embedded server (no DATABASE_URL): the script seeds a temporary data directory. */
const loadtest = (args: string[]): Promise<Outcome> => runScript('bench/loadtest.ts', args, { timeoutMs: 150_000 });

/** The table row whose first cell starts with `label`. */
function row(output: string, label: string): string[] {
  const line = output.split('\n').find((text) => text.startsWith(`| ${label}`));
  assert.ok(line !== undefined, `no row "${label}" in:\n${output}`);
  return line.split('|').map((cell) => cell.trim());
}

/** The wrk section: every run's figures parsed from wrk's summary, each goal with a verdict; or one SKIPPED line. */
function assertClosedModel(stdout: string): void {
  const skipped = stdout.split('\n').filter((line) => line === 'SKIPPED: wrk not installed (apt-get install wrk)');
  if (!WRK_INSTALLED) {
    assert.equal(skipped.length, 1, stdout);
    console.log('SKIPPED: wrk not installed (apt-get install wrk): the closed-model runs were not exercised');
    return;
  }
  assert.equal(skipped.length, 0, stdout);
  assert.match(stdout, /^Closed model: wrk \S+, 50 connections on \d+ threads, 2 s per run/m);
  for (const label of [
    'ceiling: bare node:http, 20 users',
    'API, 1 worker, cache bypassed, 20 users',
    'API, 1 worker, cache on (warm), 20 users',
    'ceiling: bare node:http, 50 users',
    'API, 1 worker, cache bypassed, 50 users',
    'API, 1 worker, cache on (cold: first load of each user misses), 50 users',
    'API, 2 workers, cache on (warm), 20 users',
  ]) {
    const cells = row(stdout, label);
    assert.ok(Number(cells[2]) > 0, `${label}: requests`);
    assert.ok(Number(cells[3]) > 0, `${label}: throughput`);
    for (const index of [4, 5]) assert.match(cells[index] ?? '', /^\d+\.\d$/, `${label}: p50 / p95`);
    assert.ok(Number(cells[4]) <= Number(cells[5]), `${label}: p50 <= p95`);
    assert.match(cells[6] ?? '', label.startsWith('ceiling') ? /^$/ : /^\d+\.\d\d×$/, `${label}: ratio to the ceiling`);
    assert.match(cells[8] ?? '', /^\d+ \/ \d+ \/ \d+ \/ \d+$/, `${label}: socket errors`);
    assert.equal(cells[9], '0', `${label}: non-2xx answers`);
  }
  for (const goal of [
    '20 users, cache on: throughput / ceiling',
    '20 users, cache on: p95',
    '50 users, cache on: throughput in req/s',
    '2 workers / 1 worker',
  ]) {
    assert.match(row(stdout, goal)[4] ?? '', /^(met|missed)$/, goal);
  }
}

describe('npm run loadtest at tiny counts', { concurrency: false }, () => {
  let dataDir = '';
  after(async () => {
    if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
  });

  test('the default mode prints every run, the ceiling and the ratios, and exits 0', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sqlbound-loadtest-smoke-'));
    const { code, stdout, stderr } = await loadtest([...TINY, ...CLOSED, '--data-dir', dataDir]);
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    // A fresh seed is prepared before anything is measured; every invocation checkpoints.
    assert.match(stderr, /VACUUM \(FREEZE, ANALYZE\)/);
    assert.match(stderr, /CHECKPOINT before measuring/);
    for (const label of [
      'dashboard, open model 50/s for 1s, cache bypassed',
      'dashboard, burst of 20 on 20 connections, cache bypassed',
      'alerts.list, open model 50/s for 1s, cache bypassed',
      'ceiling: bare node:http, 1 process, burst of 20 on 20 connections',
      'dashboard, open model 50/s for 1s, cache on',
      'dashboard, burst of 20 on 20 connections, cache on',
    ]) {
      const cells = row(stdout, label);
      assert.equal(cells[2], label.includes('open model') ? '50' : '20', label);
      assert.equal(cells[3], '0', `${label}: errors`);
      assert.match(cells[11] ?? '', /^\d+ \/ \d+$/, `${label}: CPU µs per request, API / DB`);
      // A burst of 20 can end within one clock tick (10 ms) of /proc/stat: no steal reading then, said as n/a.
      assert.match(cells[12] ?? '', /^(\d+\.\d %( noisy)?|n\/a)$/, `${label}: steal`);
      assert.match(cells[13] ?? '', /^\d+$/, `${label}: other processes' CPU`);
    }
    assert.match(row(stdout, 'API, 1 worker(s), cache on')[3] ?? '', /^\d+\.\d\d×$/);
    assert.match(row(stdout, 'API, 1 worker(s), cache on')[5] ?? '', /^(met|missed)$/);
    assert.match(row(stdout, 'API, 1 worker(s), cache bypassed')[4] ?? '', /^≥ DB floor \d+ ms$/);
    assert.match(stdout, /DB CPU per dashboard \(postmaster tree, \/proc\): \d+ µs .* = \d+ ms, beside its p95/);
    assertClosedModel(stdout);
  });

  test('--capacity steps both endpoints and prints one capacity line each, and exits 0', async () => {
    assert.notEqual(dataDir, '', 'runs after the default mode, reusing its seeded data directory');
    // Two workers: the cluster path (the default mode covered one process).
    const { code, stdout, stderr } = await loadtest([...TINY, '--capacity', '--rates', '25,50', '--workers', '2', '--data-dir', dataDir]);
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    assert.match(stderr, /reusing the seeded database \(50 users\)/);
    for (const endpoint of ['dashboard', 'alerts.list']) {
      const steps = stdout.split('\n').filter((line) => line.startsWith(`| ${endpoint} | 2 |`));
      assert.ok(steps.length >= 1 && steps.length <= 2, `${endpoint}: ${steps.length} steps\n${stdout}`);
      assert.match(
        stdout,
        new RegExp(`^capacity: ${endpoint.replace('.', '\\.')}, 2 worker\\(s\\), cache bypassed: .*goal ≥ 2000/s: (met|missed)$`, 'm'),
      );
    }
  });
});
