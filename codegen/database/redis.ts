// Redis (Debian's redis-server) on a free port of 127.0.0.1: no persistence, no config file; stopped by stop() or
// with everything else. The shared cache's L2 and bus in the topology and in tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError, REDIS, findEngine, skippedLine, spawnEngine } from './engine-process.js';
import { freePort, registerService } from './server.js';

/**
 * How to start redis-server: the port defaults to a free one, so parallel test files do not collide.
 *
 * @example
 * ```ts
 * import { startRedis, type RedisOptions } from '@sqlbound/cli/testing';
 *
 * const options: RedisOptions = { onLog: (line) => console.log(`[redis] ${line}`) };
 * const redis = await startRedis(options);
 * ```
 */
export type RedisOptions = { port?: number; onLog?: (line: string) => void };

/**
 * A running redis-server without persistence: a cache whose contents die with it.
 *
 * @example
 * ```ts
 * import { startRedis, type RedisServer } from '@sqlbound/cli/testing';
 *
 * const redis: RedisServer = await startRedis();
 * console.log(redis.url); // 'redis://127.0.0.1:<port>'
 * await redis.stop();
 * ```
 */
export type RedisServer = {
  host: string;
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  pid: number;
  stop(): Promise<void>;
};

/**
 * Starts redis-server; throws an EngineError naming the Debian package when it is not installed.
 *
 * @example
 * ```ts
 * import { startRedis } from '@sqlbound/cli/testing';
 *
 * const redis = await startRedis();
 * process.env.REDIS_URL = redis.url;
 * // ...
 * await redis.stop();
 * ```
 */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const executable = findEngine(REDIS);
  if (executable === null) throw new EngineError(skippedLine(REDIS).replace(/^SKIPPED: /, ''), '');
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'sqlbound-redis-'));
  let engine;
  try {
    engine = await spawnEngine({
      name: 'Redis',
      executable,
      // A cache: nothing to persist, so no RDB snapshot and no AOF.
      args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
      ready: /Ready to accept connections/i,
      dropRoot: false,
      stopSignal: 'SIGTERM',
      ...(options.onLog === undefined ? {} : { onLog: options.onLog }),
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= engine.stop().finally(() => rm(dir, { recursive: true, force: true }));
    return stopped;
  };
  const unregister = registerService({ stop });
  void engine.exited.then(unregister);
  return { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}`, pid: engine.pid, stop };
}
