// The example API's shared cache: bentocache with an in-memory L1, Redis (Debian's redis-server) as L2 and as the
// bus, so every API instance serves the others' entries and drops its own copies when any instance writes.
// Redis going away never fails a read: bentocache suppresses L2 errors (a circuit breaker skips Redis for a
// while), the query runs on the database, and the outage is logged once, with its end.
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { cacheSerializer, type CacheStore } from 'sqlbound';

export type SharedCacheOptions = { url: string; logger: Logger; maxItems?: number; maxBytes?: number };

/** Connection options for every Redis connection of the cache: fail fast while Redis is down, reconnect quietly. */
function redisOptions(url: string) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    connectTimeout: 1000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  };
}

export function createSharedCacheStore(options: SharedCacheOptions): CacheStore {
  const { logger } = options;
  // Commands fail at once while disconnected instead of queueing: a read then goes to the database.
  const connection = new Redis({ ...redisOptions(options.url), enableOfflineQueue: false });
  let down = false;
  connection.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.error(
      { err: error.message, redis: options.url },
      'Redis (shared cache) is unreachable: reads go to the database, other instances are not told about writes',
    );
  });
  connection.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: options.url }, 'Redis (shared cache) is back');
  });
  return new BentoCache({
    default: 'queries',
    serializer: cacheSerializer,
    // Redis down: the L1 and the database serve; the breaker stops paying a failed round trip per read.
    suppressL2Errors: true,
    l2CircuitBreakerDuration: '2s',
    stores: {
      queries: bentostore()
        .useL1Layer(memoryDriver({ maxItems: options.maxItems ?? 10_000, maxSize: options.maxBytes ?? 64 * 1024 * 1024 }))
        .useL2Layer(redisDriver({ connection }))
        // The bus keeps its own connections (subscriber and publisher), queueing while Redis reconnects.
        .useBus(redisBusDriver({ connection: redisOptions(options.url) })),
    },
  });
}
