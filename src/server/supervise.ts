// Supervision of the engines start:topology runs (PgBouncer, Redis, the replica): one that exits is stopped for
// good (its temporary folder removed, a replica's slot dropped) and started again on the same port, so the workers'
// URLs stay valid and they recover on their own (pools reconnect, ioredis reconnects, the replica monitor sees it
// up). Restarts back off (0.5 s, doubling to 10 s; back to 0.5 s after a minute up). One line per restart.
import type { Logger } from 'pino';
import { createLogLimiter } from 'sqlbound';

/** What the engine helpers of @sqlbound/cli/testing return, as far as supervision needs it. */
export type EngineHandle = { pid: number; stop(): Promise<void> };

export type Supervised<T extends EngineHandle> = {
  current(): T;
  restarts(): number;
  /** No restart from now on (shutdown has begun: the workers drain while the engine still runs). */
  halt(): void;
  /** Halts, waits for a restart under way, then stops the engine (and removes its temporary folder). */
  stop(): Promise<void>;
};

export type SuperviseOptions<T extends EngineHandle> = {
  name: string;
  /** Starts the engine again, on the port the workers know. */
  start: () => Promise<T>;
  logger: Logger;
  /** How often the process is looked for. Default 200 ms. */
  checkIntervalMs?: number;
  /** First backoff, doubled after each failed start up to maxBackoffMs. Defaults 500 and 10 000 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
};

const STABLE_MS = 60_000;

/** Whether the pid is alive: signal 0 checks without sending anything; node reaps its exited children. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function supervise<T extends EngineHandle>(first: T, options: SuperviseOptions<T>): Supervised<T> {
  const { name, logger } = options;
  const backoffMs = options.backoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  // A start that keeps failing (a port taken, a full disk) is one line per 10 s, with the count held back.
  const failures = createLogLimiter({
    onQuiet: (key, suppressed) => logger.error({ engine: name, suppressed }, `${suppressed} more ${key} lines were not logged`),
  });
  let engine = first;
  let startedAt = Date.now();
  let restarts = 0;
  let stopping = false;
  let restarting: Promise<void> | null = null;

  const restart = async (deadPid: number) => {
    const diedAt = Date.now();
    // The dead engine's stop() removes its temporary folder (and a replica's slot); its process is already gone.
    await engine.stop().catch(() => undefined);
    let delay = diedAt - startedAt > STABLE_MS ? backoffMs : Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(restarts, 10));
    for (let attempt = 1; !stopping; attempt += 1) {
      await new Promise((resolveWait) => setTimeout(resolveWait, delay).unref());
      if (stopping) return;
      try {
        engine = await options.start();
        startedAt = Date.now();
        restarts += 1;
        logger.warn(
          { engine: name, deadPid, pid: engine.pid, downMs: startedAt - diedAt, attempt, restarts },
          `${name} (pid ${deadPid}) exited: restarted as pid ${engine.pid} after ${startedAt - diedAt} ms`,
        );
        return;
      } catch (error) {
        failures.hit(`${name} restart failure`, (suppressed) =>
          logger.error(
            {
              engine: name,
              attempt,
              err: error instanceof Error ? error.message : String(error),
              ...(suppressed > 0 ? { suppressed } : {}),
            },
            `${name} could not be restarted: trying again`,
          ),
        );
        delay = Math.min(maxBackoffMs, delay * 2);
      }
    }
  };

  const timer = setInterval(() => {
    if (stopping || restarting !== null || alive(engine.pid)) return;
    restarting = restart(engine.pid).finally(() => {
      restarting = null;
    });
  }, options.checkIntervalMs ?? 200);
  timer.unref();

  return {
    current: () => engine,
    restarts: () => restarts,
    halt() {
      stopping = true;
      clearInterval(timer);
      failures.close();
    },
    async stop() {
      this.halt();
      await restarting;
      await engine.stop();
    },
  };
}
