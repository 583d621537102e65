// pg_terminate_backend on every backend of the API's pool, 10 times during load: a request fails only when its
// statement was on a terminated backend (at most one per backend per round), the pool never holds more than its
// max, and no client leaks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { testDatabase } from '../support/database.js';
import { seed } from '../../src/server/seed.js';
import { countBy, eventually, report, sleep, startApiOn, startLoad, USERS } from './support.js';

test('pg_terminate_backend on every backend, 10 times under load', { timeout: 120_000 }, async () => {
  const database = await testDatabase();
  await seed(database.url, { users: USERS, seed: 1 });
  const applicationName = `terminate_${process.pid}`;
  const api = await startApiOn(database.url, { max: 20, applicationName });
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  let poolPeak = 0;
  const sampler = setInterval(() => (poolPeak = Math.max(poolPeak, api.db.poolStats().total)), 5);
  try {
    const load = startLoad(api.base, 20);
    await sleep(500);
    let terminated = 0;
    for (let round = 0; round < 10; round += 1) {
      const result = await admin.query<{ n: number }>(
        'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      terminated += result.rows[0]?.n ?? 0;
      await sleep(300);
    }
    await sleep(500);
    await load.stop();
    clearInterval(sampler);

    const failures = load.answers.filter((answer) => answer.status !== 200);
    const figures = {
      requests: load.answers.length,
      statuses: countBy(load.answers, (answer) => answer.status),
      backendsTerminated: terminated,
      failedRequests: failures.length,
      poolPeak,
      pool: api.db.poolStats(),
    };
    report('terminate-backends-x10', figures);
    assert.ok(terminated >= 10, `only ${terminated} backends were terminated`);
    assert.ok(failures.length <= terminated, `${failures.length} failed requests for ${terminated} terminated backends`);
    for (const answer of failures) {
      assert.equal(answer.status, 503, `${answer.path} answered ${answer.status}`);
      assert.equal(answer.retryAfter, '5');
    }
    assert.ok(poolPeak <= 20, `the pool grew to ${poolPeak}`);
    await eventually(() => api.db.poolStats().waiting === 0 && api.db.poolStats().total === api.db.poolStats().idle, 'the pool to settle');
    // The pool still works after all of it.
    const response = await fetch(`${api.base}/healthz`);
    assert.equal(response.status, 200);
  } finally {
    clearInterval(sampler);
    await admin.end();
    await api.close();
  }
});
