// The batch limit: a real tRPC client with the documented maxItems gets every answer; without it, a burst
// gets a 400 that names the limit and the fix. Over-limit batches run nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { MAX_BATCH_SIZE } from '../../src/server/batch.js';
import type { AppRouter } from '../../src/server/routers/index.js';
import { pickUsers, startApi, type Api } from './support.js';

const api: Api = await startApi({ seedUsers: 50 });
const { typical } = await pickUsers(api);
const token = api.token(typical);

function client(maxItems: number | undefined) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${api.base}/trpc`,
        headers: { authorization: `Bearer ${token}` },
        // docs/api.md's client: maxItems at the server's limit, and batched URLs kept well under 16 KiB.
        ...(maxItems === undefined ? {} : { maxItems, maxURLLength: 8000 }),
      }),
    ],
  });
}

/** Calls made in one tick: httpBatchLink puts them in one batch unless maxItems splits it. */
function burst(trpc: ReturnType<typeof client>, calls: number): Promise<unknown>[] {
  return Array.from({ length: calls }, (_, i) =>
    i % 3 === 0 ? trpc.profile.get.query() : i % 3 === 1 ? trpc.alerts.list.query({ limit: 1 }) : trpc.brokers.list.query({ limit: 1 }),
  );
}

async function batch(paths: string[], inputs: Record<number, unknown>, method: 'GET' | 'POST') {
  const input = encodeURIComponent(JSON.stringify(inputs));
  const url = `${api.base}/trpc/${paths.join(',')}?batch=1${method === 'GET' ? `&input=${input}` : ''}`;
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    ...(method === 'POST' ? { body: JSON.stringify(inputs) } : {}),
  });
  const body: unknown = await response.json();
  return { status: response.status, body };
}

function refusalMessage(body: unknown): string {
  const item: unknown = Array.isArray(body) ? body[0] : body;
  const error: unknown = typeof item === 'object' && item !== null ? Reflect.get(item, 'error') : undefined;
  const message: unknown = typeof error === 'object' && error !== null ? Reflect.get(error, 'message') : undefined;
  return typeof message === 'string' ? message : '';
}

describe('batch limit', () => {
  test(`httpBatchLink with maxItems: ${MAX_BATCH_SIZE} gets every answer of a burst of 45 calls`, async () => {
    const results = await Promise.all(burst(client(MAX_BATCH_SIZE), 45));
    assert.equal(results.length, 45);
  });

  test('without maxItems the burst is one batch, refused with a 400 that names the limit and the fix', async () => {
    const results = await Promise.allSettled(burst(client(undefined), 45));
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      const reason: unknown = result.status === 'rejected' ? result.reason : undefined;
      assert.ok(reason instanceof TRPCClientError);
      assert.match(reason.message, new RegExp(`batch of 45 calls exceeds the limit of ${MAX_BATCH_SIZE} calls per request.*maxItems`));
      const data: unknown = reason.data;
      assert.equal(typeof data === 'object' && data !== null ? Reflect.get(data, 'httpStatus') : undefined, 400);
    }
  });

  test(`exactly ${MAX_BATCH_SIZE} calls run; one more, or hundreds, are a 400 before anything runs`, async () => {
    const full = Array.from({ length: MAX_BATCH_SIZE }, () => 'brokers.list');
    const ok = await batch(full, Object.fromEntries(full.map((_, i) => [i, { limit: 1 }])), 'GET');
    assert.equal(ok.status, 200);
    assert.equal((ok.body as unknown[]).length, MAX_BATCH_SIZE);
    const longest = Array.from({ length: MAX_BATCH_SIZE }, () => 'subscription.status');
    assert.equal((await batch(longest, {}, 'GET')).status, 200, 'a full batch of the longest path fits the route');
    for (const calls of [MAX_BATCH_SIZE + 1, 500]) {
      const over = await batch(
        Array.from({ length: calls }, () => 'brokers.list'),
        {},
        'GET',
      );
      assert.equal(over.status, 400, `${calls} calls`);
      // One error per call while that stays small, so a batching client hands each caller the message.
      if (calls <= 10 * MAX_BATCH_SIZE) assert.equal((over.body as unknown[]).length, calls);
      assert.match(refusalMessage(over.body), new RegExp(`batch of ${calls} calls exceeds the limit`));
    }
  });

  test('an over-limit batch of mutations changes nothing', async () => {
    const unread = await api.sql<{ id: string }>('SELECT id::text AS id FROM alerts WHERE user_id = $1 AND read_at IS NULL', [typical]);
    assert.ok(unread.length > 0);
    const paths = Array.from({ length: MAX_BATCH_SIZE + 1 }, () => 'alerts.markRead');
    const inputs = Object.fromEntries(paths.map((_, i) => [i, { alertId: unread[i % unread.length]?.id }]));
    const over = await batch(paths, inputs, 'POST');
    assert.equal(over.status, 400);
    const after = await api.sql<{ id: string }>('SELECT id::text AS id FROM alerts WHERE user_id = $1 AND read_at IS NULL', [typical]);
    assert.deepEqual(after, unread);
  });
});
