// A bounded ring of the most recent slow calls, for an operator's page or an admin endpoint: what the slow-query
// log lines said (one per query and level per slowQueryLogIntervalMs, with the count held back), kept in memory so they can be shown without a log pipeline. Parameter values are never kept,
// whatever `logParameters` says: this buffer is read by people who must not see personal data.
import type { SlowQueryEvent } from './options.js';

/**
 * One call at or above `slowQueryWarnMs`, as `db.recentSlowQueries()` returns it; `level` is `error` at or above
 * `slowQueryErrorMs` (the alert line). Never carries parameter values.
 *
 * @example
 * ```ts
 * import { createDb, type SlowQueryEntry } from 'sqlbound';
 *
 * const db = createDb({ connectionString: process.env.DATABASE_URL });
 * const alerts: SlowQueryEntry[] = db.recentSlowQueries().filter((entry) => entry.level === 'error');
 * for (const entry of alerts) console.log(entry.at.toISOString(), entry.queryName, `${entry.durationMs} ms`, entry.callSite);
 * ```
 */
export type SlowQueryEntry = Omit<SlowQueryEvent, 'pool' | 'error' | 'parameters'> & {
  at: Date;
  /** The request scope's name (e.g. `query alerts.list`) when the call ran inside one. */
  scope: string | undefined;
  /** The typed error's code when the call failed (a statement timeout is slow and failed). */
  errorCode: string | undefined;
};

export type SlowQueryLog = {
  record(entry: SlowQueryEntry): void;
  /** Newest first; at most the capacity. */
  recent(): SlowQueryEntry[];
};

export function createSlowQueryLog(capacity: number): SlowQueryLog {
  const ring: SlowQueryEntry[] = [];
  let next = 0;
  return {
    record(entry) {
      if (capacity === 0) return;
      if (ring.length < capacity) ring.push(entry);
      else ring[next] = entry;
      next = (next + 1) % capacity;
    },
    recent() {
      // `next` is the oldest slot once the ring is full; walking backwards from it gives newest first.
      const ordered: SlowQueryEntry[] = [];
      for (let k = 1; k <= ring.length; k++) {
        const entry = ring[(next - k + ring.length * 2) % ring.length];
        if (entry !== undefined) ordered.push({ ...entry });
      }
      return ordered;
    },
  };
}
