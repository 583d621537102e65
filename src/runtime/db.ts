// createDb(): one pg.Pool, and everything that queries through it (generated functions, Kysely, transactions)
// timed, logged, measured and typed the same way.
import { metrics as otelMetrics } from '@opentelemetry/api';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { createQueryCache, type QueryCache } from './cache.js';
import type { CallOptions, Queryable, Rows, Statement } from './contract.js';
import { executeOnPool } from './execute.js';
import { createKysely, type EmptyDatabase } from './kysely.js';
import { poolAcquirer } from './lease.js';
import { createMetrics } from './metrics.js';
import { createObserver } from './observe.js';
import { resolveOptions, type DbOptions, type PoolStats, type ResolvedOptions } from './options.js';
import { createPool, poolCloser, poolStats } from './pool.js';
import { preparedMode } from './prepared.js';
import { stream } from './stream.js';
import { transaction, type Transaction, type TransactionOptions } from './transaction.js';

export interface Db<DB = EmptyDatabase> extends Queryable {
  readonly inTransaction: false;
  /** Kysely over the same pool: its queries are timed, logged, measured and typed like generated ones. */
  readonly kysely: Kysely<DB>;
  transaction<T>(fn: (tx: Transaction<DB>) => Promise<T>, options?: TransactionOptions): Promise<T>;
  poolStats(): PoolStats;
  /** The settings in effect after defaults and environment overrides (logger and meter omitted). */
  readonly settings: Readonly<Omit<ResolvedOptions, 'logger' | 'meter' | 'onSlowQuery' | 'cursorSecret' | 'connectionString'>>;
  /** The result cache of `-- cache:` queries, or null when disabled. */
  readonly cache: QueryCache | null;
  /**
   * Ends the pool. Waits for running statements at most `timeoutMs` (default 5000), then cancels them and closes
   * their connections, so a statement blocked on a lock cannot hold a shutdown until statement_timeout.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

function isQueryCache(value: unknown): value is QueryCache {
  return typeof value === 'object' && value !== null && 'read' in value && 'invalidate' in value;
}

export function createDb<DB = EmptyDatabase>(options: DbOptions = {}): Db<DB> {
  const resolved = resolveOptions(options, { meterProvider: otelMetrics.getMeterProvider() });
  const logger = resolved.logger;
  const pool: pg.Pool = createPool(resolved, logger);
  const closePool = poolCloser(pool, resolved.connectionString, logger);
  const stats = () => poolStats(pool, resolved.max);
  const metrics = createMetrics(resolved.meter, resolved.applicationName, stats);
  const observe = createObserver(resolved, logger, metrics, stats);
  const acquire = poolAcquirer(pool, observe);
  const kysely = createKysely<DB>(acquire, observe);
  const cacheOption = options.cache ?? {};
  const cache: QueryCache | null =
    cacheOption === false
      ? null
      : isQueryCache(cacheOption)
        ? cacheOption
        : createQueryCache({ logger, meter: resolved.meter, ...cacheOption });
  const prepared = preparedMode(resolved.preparedStatements, logger);
  const runtime = { acquire, observe, options: resolved, cache, prepared };
  const run = <Row>(statement: Statement, values: readonly unknown[]) =>
    executeOnPool<Row>(pool, observe, prepared, statement, values);
  const { logger: _logger, meter: _meter, onSlowQuery: _hook, cursorSecret, connectionString: _url, ...settings } = resolved;
  let closing: Promise<void> | null = null;
  return {
    inTransaction: false,
    cursorSecret,
    kysely,
    settings,
    cache,
    async execute<Row>(statement: Statement, values: readonly unknown[], callOptions?: CallOptions): Promise<Rows<Row>> {
      const { cache: policy, effect } = statement;
      if (cache !== null && policy !== undefined && callOptions?.bypassCache !== true) {
        return cache.read(statement.name, policy, values, () => run<Row>(statement, values));
      }
      const result = await run<Row>(statement, values);
      if (cache !== null && effect !== undefined) await cache.invalidate(statement.name, effect, values);
      return result;
    },
    stream<Row>(statement: Statement, values: readonly unknown[], batchSize: number): AsyncIterable<Row[]> {
      return stream<Row>(acquire, observe, resolved.connectionTimeoutMillis, statement, values, batchSize);
    },
    transaction: (fn, transactionOptions) => transaction(runtime, fn, transactionOptions),
    poolStats: stats,
    close(closeOptions) {
      closing ??= (async () => {
        metrics.close();
        await cache?.close();
        // Kysely's destroy() ends the driver, not the pool: the pool is ours and is closed, bounded, below.
        await kysely.destroy();
        await closePool(closeOptions?.timeoutMs ?? 5000);
      })();
      return closing;
    },
  };
}
