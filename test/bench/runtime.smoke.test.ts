// Keeps `npm run bench:runtime` from rotting: its entry runs at tiny counts on an embedded server of its own, and
// must exit 0 and print every row of its tables, the payload rows included. Nothing about speed is asserted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runScript } from '../support/run-script.js';

/** Tiny counts, on an embedded server of the script's own (no database of the harness). */
const run = () =>
  runScript('bench/runtime-overhead.ts', [], {
    // 1422 is the first heavy user (thousands of alerts) of seed 1: the 51-row page needs one.
    env: { BENCH_USERS: '1500', BENCH_ROUNDS: '2', BENCH_CALLS: '5', BENCH_IN_FLIGHT: '20' },
    timeoutMs: 120_000,
  });

/** Table rows (`| a | b |`) whose first cell is `first`, as cells. */
function rows(stdout: string, first: string): string[][] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    )
    .filter((cells) => cells[0] === first);
}

const number = /^\d+(\.\d+)?x?$/;

test('npm run bench:runtime at tiny counts exits 0 and prints the lookup and payload tables', { timeout: 150_000 }, async () => {
  const { code, stdout, stderr } = await run();
  assert.equal(code, 0, `exit ${String(code)}\n${stderr.slice(-2000)}`);
  for (const scenario of [
    'raw pg, unnamed',
    'sqlbound, prepared off',
    'raw pg, named prepared',
    'raw pg, named prepared, no server timeouts',
    'sqlbound, prepared on',
    'sqlbound, prepared on, OTel SDK',
    'Kysely alone',
    'Kysely through sqlbound',
  ]) {
    const [cells] = rows(stdout, scenario);
    assert.ok(cells !== undefined, `the row of ${scenario}`);
    assert.equal(cells.length, 4, scenario);
    for (const cell of cells.slice(1)) assert.match(cell, number, `${scenario}: ${cell}`);
  }
  for (const comparison of ['prepared vs raw named', 'unprepared vs raw unnamed', 'Kysely wrapped vs alone']) {
    assert.equal(rows(stdout, comparison).length, 1, comparison);
  }
  for (const payload of ['dashboard (getDashboard, cache bypassed)', 'alerts page of 50 (listAlerts, 51 rows read)']) {
    const figures = rows(stdout, payload);
    // Two figure rows (generated, raw pg) and one ratio row.
    assert.deepEqual(
      figures.map((cells) => cells[1]),
      ['generated', 'raw pg, same prepared statement', figures[2]?.[1]],
      payload,
    );
    const [generated, raw, ratios] = figures;
    for (const cells of [generated, raw]) {
      assert.equal(cells?.length, 6, payload);
      for (const cell of cells?.slice(2) ?? []) assert.match(cell, number, `${payload}: ${cell}`);
    }
    assert.equal(ratios?.length, 7, payload);
    for (const cell of ratios?.slice(1) ?? []) assert.match(cell, /^\d+\.\d{3}x$/, `${payload} ratio: ${cell}`);
  }
  assert.match(stdout, /plus 20 in flight for throughput; raw pg runs the generated statement's text/);
});
