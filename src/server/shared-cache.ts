// The example API's shared cache: bentocache with an in-memory L1, Redis (Debian's redis-server) as L2 and as the
// bus, so every API instance serves the others' entries and drops its own copies when any instance writes.
// Redis going away never fails a read: bentocache suppresses L2 errors (a circuit breaker skips Redis for a
// while), the query runs on the database, and the outage is logged once, with its end, whichever of the cache's
// three connections (L2, the bus's publisher and subscriber) sees it first.
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { cacheSerializer, createLogLimiter, type CacheStore } from 'sqlbound';

export type SharedCacheOptions = { url: string; logger: Logger; maxItems?: number; maxBytes?: number };

/** Connection options for every Redis connection of the cache: fail fast while Redis is down, reconnect quietly. */
export function redisOptions(url: string) {
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

/**
 * Reports an outage once for every connection of the cache: the first error of any of them says Redis is
 * unreachable (then at most once per 10 s, with the count held back), the L2 connection's return says it is back.
 * Every connection needs the listener: ioredis writes an "Unhandled error event" line with a stack to stderr at each
 * failed reconnect of a connection without one (three a second per process during an outage).
 */
function outageReporter(url: string, logger: Logger) {
  const limiter = createLogLimiter({
    onQuiet: (key, suppressed) => logger.warn({ redis: url, suppressed }, `${suppressed} more ${key} lines were not logged`),
  });
  let down = false;
  return {
    listen(connection: Redis) {
      connection.on('error', (error: Error) => {
        if (down) return;
        down = true;
        limiter.hit('Redis (shared cache) unreachable', (suppressed) =>
          logger.error(
            { err: error.message, redis: url, ...(suppressed > 0 ? { suppressed } : {}) },
            'Redis (shared cache) is unreachable: reads go to the database, other instances are not told about writes',
          ),
        );
      });
    },
    onReady(connection: Redis) {
      connection.on('ready', () => {
        if (!down) return;
        down = false;
        limiter.hit('Redis (shared cache) back', (suppressed) =>
          logger.info({ redis: url, ...(suppressed > 0 ? { suppressed } : {}) }, 'Redis (shared cache) is back'),
        );
      });
    },
  };
}

/**
 * The bus's connections: @boringnode/bus's RedisTransport makes its publisher and subscriber with duplicate() of the
 * connection it is given (options instead would make connections nobody can listen to). The template itself never
 * connects; each duplicate does, queueing while Redis reconnects, with the outage listener on.
 */
function busTemplate(url: string, listen: (connection: Redis) => void): Redis {
  const template = new Redis({ ...redisOptions(url), lazyConnect: true });
  const duplicate = template.duplicate.bind(template);
  template.duplicate = (override) => {
    const connection = duplicate({ lazyConnect: false, ...override });
    listen(connection);
    return connection;
  };
  return template;
}

export function createSharedCacheStore(options: SharedCacheOptions): CacheStore {
  const outage = outageReporter(options.url, options.logger);
  // Commands fail at once while disconnected instead of queueing: a read then goes to the database.
  const connection = new Redis({ ...redisOptions(options.url), enableOfflineQueue: false });
  outage.listen(connection);
  outage.onReady(connection);
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
        .useBus(redisBusDriver({ connection: busTemplate(options.url, (bus) => outage.listen(bus)) })),
    },
  });
}
