// Read-your-writes across replicas: after a write, the writer's scope key (the request scope's user, or '' outside
// any) remembers the primary's WAL insert position; its reads may use a replica only once that replica has
// replayed past it. Entries expire after `retainMs`, by which time any replica still behind is skipped for lag.
// The position is kept in three places, because node:cluster and a load balancer send one user's next request to
// another process: this process's map, a shared store every instance reads (Redis, when configured), and the
// request scope, whose position an API returns to its client to send back (it holds with no shared store at all).
import type pg from 'pg';
import type { Logger } from 'pino';
import { createLogLimiter } from './log-limit.js';
import { parseLsn } from './lsn.js';
import { consistencyKey, raiseScopePosition, scopePosition } from './scope.js';

export type ReadYourWrites = {
  /** Remembers `lsn` for `key` (the highest one wins). */
  record(key: string, lsn: bigint): void;
  /** The position `key`'s reads must see, or null when it has no recent write. */
  required(key: string): bigint | null;
  readonly size: number;
};

export function createReadYourWrites(retainMs: number, maxKeys = 100_000, now: () => number = Date.now): ReadYourWrites {
  // Insertion order is age order: a key is re-inserted on every write, so the oldest entries come first.
  const positions = new Map<string, { lsn: bigint; at: number }>();
  const prune = () => {
    const cutoff = now() - retainMs;
    for (const [key, entry] of positions) {
      if (entry.at >= cutoff && positions.size <= maxKeys) break;
      positions.delete(key);
    }
  };
  return {
    record(key, lsn) {
      const previous = positions.get(key);
      positions.delete(key);
      positions.set(key, { lsn: previous !== undefined && previous.lsn > lsn ? previous.lsn : lsn, at: now() });
      prune();
    },
    required(key) {
      const entry = positions.get(key);
      if (entry === undefined) return null;
      if (entry.at < now() - retainMs) {
        positions.delete(key);
        return null;
      }
      return entry.lsn;
    },
    get size() {
      return positions.size;
    },
  };
}

/**
 * A store of write positions shared by every instance (Redis in the example API: src/server/write-positions.ts), so
 * a user's write through one process holds back that user's replica reads in every other. `record` keeps the highest
 * position per key for at least `retainMs`; `required` answers null for a key without one. A store that fails
 * (rejects, or takes over a second) makes the read go to the primary: never stale, only slower.
 *
 * @example
 * ```ts
 * import { createDb, formatLsn, parseLsn, type WritePositionStore } from 'sqlbound';
 *
 * declare const kv: { get(key: string): Promise<string | null>; setMax(key: string, value: string, ttlMs: number): Promise<void> };
 * const writePositions: WritePositionStore = {
 *   record: (key, lsn, retainMs) => kv.setMax(`lsn:${key}`, formatLsn(lsn), retainMs),
 *   required: async (key) => {
 *     const text = await kv.get(`lsn:${key}`);
 *     return text === null ? null : parseLsn(text);
 *   },
 * };
 * const db = createDb({ connectionString: process.env.DATABASE_URL!, replicas: [{ connectionString: process.env.REPLICA_URL! }], writePositions });
 * ```
 */
export type WritePositionStore = {
  record(key: string, lsn: bigint, retainMs: number): Promise<void>;
  required(key: string): Promise<bigint | null>;
  /** Called by db.close(): ends the store's connections, if it owns any. */
  close?(): Promise<void>;
};

/** Unknown position: the caller's reads go to the primary until the entry expires. */
const EVERYTHING = 2n ** 64n - 1n;
const STORE_TIMEOUT_MS = 1000;

/** Where the replica layer asks for a caller's position and the write layer leaves it: local, shared, scope. */
export type WritePositions = {
  /** `carry`: also raise the request scope's position, which an API hands back to its client. */
  record(key: string, lsn: bigint, carry: boolean): Promise<void>;
  required(key: string): Promise<bigint | null>;
};

function bounded<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS)),
    ),
  ]).finally(() => clearTimeout(timer));
}

const max = (a: bigint | null, b: bigint | null): bigint | null => (a === null ? b : b === null || a >= b ? a : b);

export function createWritePositions(
  local: ReadYourWrites,
  shared: WritePositionStore | null,
  retainMs: number,
  logger: Logger,
  failureLogIntervalMs: number,
): WritePositions {
  // A Redis outage fails every replica read's lookup: one line per interval, with the count held back.
  const failures = createLogLimiter({
    intervalMs: failureLogIntervalMs,
    onQuiet: (key, suppressed) =>
      logger.warn({ failure: key, suppressed }, `${suppressed} more write position store failures were not logged`),
  });
  const failed = (what: string, error: unknown) =>
    failures.hit(`write position store ${what}`, (suppressed) =>
      logger.warn(
        { err: error instanceof Error ? error.message : String(error), ...(suppressed > 0 ? { suppressed } : {}) },
        `the shared write position store failed to ${what}: affected reads go to the primary`,
      ),
    );
  return {
    async record(key, lsn, carry) {
      local.record(key, lsn);
      if (carry) raiseScopePosition(lsn);
      if (shared === null) return;
      // Awaited: the write's answer must not reach the client before another instance can see its position.
      await bounded(shared.record(key, lsn, retainMs)).catch((error: unknown) => failed('record', error));
    },
    async required(key) {
      const known = max(local.required(key), scopePosition());
      if (shared === null) return known;
      try {
        return max(known, await bounded(shared.required(key)));
      } catch (error) {
        failed('answer', error);
        return EVERYTHING;
      }
    },
  };
}

const PRIMARY_LSN = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';

/**
 * After a write on the primary (a generated statement, a transaction, a Kysely write): records the primary's WAL
 * insert position for the caller's scope key, so the caller's later reads must see it. One cheap statement, on the
 * pool directly: it is bookkeeping, not a call of the application's, and is neither timed nor counted.
 */
export function writePositionRecorder(primary: pg.Pool, positions: WritePositions, logger: Logger): () => Promise<void> {
  return async () => {
    const key = consistencyKey();
    try {
      const { rows } = await primary.query<{ lsn: string }>(PRIMARY_LSN);
      const lsn = rows[0]?.lsn;
      if (lsn === undefined) throw new Error('no WAL position');
      await positions.record(key, parseLsn(lsn), true);
    } catch (error) {
      // Without the position, this caller reads from the primary until the entry expires: never stale. Not carried
      // to the client, which would otherwise send it back, and be held on the primary, for as long as it keeps it.
      await positions.record(key, EVERYTHING, false);
      logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'could not read the WAL position after a write');
    }
  };
}
