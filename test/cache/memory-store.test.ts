// The default store of the query cache (lru-cache plus a tag index): what cache.ts relied on bentocache's memory
// store for. Copies per read, types kept, tags dropped exactly, TTLs on the wall clock, both bounds, and a tag index
// that shrinks with the entries it points to.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { CachePolicy } from '../../src/runtime/contract.js';
import { createQueryCache } from '../../src/runtime/cache.js';
import { createMemoryStore } from '../../src/runtime/memory-store.js';

const roomy = { maxItems: 1000, maxBytes: 1024 * 1024 };

test('a read returns its own copy, with Dates, bigints and Buffers as they were stored', async () => {
  const store = createMemoryStore(roomy);
  const row = { id: 1n, at: new Date('2026-01-02T03:04:05Z'), raw: Buffer.from([1, 2, 3]), nested: [{ n: null }] };
  assert.equal(await store.set({ key: 'k', value: row, ttl: 60_000, tags: ['t'] }), true);
  const first = (await store.get({ key: 'k' })) as typeof row;
  const second = (await store.get({ key: 'k' })) as typeof row;
  assert.deepEqual(first, row);
  assert.ok(first.at instanceof Date && typeof first.id === 'bigint' && Buffer.isBuffer(first.raw));
  assert.notEqual(first, second, 'one object per read');
  first.nested.push({ n: null });
  assert.equal(((await store.get({ key: 'k' })) as typeof row).nested.length, 1, 'changing a copy changes nothing stored');
  row.nested.push({ n: null });
  assert.equal(((await store.get({ key: 'k' })) as typeof row).nested.length, 1, 'nor does changing the value set');
  assert.equal(await store.get({ key: 'absent' }), undefined);
});

test('deleteByTag drops every entry of the tags, and only those; a replaced entry keeps only its new tags', async () => {
  const store = createMemoryStore(roomy);
  await store.set({ key: 'a', value: 1, ttl: 60_000, tags: ['alerts#user:1', 'alerts#users'] });
  await store.set({ key: 'b', value: 2, ttl: 60_000, tags: ['alerts#user:2', 'alerts#users'] });
  await store.set({ key: 'c', value: 3, ttl: 60_000, tags: ['users#all'] });
  await store.deleteByTag({ tags: ['alerts#user:1', 'alerts#all'] });
  assert.deepEqual([await store.get({ key: 'a' }), await store.get({ key: 'b' }), await store.get({ key: 'c' })], [undefined, 2, 3]);
  await store.deleteByTag({ tags: ['alerts#users'] });
  assert.equal(await store.get({ key: 'b' }), undefined);
  assert.equal(await store.get({ key: 'c' }), 3);
  // c now reads another table: a write to the old one leaves it, a write to the new one drops it.
  await store.set({ key: 'c', value: 4, ttl: 60_000, tags: ['profiles#all'] });
  await store.deleteByTag({ tags: ['users#all'] });
  assert.equal(await store.get({ key: 'c' }), 4);
  await store.deleteByTag({ tags: ['profiles#all'] });
  assert.equal(await store.get({ key: 'c' }), undefined);
  assert.deepEqual(store.size(), { entries: 0, bytes: 0, tags: 0 });
  // Set again right after its tag was dropped (the same millisecond): it stays.
  await store.set({ key: 'a', value: 5, ttl: 60_000, tags: ['alerts#user:1'] });
  assert.equal(await store.get({ key: 'a' }), 5);
});

test('an entry expires after its TTL on the wall clock', async () => {
  const store = createMemoryStore(roomy);
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  try {
    await store.set({ key: 'k', value: 'v', ttl: 30_000, tags: ['t'] });
    mock.timers.tick(29_999);
    assert.equal(await store.get({ key: 'k' }), 'v');
    mock.timers.tick(1);
    assert.equal(await store.get({ key: 'k' }), undefined);
    assert.deepEqual(store.size(), { entries: 0, bytes: 0, tags: 0 }, 'an expired entry leaves when read');
  } finally {
    mock.timers.reset();
  }
});

test('the entry bound drops the least recently used entry, and its tags with it', async () => {
  const store = createMemoryStore({ maxItems: 3, maxBytes: 1024 * 1024 });
  for (const key of ['a', 'b', 'c']) await store.set({ key, value: key, ttl: 60_000, tags: [`tag:${key}`] });
  assert.equal(await store.get({ key: 'a' }), 'a'); // b is now the least recently used
  await store.set({ key: 'd', value: 'd', ttl: 60_000, tags: ['tag:d'] });
  assert.equal(await store.get({ key: 'b' }), undefined);
  assert.deepEqual(await Promise.all(['a', 'c', 'd'].map((key) => store.get({ key }))), ['a', 'c', 'd']);
  assert.deepEqual(store.size().tags, 3, "the evicted entry's tag left the index");
});

test('the byte bound holds; an entry larger than it is not stored and takes the older one of its key along', async () => {
  const maxBytes = 16 * 1024;
  const store = createMemoryStore({ maxItems: 1000, maxBytes });
  const value = (n: number) => 'x'.repeat(1000) + String(n);
  for (let n = 0; n < 100; n += 1) await store.set({ key: `k${n}`, value: value(n), ttl: 60_000, tags: [`t${n}`, 'shared'] });
  const { entries, bytes, tags } = store.size();
  assert.ok(bytes <= maxBytes, `${bytes} bytes held with a bound of ${maxBytes}`);
  assert.ok(entries > 5 && entries < 20, `${entries} entries of about 1 KiB each under 16 KiB`);
  assert.equal(tags, entries + 1, 'one tag per entry held, plus the shared one');
  assert.equal(await store.get({ key: 'k99' }), value(99), 'the newest stay');
  assert.equal(await store.get({ key: 'k0' }), undefined, 'the oldest went');
  assert.equal(await store.set({ key: 'k99', value: 'y'.repeat(maxBytes), ttl: 60_000, tags: ['big'] }), false);
  assert.equal(await store.get({ key: 'k99' }), undefined, 'no stale value left under the key');
  assert.equal(store.size().tags, entries, "neither the refused entry's tag nor the dropped one's stay indexed");
});

test('a value structured clone cannot encode rejects (the cache logs it and skips storing), it does not throw', async () => {
  const store = createMemoryStore(roomy);
  const pending = store.set({ key: 'f', value: { run: () => 1 }, ttl: 60_000, tags: ['t'] });
  assert.ok(pending instanceof Promise);
  await assert.rejects(pending, /could not be cloned/);
  assert.equal(await store.get({ key: 'f' }), undefined);
});

test('createQueryCache bounds its default store by maxBytes', async () => {
  const cache = createQueryCache({ maxBytes: 8 * 1024 });
  const policy: CachePolicy = { ttlMs: 60_000, reads: [{ table: 'reports', scoped: false }], scope: null };
  let runs = 0;
  const read = (n: number) =>
    cache.read('report', policy, [n], async () => {
      runs += 1;
      return { n, body: 'r'.repeat(1000) };
    });
  for (let n = 0; n < 40; n += 1) await read(n);
  assert.equal(runs, 40);
  // Newest first: a miss stores its result and pushes out the least recently used, which an oldest-first pass would
  // reach next.
  for (let n = 39; n >= 0; n -= 1) await read(n);
  const hits = cache.stats().hits;
  assert.ok(hits > 0 && hits <= 8, `${hits} of 40 results of 1 KiB were still cached under 8 KiB`);
  await cache.close();
});
