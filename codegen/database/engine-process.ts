// A system engine (PgBouncer, Redis) run as a child process: found on the PATH or in the sbin folders Debian
// installs daemons into, started in its own process group, ready when its log says so, stopped bounded
// (SIGTERM, then SIGKILL), and stopped with everything else by stopAll() (see server.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { serverIdentity, spawnOptions } from './postmaster.js';
import { registerService } from './server.js';

/**
 * A system engine a test or the topology needs, and the Debian package that ships it, so a missing engine is
 * reported with the install command rather than ENOENT.
 *
 * @example
 * ```ts
 * import { findEngine, type Engine } from '@sqlbound/cli/testing';
 *
 * const PSQL: Engine = { binary: 'psql', debianPackage: 'postgresql-client' };
 * const psql = findEngine(PSQL);
 * ```
 */
export type Engine = { binary: string; debianPackage: string };

/**
 * PgBouncer, as startPgBouncer looks for it.
 *
 * @example
 * ```ts
 * import { PGBOUNCER, findEngine, skippedLine } from '@sqlbound/cli/testing';
 *
 * if (findEngine(PGBOUNCER) === null) console.log(skippedLine(PGBOUNCER));
 * ```
 */
export const PGBOUNCER: Engine = { binary: 'pgbouncer', debianPackage: 'pgbouncer' };
/**
 * redis-server, as startRedis looks for it.
 *
 * @example
 * ```ts
 * import { test } from 'node:test';
 * import { REDIS, findEngine, skippedLine } from '@sqlbound/cli/testing';
 *
 * test('shared cache', { skip: findEngine(REDIS) === null ? skippedLine(REDIS) : false }, async () => {
 *   // ...
 * });
 * ```
 */
export const REDIS: Engine = { binary: 'redis-server', debianPackage: 'redis-server' };

/** Daemons live in sbin, which a non-root PATH often lacks. */
const SBIN = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/**
 * The engine's executable, or null when it is not installed. Also searches the sbin folders, which a non-root
 * PATH often lacks although Debian installs daemons there.
 *
 * @example
 * ```ts
 * import { PGBOUNCER, findEngine } from '@sqlbound/cli/testing';
 *
 * const pgbouncer = findEngine(PGBOUNCER); // '/usr/sbin/pgbouncer', or null
 * ```
 */
export function findEngine(engine: Engine): string | null {
  const folders = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN];
  for (const folder of folders) {
    const candidate = join(folder, engine.binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

/**
 * The one loud line a test prints when it skips for want of an engine, so a skip is never silent and says how
 * to install what is missing.
 *
 * @example
 * ```ts
 * import { PGBOUNCER, skippedLine } from '@sqlbound/cli/testing';
 *
 * skippedLine(PGBOUNCER); // 'SKIPPED: pgbouncer not installed (apt-get install pgbouncer)'
 * ```
 */
export function skippedLine(engine: Engine): string {
  return `SKIPPED: ${engine.binary} not installed (apt-get install ${engine.debianPackage})`;
}

/**
 * An engine that is not installed, could not start, or exited before it was ready. `logTail` holds its last log
 * lines, since the message alone rarely says why a daemon refused to start.
 *
 * @example
 * ```ts
 * import { EngineError, startRedis } from '@sqlbound/cli/testing';
 *
 * try {
 *   await startRedis();
 * } catch (error) {
 *   if (error instanceof EngineError) console.error(error.message, error.logTail);
 *   throw error;
 * }
 * ```
 */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(message);
  }
}

export type EngineProcess = {
  pid: number;
  running(): boolean;
  exited: Promise<void>;
  /** SIGTERM (SIGINT for `stopSignal`), SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** The last log lines, for an error message. */
  tail(): string;
};

export type SpawnEngineOptions = {
  name: string;
  executable: string;
  args: string[];
  /** A log line that says the engine accepts connections. */
  ready: RegExp;
  /** Run as the OS user PostgreSQL runs as when this process is root (PgBouncer refuses to run as root). */
  dropRoot: boolean;
  stopSignal?: NodeJS.Signals;
  readyTimeoutMs?: number;
  onLog?: (line: string) => void;
};

const live = new Set<number>();
let exitHookInstalled = false;

/** A process that exits without stopping its engines still signals them (a signal is synchronous). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  });
}

export async function spawnEngine(options: SpawnEngineOptions): Promise<EngineProcess> {
  const ids = options.dropRoot ? await serverIdentity() : null;
  const child: ChildProcess = spawn(options.executable, options.args, {
    ...spawnOptions(ids),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C at the terminal reaches the API, which stops the engines in order.
    detached: true,
  });
  const lines: string[] = [];
  let pending = '';
  let onReady: (() => void) | null = null;
  const consume = (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      options.onLog?.(line);
      lines.push(line);
      if (lines.length > 50) lines.shift();
      if (options.ready.test(line)) onReady?.();
    }
  };
  child.stdout?.on('data', consume);
  child.stderr?.on('data', consume);
  const exited = new Promise<void>((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveExit();
    else child.once('exit', () => resolveExit());
  });
  const tail = () => lines.slice(-20).join('\n');
  const running = () => child.exitCode === null && child.signalCode === null;
  const pid = child.pid;
  let stopping: Promise<void> | null = null;
  const stop = (graceMs = 3000) => {
    stopping ??= (async () => {
      const signalAndWait = async (signal: NodeJS.Signals, waitMs: number) => {
        if (!running() || pid === undefined) return true;
        try {
          process.kill(pid, signal);
        } catch {
          return true;
        }
        let timer: NodeJS.Timeout | undefined;
        const done = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((resolveWait) => (timer = setTimeout(() => resolveWait(false), waitMs))),
        ]);
        clearTimeout(timer);
        return done;
      };
      if (!(await signalAndWait(options.stopSignal ?? 'SIGTERM', graceMs))) await signalAndWait('SIGKILL', 1000);
    })();
    return stopping;
  };
  if (pid === undefined) {
    await new Promise((resolveError) => child.once('error', resolveError));
    throw new EngineError(`${options.name} could not be spawned from ${options.executable}`, '');
  }
  const engine: EngineProcess = { pid, running, exited, stop, tail };
  const unregister = registerService({ stop: () => stop() });
  live.add(pid);
  installExitHook();
  void exited.then(() => {
    unregister();
    live.delete(pid);
  });
  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolveReady, reject) => {
      onReady = resolveReady;
      child.once('error', (error) => reject(new EngineError(`${options.name} could not run: ${error.message}`, tail())));
      // The last lines can arrive just after the exit event.
      void exited.then(() =>
        setTimeout(() => {
          const why = lines.find((line) => /FATAL|ERROR|error|denied|cannot|could not/i.test(line))?.trim();
          reject(new EngineError(`${options.name} exited before it was ready${why === undefined ? '' : `: ${why}`}`, tail()));
        }, 50),
      );
      timer = setTimeout(() => reject(new EngineError(`${options.name} did not become ready in ${timeoutMs} ms`, tail())), timeoutMs);
    });
  } catch (error) {
    await stop(1000);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return engine;
}
