// /metrics with two workers on one port (npm run start:cluster; start:topology forks its workers the same way).
// node:cluster hands each scrape to one worker: it used to answer with its own series alone, so six scrapes in a row
// summed the query count to 246, 217, 246, 217... and Prometheus saw a counter reset at every scrape. Now every
// scrape holds both workers' series, labelled worker, and no counter goes backwards between two scrapes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { issueToken } from '../../src/server/auth.js';
import { seed } from '../../src/server/seed.js';
import { startCluster } from '../support/cluster.js';
import { testDatabase } from '../support/database.js';
import { labelValues, parseExposition } from '../ops/exposition.js';
import { mergeWorkerMetrics } from '../../src/server/cluster-metrics.js';

const AUTH_SECRET = 'cluster-metrics-auth-secret-0123456789abcdef';
const database = await testDatabase();
await seed(database.url, { users: 20, seed: 1 });

/** Sample lines as series (name and labels) to value. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    values.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return values;
}

const isCounterSample = (series: string) => /^[\w:]+(_total|_count|_sum|_bucket)\{/.test(series);

test('six scrapes of two workers: every worker in each, labelled, and counters never go backwards', { timeout: 120_000 }, async () => {
  const cluster = await startCluster(2, {
    DATABASE_URL: database.url,
    // Every request runs its queries, so the counters move between scrapes.
    SQLBOUND_CACHE: 'off',
    SQLBOUND_RESPONSE_CACHE: 'off',
    SQLBOUND_AUTH_SECRET: AUTH_SECRET,
    SQLBOUND_CURSOR_SECRET: 'cluster-metrics-cursor-secret-0123456789abcdef',
  });
  const { url } = cluster;
  try {
    const token = issueToken(AUTH_SECRET, '1');
    const scrapes: Map<string, number>[] = [];
    const sums: number[] = [];
    for (let scrape = 0; scrape < 6; scrape += 1) {
      // Traffic between scrapes, spread over both workers by the primary's round robin.
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          fetch(`${url}/trpc/${i % 2 === 0 ? 'dashboard.get' : 'profile.get'}`, { headers: { authorization: `Bearer ${token}` } }).then(
            (response) => assert.equal(response.status, 200),
          ),
        ),
      );
      const response = await fetch(`${url}/metrics`);
      assert.equal(response.status, 200);
      const text = await response.text();
      parseExposition(text);
      const types = text.split('\n').filter((line) => line.startsWith('# TYPE '));
      assert.equal(new Set(types).size, types.length, 'each family is declared once');
      assert.deepEqual([...labelValues(text, 'db_client_operation_duration_count', 'worker')].sort(), ['1', '2'], text);
      const values = samples(text);
      scrapes.push(values);
      sums.push(
        [...values]
          .filter(([series]) => series.startsWith('db_client_operation_duration_count{'))
          .reduce((sum, [, value]) => sum + value, 0),
      );
    }
    console.log(`# CLUSTER metrics: db_client_operation_duration_count summed over 6 scrapes: ${sums.join(', ')}`);
    for (let i = 1; i < scrapes.length; i += 1) {
      const [before, after] = [scrapes[i - 1], scrapes[i]];
      assert.ok(before !== undefined && after !== undefined);
      for (const [series, value] of before) {
        if (!isCounterSample(series)) continue;
        const next = after.get(series);
        assert.ok(next !== undefined, `${series} vanished between scrapes ${i} and ${i + 1}`);
        assert.ok(next >= value, `${series} went from ${value} to ${next} between scrapes ${i} and ${i + 1}`);
      }
      assert.ok((sums[i] ?? 0) > (sums[i - 1] ?? 0), `the query count summed over workers: ${sums.join(', ')}`);
    }
  } finally {
    await cluster.stop();
  }
});

test('the merge keeps each family together, declared once, every sample labelled with its worker', () => {
  const worker = (calls: number) =>
    [
      '# HELP target_info Target metadata',
      '# TYPE target_info gauge',
      'target_info{service_name="sqlbound-api"} 1',
      '# HELP calls_total Calls',
      '# TYPE calls_total counter',
      `calls_total{q="a"} ${calls}`,
      `calls_total{q="b{x}"} ${calls + 1}`,
      '# TYPE up gauge',
      'up 1',
      '# TYPE empty_labels gauge',
      'empty_labels{} 2',
    ].join('\n');
  assert.equal(
    mergeWorkerMetrics([
      { worker: '1', text: worker(5) },
      { worker: '2', text: worker(7) },
    ]),
    [
      '# HELP target_info Target metadata',
      '# TYPE target_info gauge',
      'target_info{worker="1",service_name="sqlbound-api"} 1',
      'target_info{worker="2",service_name="sqlbound-api"} 1',
      '# HELP calls_total Calls',
      '# TYPE calls_total counter',
      'calls_total{worker="1",q="a"} 5',
      'calls_total{worker="1",q="b{x}"} 6',
      'calls_total{worker="2",q="a"} 7',
      'calls_total{worker="2",q="b{x}"} 8',
      '# TYPE up gauge',
      'up{worker="1"} 1',
      'up{worker="2"} 1',
      '# TYPE empty_labels gauge',
      'empty_labels{worker="1"} 2',
      'empty_labels{worker="2"} 2',
      '',
    ].join('\n'),
  );
});
