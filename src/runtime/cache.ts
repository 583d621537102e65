// Query result cache: over this process's memory by default (./memory-store.ts, bounded by entries and bytes), or
// over a store the application configures by CacheStore's shape, such as a BentoCache with a Redis L2 and a bus, so
// instances share entries and invalidations.
// Keys hold the query name and every param value. Tags come from the manifest's tables: a write drops the
// entries of the queries that read what it wrote, only the scope user's entries when the write is per user.
import { AsyncLocalStorage } from 'node:async_hooks';
import { deserialize, serialize } from 'node:v8';
import type { Meter } from '@opentelemetry/api';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { EVERY_TABLE, type CachePolicy, type WriteEffect } from './contract.js';
import { copyValue } from './copy.js';
import { createMemoryStore } from './memory-store.js';

/**
 * Options of createQueryCache, and of createDb's `cache` option. The bounds apply to the default in-memory
 * store only; with `bento` the store is yours to bound.
 *
 * @example
 * ```ts
 * import { createDb, type QueryCacheOptions } from 'sqlbound';
 *
 * const cache: QueryCacheOptions = { maxItems: 50_000, maxBytes: 256 * 1024 * 1024 };
 * const db = createDb({ connectionString: process.env.DATABASE_URL, cache });
 * ```
 */
export type QueryCacheOptions = {
  /** Entry bound of the default in-memory store (default 10000). */
  maxItems?: number;
  /** Byte bound of the default in-memory store (default 64 MiB). */
  maxBytes?: number;
  /** A BentoCache of your own (e.g. Redis L2 with a bus across instances) instead of the default store. */
  bento?: CacheStore;
  logger?: Logger;
  meter?: Meter;
  /**
   * Called with the tags of every invalidation this process makes, as soon as it makes it: to relay them to other
   * processes whose caches hold the same data without a shared store (node:cluster workers, each with its own
   * in-memory store), which apply them with `dropTags`.
   */
  onInvalidated?: (tags: readonly string[]) => void;
};

/**
 * The part of BentoCache's API the query cache calls. Any `BentoCache` instance fits; typing the option by shape
 * keeps bentocache's declarations (which import its optional drivers: ioredis, knex, ...) out of sqlbound's.
 *
 * @example
 * ```ts
 * import { BentoCache, bentostore } from 'bentocache';
 * import { memoryDriver } from 'bentocache/drivers/memory';
 * import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
 * import { cacheSerializer, createQueryCache, type CacheStore } from 'sqlbound';
 *
 * const connection = { host: 'redis', port: 6379 };
 * const queries = bentostore()
 *   .useL1Layer(memoryDriver({ maxItems: 10_000 }))
 *   .useL2Layer(redisDriver({ connection }))
 *   .useBus(redisBusDriver({ connection }));
 * const bento: CacheStore = new BentoCache({ default: 'queries', serializer: cacheSerializer, stores: { queries } });
 * const cache = createQueryCache({ bento });
 * ```
 */
export type CacheStore = {
  get(options: { key: string }): Promise<unknown>;
  set(options: { key: string; value: unknown; ttl: number; tags: string[] }): Promise<unknown>;
  deleteByTag(options: { tags: string[] }): Promise<unknown>;
  clear(): Promise<unknown>;
  disconnectAll(): Promise<unknown>;
};

/**
 * Counters since the cache was created. A miss is a query that ran: concurrent misses for one key count once,
 * since they share one run.
 *
 * @example
 * ```ts
 * import type { CacheStats } from 'sqlbound';
 *
 * const stats: CacheStats | undefined = db.cache?.stats(); // e.g. { hits: 120, misses: 8, invalidations: 3 }
 * ```
 */
export type CacheStats = { hits: number; misses: number; invalidations: number };

/**
 * The result cache of `-- cache:` queries: generated functions reach it through db.execute, which reads through
 * it for a statement with a CachePolicy and invalidates it after one with a WriteEffect. Inside a transaction it
 * is neither read nor filled. Use it directly to clear it or read its stats.
 *
 * @example
 * ```ts
 * import type { QueryCache } from 'sqlbound';
 *
 * const cache: QueryCache | null = db.cache;
 * await cache?.clear(); // e.g. between tests
 * ```
 */
export type QueryCache = {
  /** `name` is the query's name; the policy and effect come from its generated statement. */
  read<Result>(name: string, policy: CachePolicy, values: readonly unknown[], run: () => Promise<Result>): Promise<Result>;
  /**
   * A value computed from cached reads only (e.g. the serialized HTTP response of a procedure), cached under the
   * union of their tags, so the writes that drop those reads drop it too, on every instance sharing the store.
   * It is stored only when every statement `compute` sent went through this cache, at least one did, and no write
   * touched their tags meanwhile; its TTL is the shortest of theirs. `label` names it in logs (no user ids). Its
   * hits and misses are the caller's to count: the cache's own counters and metrics are per query.
   */
  derive<Value>(label: string, key: string, compute: () => Promise<Value>): Promise<Derived<Value>>;
  /**
   * The string `derive` holds for `key`, synchronously: what its next call would serve as a hit without awaiting
   * anything, or undefined. Only the default in-memory store holds derived strings in this process (checked against
   * its own invalidations and the TTL, as `derive` checks them); with a store of your own it is always undefined,
   * since other instances' writes reach that store, not this process: call `derive` there. For answering a hit
   * before any asynchronous work (the example API's front door, src/server/front-door.ts).
   */
  peekDerived(key: string): string | undefined;
  invalidate(name: string, effect: WriteEffect, values: readonly unknown[]): Promise<void>;
  /**
   * Drops what another process's invalidation dropped there (the tags its `onInvalidated` gave): entries, held
   * derived values and runs in flight under those tags, as a local write would. Not relayed again.
   */
  dropTags(tags: readonly string[]): Promise<void>;
  /** Drops every entry (tests, admin). */
  clear(): Promise<void>;
  stats(): CacheStats;
  close(): Promise<void>;
};

/**
 * What `QueryCache.derive` did: served a stored value, stored a fresh one, or computed one it could not store
 * (`uncached`: a statement bypassed the cache, or none read through it; `raced`: a write touched its tags).
 *
 * @example
 * ```ts
 * import { createDb, createQueryCache, type Derived } from 'sqlbound';
 * import { getDashboard } from './generated/index.js';
 *
 * declare const userId: string;
 * const cache = createQueryCache();
 * const db = createDb({ connectionString: process.env.DATABASE_URL, cache });
 * const load = async () => JSON.stringify(await getDashboard(db, { userId }));
 * const page: Derived<string> = await cache.derive('dashboard.get', `dashboard.get:${userId}`, load);
 * if (page.outcome === 'uncached') console.log('this procedure reads something the cache does not hold');
 * ```
 */
export type Derived<Value> = { value: Value; outcome: 'hit' | 'stored' | 'uncached' | 'raced' };

/** The reads a `derive` computation makes through one cache: their tags as first seen, and the shortest TTL. */
type Capture = {
  owner: object;
  tags: Map<string, number>;
  ttlMs: number;
  reads: number;
  /** false: a statement went around the cache, as it will next time (the value is `uncached`). */
  complete: boolean;
  /** true: this time only, a read may have seen data a concurrent write changes (the value is `raced`). */
  racing: boolean;
};
const captures = new AsyncLocalStorage<Capture>();

/**
 * Tells a `derive` computation in progress (if any) that a statement ran outside the cache: its value then
 * depends on data no tag covers, and must not be stored. The runtime calls it for every such statement.
 *
 * @example
 * ```ts
 * import { noteUncachedStatement } from 'sqlbound';
 *
 * noteUncachedStatement(); // e.g. before a query sent through your own pg client inside a derived computation
 * ```
 */
export function noteUncachedStatement(): void {
  const capture = captures.getStore();
  if (capture !== undefined) capture.complete = false;
}

type DerivedEntry = { value: string; expiresAt: number; tags: [string, number][] };

/** Derived strings, bounded by entries and by string bytes (UTF-16, two per character). */
function derivedStrings(maxItems: number, maxBytes: number) {
  return new LRUCache<string, DerivedEntry>({
    max: maxItems,
    maxSize: maxBytes,
    sizeCalculation: (entry) => Math.max(1, entry.value.length * 2),
  });
}

const bigintAsText = (_key: string, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value);

/** Param values as a stable key: JSON, with Dates as ISO text and bigints as decimal text. */
function cacheKey(name: string, values: readonly unknown[]): string {
  // A replacer takes JSON.stringify off its fast path: only values that may hold a bigint need one.
  let plain = true;
  for (const value of values) if (typeof value === 'bigint' || (typeof value === 'object' && value !== null)) plain = false;
  return `${name}:${plain ? JSON.stringify(values) : JSON.stringify(values, bigintAsText)}`;
}

const scopeValue = (values: readonly unknown[], index: number) => String(values[index]);

/** Tags of a cached entry: per user for scoped reads (plus a tag for "any user"), one per table otherwise. */
function buildReadTags(policy: CachePolicy, values: readonly unknown[]): string[] {
  const tags = policy.reads.flatMap(({ table, scoped }) =>
    scoped && policy.scope !== null ? [`${table}#user:${scopeValue(values, policy.scope.index)}`, `${table}#users`] : [`${table}#all`],
  );
  // Every entry carries the tag a write of unknown targets drops.
  return [...tags, `${EVERY_TABLE}#all`];
}

/**
 * The same tags, remembered per policy and scope value (a dashboard's 13 strings were rebuilt on every miss). The
 * arrays are shared between calls: nothing here or in the stores changes a tag array it is given.
 */
const tagsByPolicy = new WeakMap<CachePolicy, Map<string, readonly string[]>>();
function readTags(policy: CachePolicy, values: readonly unknown[]): readonly string[] {
  const scope = policy.scope === null ? '' : scopeValue(values, policy.scope.index);
  let byScope = tagsByPolicy.get(policy);
  if (byScope === undefined) {
    byScope = new Map();
    tagsByPolicy.set(policy, byScope);
  }
  let tags = byScope.get(scope);
  if (tags === undefined) {
    if (byScope.size >= 10_000) byScope.clear();
    tags = buildReadTags(policy, values);
    byScope.set(scope, tags);
  }
  return tags;
}

/** Tags a write drops: its user's entries and the unscoped ones when scoped, every entry of the table otherwise. */
function writeTags(effect: WriteEffect, values: readonly unknown[]): string[] {
  return effect.writes.flatMap(({ table, scoped }) =>
    scoped && effect.scope !== null
      ? [`${table}#user:${scopeValue(values, effect.scope.index)}`, `${table}#all`]
      : [`${table}#users`, `${table}#all`],
  );
}

/**
 * The encoding for a BentoCache of your own (a Redis L2): structured clone, as the default store encodes its
 * entries, keeps Dates, Buffers and bigints that JSON would turn into strings; base64 yields strings Redis can hold.
 *
 * @example
 * ```ts
 * import { BentoCache, bentostore } from 'bentocache';
 * import { redisDriver } from 'bentocache/drivers/redis';
 * import { cacheSerializer, createQueryCache } from 'sqlbound';
 *
 * const queries = bentostore().useL2Layer(redisDriver({ connection: { host: 'redis', port: 6379 } }));
 * const cache = createQueryCache({ bento: new BentoCache({ default: 'queries', serializer: cacheSerializer, stores: { queries } }) });
 * ```
 */
export const cacheSerializer = {
  serialize: (value: unknown): string => serialize(value).toString('base64'),
  deserialize: (value: unknown): unknown => deserialize(Buffer.from(String(value), 'base64')),
};

/**
 * A QueryCache in this process's memory by default (lru-cache, bounded by entries and bytes), or over your BentoCache
 * (a Redis L2 plus a bus, so every instance drops what a write on any one of them invalidated). Concurrent misses for one key share one query; a
 * result whose run overlapped an invalidation of its tables is not stored, since it may predate the write. A
 * failing store degrades to running the query. createDb builds one itself; pass one to share it or configure it.
 *
 * @example
 * ```ts
 * import { createDb, createQueryCache } from 'sqlbound';
 *
 * const cache = createQueryCache({ maxItems: 50_000 });
 * const db = createDb({ connectionString: process.env.DATABASE_URL, cache });
 * ```
 */
export function createQueryCache(options: QueryCacheOptions = {}): QueryCache {
  const maxItems = options.maxItems ?? 10_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  // The default store is read and written synchronously by `read` (no promise of its own per miss or hit).
  const memory = options.bento === undefined ? createMemoryStore({ maxItems, maxBytes }) : null;
  const store: CacheStore = options.bento ?? memory!;
  const counters = { hits: 0, misses: 0, invalidations: 0 };
  const hits = options.meter?.createCounter('sqlbound.cache.hits', { description: 'Cached query results served' });
  const misses = options.meter?.createCounter('sqlbound.cache.misses', { description: 'Cached queries that ran' });
  const invalidations = options.meter?.createCounter('sqlbound.cache.invalidations', {
    description: 'Writes that dropped cached results',
  });
  // Concurrent misses for one key share one run, and its failure: nothing is cached on error.
  const inflight = new Map<string, Promise<unknown>>();
  // Bumped by every invalidation of a tag; a run that overlapped one must not store its (maybe stale) result.
  const epochs = new Map<string, number>();
  // Epochs only grow, so their sum over a set of tags changes exactly when one of them does: no string to build.
  const epochOf = (tags: readonly string[]) => {
    let sum = 0;
    for (const tag of tags) sum += epochs.get(tag) ?? 0;
    return sum;
  };
  // Tags whose entries a write is dropping right now (deleteByTag in flight).
  const invalidating = new Map<string, number>();
  const { logger } = options;
  const owner = {};
  // With the default store every invalidation is this process's own, so the epochs say exactly which derived
  // values are stale: strings (serialized responses) are held here, checked against them, and skip the store's
  // decoding on every hit. A shared store (yours) also hears other instances' writes through its bus, which the
  // epochs do not: there every derived value goes through the store.
  const local = options.bento === undefined ? derivedStrings(maxItems, maxBytes) : null;
  const derivedKey = (key: string) => `derived:${key}`;
  // A derived string held here, still fresh by the TTL and by every one of its tags' epochs; a stale one is dropped.
  const heldLocally = (key: string): string | undefined => {
    if (local === null) return undefined;
    const held = local.get(key);
    if (held === undefined) return undefined;
    if (held.expiresAt > Date.now() && held.tags.every(([tag, epoch]) => (epochs.get(tag) ?? 0) === epoch)) return held.value;
    local.delete(key);
    return undefined;
  };

  // Stale from now on: epochs bumped (held derived values and runs in flight see it), then the store's entries dropped.
  const drop = async (tags: string[], source: string, relay: ((tags: readonly string[]) => void) | undefined) => {
    for (const tag of tags) {
      epochs.set(tag, (epochs.get(tag) ?? 0) + 1);
      invalidating.set(tag, (invalidating.get(tag) ?? 0) + 1);
    }
    relay?.(tags);
    // The write has already happened: a failed invalidation is logged loudly rather than failing the caller.
    try {
      await store.deleteByTag({ tags }).catch((error: unknown) => {
        logger?.error({ err: error, query: source, tags }, 'cache invalidation failed: entries may be stale until their TTL');
      });
    } finally {
      for (const tag of tags) {
        const left = (invalidating.get(tag) ?? 1) - 1;
        if (left === 0) invalidating.delete(tag);
        else invalidating.set(tag, left);
      }
    }
  };

  return {
    async read<Result>(name: string, policy: CachePolicy, values: readonly unknown[], run: () => Promise<Result>) {
      const key = cacheKey(name, values);
      const tags = readTags(policy, values);
      const capture = captures.getStore();
      if (capture !== undefined) {
        if (capture.owner !== owner) capture.complete = false;
        capture.reads += 1;
        capture.ttlMs = Math.min(capture.ttlMs, policy.ttlMs);
        // The epoch at first sight: a write after it, before the derived value is stored, makes that value stale.
        // A write still dropping entries may let this read see one of them: nothing derived from it is stored.
        for (const tag of tags) {
          if (!capture.tags.has(tag)) capture.tags.set(tag, epochs.get(tag) ?? 0);
          if ((invalidating.get(tag) ?? 0) > 0) capture.racing = true;
        }
      }
      // A store failure (a Redis L2 gone away) degrades to running the query, never to a failed read.
      const cached =
        memory !== null
          ? memory.peek(key)
          : await store.get({ key }).catch((error: unknown) => {
              logger?.error({ err: error, query: name }, 'cache read failed; running the query');
              return undefined;
            });
      if (cached !== undefined && cached !== null) {
        counters.hits += 1;
        hits?.add(1, { 'db.query.name': name });
        logger?.debug({ query: name, cache: 'hit' }, 'cache hit');
        // Only this cache writes these keys, and only with a Result of this query.
        return cached as Result;
      }
      // A waiter gets its own copy, as a hit does (the same encoding): callers revive their rows in place
      // (./revive.ts), and one caller's result must not be another's.
      const pending = inflight.get(key);
      if (pending !== undefined) {
        // Another call's run, which may have started before a write this derivation would miss.
        if (capture !== undefined) capture.racing = true;
        return pending.then((result) => copyValue(result) as Result);
      }
      counters.misses += 1;
      misses?.add(1, { 'db.query.name': name });
      logger?.debug({ query: name, cache: 'miss' }, 'cache miss');
      const before = epochOf(tags);
      const flight = (async () => {
        try {
          const result = await run();
          if (epochOf(tags) === before) {
            if (memory !== null) {
              try {
                memory.put(key, result, policy.ttlMs, tags);
              } catch (error) {
                logger?.error({ err: error, query: name }, 'cache write failed; result not cached');
              }
            } else {
              await store.set({ key, value: result, ttl: policy.ttlMs, tags: [...tags] }).catch((error: unknown) => {
                logger?.error({ err: error, query: name }, 'cache write failed; result not cached');
              });
            }
          }
          return result;
        } finally {
          inflight.delete(key);
        }
      })();
      inflight.set(key, flight);
      return flight;
    },
    async derive<Value>(label: string, key: string, compute: () => Promise<Value>): Promise<Derived<Value>> {
      const held = heldLocally(key);
      // Held strings are values a derive of this key stored.
      if (held !== undefined) return { value: held as Value, outcome: 'hit' };
      const cached = await store.get({ key: derivedKey(key) }).catch((error: unknown) => {
        logger?.error({ err: error, derived: label }, 'cache read failed; computing the value');
        return undefined;
      });
      // Only derive writes these keys, and only with a Value of this computation.
      if (cached !== undefined && cached !== null) return { value: cached as Value, outcome: 'hit' };
      const capture: Capture = { owner, tags: new Map(), ttlMs: Number.POSITIVE_INFINITY, reads: 0, complete: true, racing: false };
      const value = await captures.run(capture, compute);
      if (!capture.complete || capture.reads === 0) return { value, outcome: 'uncached' };
      const raced = capture.racing || [...capture.tags].some(([tag, epoch]) => (epochs.get(tag) ?? 0) !== epoch || invalidating.has(tag));
      if (raced) return { value, outcome: 'raced' };
      if (local !== null && typeof value === 'string') {
        local.set(key, { value, expiresAt: Date.now() + capture.ttlMs, tags: [...capture.tags] });
        return { value, outcome: 'stored' };
      }
      await store.set({ key: derivedKey(key), value, ttl: capture.ttlMs, tags: [...capture.tags.keys()] }).catch((error: unknown) => {
        logger?.error({ err: error, derived: label }, 'cache write failed; value not cached');
      });
      return { value, outcome: 'stored' };
    },
    peekDerived: heldLocally,
    async invalidate(name: string, effect: WriteEffect, values: readonly unknown[]) {
      const tags = writeTags(effect, values);
      counters.invalidations += 1;
      invalidations?.add(1, { 'db.query.name': name });
      logger?.debug({ query: name, tags }, 'cache invalidated');
      await drop(tags, name, options.onInvalidated);
    },
    dropTags: (tags) => drop([...tags], 'another process', undefined),
    async clear() {
      local?.clear();
      await store.clear();
    },
    stats: () => ({ ...counters }),
    async close() {
      await store.disconnectAll();
    },
  };
}
