// Read-your-writes across replicas: after a write, the writer's scope key (the request scope's user, or '' outside
// any) remembers the primary's WAL insert position; its reads may use a replica only once that replica has
// replayed past it. Entries expire after `retainMs`, by which time any replica still behind is skipped for lag.
import type pg from 'pg';
import type { Logger } from 'pino';
import { parseLsn } from './lsn.js';
import { consistencyKey } from './scope.js';

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

const PRIMARY_LSN = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';

/**
 * After a write on the primary (a generated statement, a transaction, a Kysely write): records the primary's WAL
 * insert position for the caller's scope key, so the caller's later reads must see it. One cheap statement, on the
 * pool directly: it is bookkeeping, not a call of the application's, and is neither timed nor counted.
 */
export function writePositionRecorder(primary: pg.Pool, positions: ReadYourWrites, logger: Logger): () => Promise<void> {
  return async () => {
    const key = consistencyKey();
    try {
      const { rows } = await primary.query<{ lsn: string }>(PRIMARY_LSN);
      const lsn = rows[0]?.lsn;
      if (lsn === undefined) throw new Error('no WAL position');
      positions.record(key, parseLsn(lsn));
    } catch (error) {
      // Without the position, this caller reads from the primary until the entry expires: never stale.
      positions.record(key, 2n ** 64n - 1n);
      logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'could not read the WAL position after a write');
    }
  };
}
