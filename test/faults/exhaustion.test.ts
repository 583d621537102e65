// Pool exhaustion: 1,000 concurrent callers on 20 connections with a slow query. Nobody waits longer than the
// acquire timeout; those that time out get a typed PoolTimeoutError, which the API answers as 503 + Retry-After.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PoolTimeoutError, isSqlboundError } from 'sqlbound';
import { testDatabase } from '../support/database.js';
import { seed } from '../../src/server/seed.js';
import { sleepStatement } from '../runtime/support.js';
import { AUTH_SECRET, countBy, eventually, report, startApiOn, USERS } from './support.js';
import { issueToken } from '../../src/server/auth.js';

const ACQUIRE_TIMEOUT_MS = 1000;
const SLOW_SECONDS = 0.5;
// Far below what an unbounded queue would cost (1000 callers / 20 connections x 0.5 s = 25 s; over HTTP, the 6 s
// the pool is held), and far above what timer and event-loop slack on a loaded machine add to a 1 s timeout.
const SLACK_MS = 2500;

test('1,000 callers on 20 connections: bounded waits, typed timeouts, 503 over HTTP', { timeout: 120_000 }, async () => {
  const database = await testDatabase();
  await seed(database.url, { users: USERS, seed: 1 });
  const api = await startApiOn(database.url, { max: 20, connectionTimeoutMillis: ACQUIRE_TIMEOUT_MS });
  try {
    // Connections are opened first: on a loaded machine, opening 20 (SCRAM, a backend fork each) can itself take
    // longer than the acquire timeout, and this case is about waiting for a busy pool, not about connecting.
    await Promise.all(Array.from({ length: 20 }, (_, i) => api.db.execute(sleepStatement('warm', 0.2), [i])));
    const settled = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const started = performance.now();
        try {
          await api.db.execute(sleepStatement('exhaust', SLOW_SECONDS), [i]);
          return { ok: true as const, ms: performance.now() - started, error: null };
        } catch (error) {
          return { ok: false as const, ms: performance.now() - started, error };
        }
      }),
    );
    const succeeded = settled.filter((outcome) => outcome.ok);
    const failed = settled.filter((outcome) => !outcome.ok);
    const slowestFailure = Math.max(...failed.map((outcome) => outcome.ms));
    const slowestSuccess = Math.max(...succeeded.map((outcome) => outcome.ms));
    report('pool-exhaustion-runtime', {
      callers: settled.length,
      succeeded: succeeded.length,
      timedOut: failed.length,
      slowestTimeoutMs: Math.round(slowestFailure),
      slowestSuccessMs: Math.round(slowestSuccess),
      acquireTimeoutMs: ACQUIRE_TIMEOUT_MS,
    });
    assert.ok(succeeded.length >= 20, `${succeeded.length} succeeded`);
    assert.ok(failed.length > 500, `${failed.length} timed out`);
    for (const outcome of failed) {
      assert.ok(outcome.error instanceof PoolTimeoutError, `untyped or unexpected: ${String(outcome.error)}`);
    }
    assert.ok(slowestFailure <= ACQUIRE_TIMEOUT_MS + SLACK_MS, `a caller waited ${Math.round(slowestFailure)} ms to be told`);
    assert.ok(slowestSuccess <= ACQUIRE_TIMEOUT_MS + SLOW_SECONDS * 1000 + SLACK_MS, `a success took ${Math.round(slowestSuccess)} ms`);
    await eventually(() => api.db.poolStats().total === api.db.poolStats().idle && api.db.poolStats().waiting === 0, 'the pool to drain');

    // Over HTTP: the pool is held by slow statements (6 s), so API requests wait out the acquire timeout (1 s).
    const holders = Promise.allSettled(Array.from({ length: 20 }, (_, i) => api.db.execute(sleepStatement('hold', 6), [i])));
    await eventually(() => api.db.poolStats().idle === 0 && api.db.poolStats().total === 20, 'the pool to be held');
    const token = issueToken(AUTH_SECRET, '1');
    const answers = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const started = performance.now();
        const response = await fetch(`${api.base}/trpc/dashboard.get`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await response.json()) as { error?: { data: { code: string } } };
        return {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          code: body.error?.data.code,
          ms: performance.now() - started,
        };
      }),
    );
    await holders;
    report('pool-exhaustion-http', {
      requests: answers.length,
      statuses: countBy(answers, (answer) => answer.status),
      slowestMs: Math.round(Math.max(...answers.map((answer) => answer.ms))),
    });
    for (const answer of answers) {
      assert.equal(answer.status, 503);
      assert.equal(answer.retryAfter, '5');
      assert.equal(answer.code, 'SERVICE_UNAVAILABLE');
      assert.ok(answer.ms <= ACQUIRE_TIMEOUT_MS + SLACK_MS, `an HTTP caller waited ${Math.round(answer.ms)} ms`);
    }
    assert.ok(failed.every((outcome) => isSqlboundError(outcome.error)));
  } finally {
    await api.close();
  }
});
