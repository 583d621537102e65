// Invalidations across node:cluster workers without Redis. Each worker keeps its own in-memory cache (and the
// front door's held answers): a write served by one worker must drop what every other worker holds for it, or
// those workers answer with stale rows until the TTL. A worker sends the tags of each invalidation it makes to the
// primary, which hands them to every other worker; each applies them with QueryCache.dropTags. With Redis
// (SQLBOUND_REDIS_URL) the shared store's bus does this instead.
import cluster, { type Worker } from 'node:cluster';
import type { QueryCache } from 'sqlbound';

const KIND = 'cache-invalidated';

function invalidatedTags(message: unknown): string[] | null {
  if (typeof message !== 'object' || message === null || Reflect.get(message, 'kind') !== KIND) return null;
  const tags: unknown = Reflect.get(message, 'tags');
  return Array.isArray(tags) && tags.every((tag): tag is string => typeof tag === 'string') ? tags : null;
}

/** In the primary: relays each worker's invalidations to every other worker. Call once, before forking. */
export function relayCacheInvalidations(): void {
  cluster.on('message', (from: Worker, message: unknown) => {
    const tags = invalidatedTags(message);
    if (tags === null) return;
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker !== undefined && worker !== from && worker.isConnected()) worker.send({ kind: KIND, tags });
    }
  });
}

/**
 * In a worker: the cache option that sends this worker's invalidations to the primary, and `listen`, which applies
 * the other workers'. Outside a cluster: null (nothing to relay).
 */
export function workerCacheRelay(): { onInvalidated: (tags: readonly string[]) => void; listen: (cache: QueryCache) => void } | null {
  const send = process.send?.bind(process);
  if (!cluster.isWorker || send === undefined) return null;
  return {
    onInvalidated: (tags) => send({ kind: KIND, tags }),
    listen: (cache) =>
      process.on('message', (message: unknown) => {
        const tags = invalidatedTags(message);
        if (tags !== null) void cache.dropTags(tags);
      }),
  };
}
