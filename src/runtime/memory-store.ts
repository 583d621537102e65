// The query cache's default store: one process's memory, on lru-cache (bounded by entries and by bytes, least
// recently used out first), plus an index from tag to keys so a write drops exactly the entries of its tags.
// It has the shape of the CacheStore a BentoCache fills, so cache.ts treats both alike; what BentoCache adds beyond
// that shape (a Redis L2, a bus between instances) is for stores the application brings.
import { LRUCache } from 'lru-cache';
import { copyValue, measuredCopy } from './copy.js';

/** Bounds of the default store. */
export type MemoryStoreOptions = { maxItems: number; maxBytes: number };

type Entry = { value: unknown; bytes: number; tags: readonly string[]; expiresAt: number };

/**
 * Values are stored as copies (./copy.ts: plain data walked, anything else structured-cloned): Dates, Buffers and
 * bigints come back as they went in, the byte bound counts an estimate of the bytes held, and every read gets its
 * own copy, which callers may revive in place (./revive.ts) without touching another caller's rows. Copies, not
 * v8.serialize: encoding a dashboard cost a miss about 50 µs, and its decoding every hit (issue 30).
 */
export function createMemoryStore(options: MemoryStoreOptions) {
  const keysByTag = new Map<string, Set<string>>();
  const unlink = (key: string, tags: readonly string[]) => {
    for (const tag of tags) {
      const keys = keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) keysByTag.delete(tag);
    }
  };
  const entries = new LRUCache<string, Entry>({
    max: options.maxItems,
    maxSize: options.maxBytes,
    sizeCalculation: (entry) => Math.max(1, entry.bytes),
    // Every way out (evicted, replaced, deleted, cleared) leaves the tag index, so it never outgrows the entries.
    dispose: (entry, key) => unlink(key, entry.tags),
  });

  /** The entry's own copy, or undefined (absent or expired). */
  const peek = (key: string): unknown => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    // Expiry on the wall clock, like the derived values' in cache.ts: one clock for every TTL of the cache. An
    // expired entry is dropped when read, or leaves with the least recently used.
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return copyValue(entry.value);
  };
  /** Stores a copy; false when the entry exceeds the byte bound. Throws what the copy throws (a function). */
  const put = (key: string, value: unknown, ttl: number, tags: readonly string[]): boolean => {
    const { copy, bytes } = measuredCopy(value);
    // The tags are kept as given: the cache hands over arrays nothing changes (remembered per policy and scope).
    const entry: Entry = { value: copy, bytes, tags, expiresAt: Date.now() + ttl };
    entries.set(key, entry);
    // lru-cache refuses an entry larger than the byte bound (and drops the key's older one): nothing to index.
    if (entries.peek(key) !== entry) return false;
    for (const tag of tags) {
      const keys = keysByTag.get(tag);
      if (keys === undefined) keysByTag.set(tag, new Set([key]));
      else keys.add(key);
    }
    return true;
  };

  return {
    /**
     * Synchronous reads and writes, for the cache over this store (./cache.ts): a miss then costs no promise of the
     * store's own, and a hit no await.
     */
    peek,
    put,
    async get({ key }: { key: string }): Promise<unknown> {
      return peek(key);
    },
    async set({ key, value, ttl, tags }: { key: string; value: unknown; ttl: number; tags: string[] }): Promise<boolean> {
      // A copy of the array: a caller of this shape (BentoCache's) may reuse its own.
      return put(key, value, ttl, [...tags]);
    },
    async deleteByTag({ tags }: { tags: string[] }): Promise<boolean> {
      // A copy: each delete unlinks its key from these very sets.
      const keys = new Set(tags.flatMap((tag) => [...(keysByTag.get(tag) ?? [])]));
      for (const key of keys) entries.delete(key);
      return keys.size > 0;
    },
    async clear(): Promise<void> {
      entries.clear();
      keysByTag.clear();
    },
    async disconnectAll(): Promise<void> {
      // Nothing to disconnect: the memory goes back at once rather than with the last reference to the store.
      entries.clear();
      keysByTag.clear();
    },
    /** Entries held, and tags indexed (tests: the index shrinks with the entries). */
    size: () => ({ entries: entries.size, bytes: entries.calculatedSize, tags: keysByTag.size }),
  };
}
