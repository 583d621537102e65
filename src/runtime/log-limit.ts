// Failure logs during an outage: every request fails the same way, and one line per request (thousands a second)
// buries the first one, costs CPU when the process can least afford it, and fills disks. A limiter lets the first
// occurrence of each distinct failure through per interval and counts the rest; the count is reported on the next
// line for that failure, or by a flush at the end of the interval if there is no next one.

/**
 * Options of createLogLimiter.
 *
 * @example
 * ```ts
 * import { createLogLimiter, type LogLimiterOptions } from 'sqlbound';
 *
 * const options: LogLimiterOptions = { intervalMs: 5_000 };
 * createLogLimiter(options).close();
 * ```
 */
export type LogLimiterOptions = {
  /** Length of the window in which a distinct failure is logged once. Default 10 000 ms. */
  intervalMs?: number;
  /** Injectable clock, for tests. */
  now?: () => number;
  /** Reports a key that was suppressed and then stayed quiet for a whole interval. */
  onQuiet?: (key: string, suppressed: number) => void;
};

/**
 * `emit` receives how many occurrences of this key were suppressed since its last line.
 *
 * @example
 * ```ts
 * import { createLogLimiter, type LogLimiter } from 'sqlbound';
 *
 * const limiter: LogLimiter = createLogLimiter();
 * limiter.hit('upstream down', (suppressed) => console.error(`upstream down (${suppressed} more suppressed)`));
 * limiter.close();
 * ```
 */
export type LogLimiter = {
  /** Logs through `emit` if this key has not been logged in the current interval; otherwise counts it. */
  hit(key: string, emit: (suppressed: number) => void): void;
  /** Reports, through onQuiet, the keys suppressed since their last line that stayed quiet for an interval. */
  flush(): void;
  close(): void;
};

type Entry = { loggedAt: number; suppressed: number };

/**
 * The rate limit the runtime puts on its own failure lines, for the application's: the first line of each distinct
 * failure per interval goes through, the rest are counted and reported with the next line.
 *
 * @example
 * ```ts
 * import { createLogLimiter } from 'sqlbound';
 *
 * const limiter = createLogLimiter({ intervalMs: 10_000, onQuiet: (key, n) => console.error(`${key}: ${n} more`) });
 * for (let i = 0; i < 1000; i++) limiter.hit('request failed', (suppressed) => console.error('request failed', { suppressed }));
 * limiter.close();
 * ```
 */
export function createLogLimiter(options: LogLimiterOptions = {}): LogLimiter {
  const intervalMs = options.intervalMs ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let timer: NodeJS.Timeout | null = null;

  const flush = () => {
    const at = now();
    for (const [key, entry] of entries) {
      if (at - entry.loggedAt < intervalMs) continue;
      if (entry.suppressed > 0) options.onQuiet?.(key, entry.suppressed);
      entries.delete(key);
    }
    if (entries.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };

  return {
    hit(key, emit) {
      const at = now();
      const entry = entries.get(key);
      if (entry !== undefined && at - entry.loggedAt < intervalMs) {
        entry.suppressed += 1;
        return;
      }
      emit(entry?.suppressed ?? 0);
      entries.set(key, { loggedAt: at, suppressed: 0 });
      // Only while something may need reporting; unref'd, so it never keeps a process alive.
      if (timer === null) {
        timer = setInterval(flush, intervalMs);
        timer.unref();
      }
    },
    flush,
    close() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      entries.clear();
    },
  };
}
