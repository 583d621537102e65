// The fault suite's harness: an embedded PostgreSQL this file owns (so it can be killed and restarted), the real
// API on it, and a closed-loop HTTP load that records every answer with its time.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import { createDb, type Db, type DbOptions } from 'sqlbound';
import { migrate } from '../../codegen/database/migrate.js';
import { seed } from '../../src/server/seed.js';
import { freePort, startDatabase, type DatabaseServer } from '../../codegen/database/server.js';
import { buildApp } from '../../src/server/app.js';
import { issueToken } from '../../src/server/auth.js';
import { capturingLogger, type CapturedLogger } from '../runtime/support.js';
import { schemaDir } from '../../src/server/paths.js';

export const AUTH_SECRET = 'fault-suite-auth-secret-0123456789abcdef';
export const USERS = 40;

export type OwnServer = {
  dataDir: string;
  port: number;
  current(): DatabaseServer;
  /** Starts the server again on the same data directory and port; retried while a killed one's backends linger. */
  restart(): Promise<DatabaseServer>;
};

/** A persistent embedded server in a temp dir, migrated and seeded, stopped and removed when the file ends. */
export async function ownServer(): Promise<OwnServer> {
  const parent = await mkdtemp(join(tmpdir(), 'sqlbound-faults-'));
  await chmod(parent, 0o755);
  const dataDir = join(parent, 'pg');
  const port = await freePort();
  let server = await startDatabase({ kind: 'persistent', dataDir, port });
  await migrate(server.url, schemaDir);
  await seed(server.url, { users: USERS, seed: 1 });
  after(async () => {
    await server.stop();
    await rm(parent, { recursive: true, force: true });
  });
  return {
    dataDir,
    port,
    current: () => server,
    async restart() {
      const deadline = Date.now() + 30_000;
      while (true) {
        try {
          server = await startDatabase({ kind: 'persistent', dataDir, port });
          return server;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolveWait) => setTimeout(resolveWait, 100));
        }
      }
    },
  };
}

export type ApiUnderTest = { base: string; db: Db; app: FastifyInstance; log: CapturedLogger; close(): Promise<void> };

export async function startApiOn(url: string, options: Partial<DbOptions> = {}): Promise<ApiUnderTest> {
  const log = capturingLogger('info');
  const db = createDb({
    connectionString: url,
    cursorSecret: 'fault-suite-cursor-secret-0123456789abcdef',
    logger: log.logger,
    cache: false,
    ...options,
  });
  const app = await buildApp({ db, authSecret: AUTH_SECRET, logger: log.logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    base: `http://127.0.0.1:${address.port}`,
    db,
    app,
    log,
    async close() {
      await app.close();
      await db.close({ timeoutMs: 2000 });
    },
  };
}

type Answer = { sentAt: number; doneAt: number; status: number; retryAfter: string | null; path: string };

export type Load = {
  answers: Answer[];
  /** Stops sending; resolves when the requests in flight have answered. */
  stop(): Promise<void>;
};

const PATHS = ['dashboard.get', 'alerts.list', 'exposures.list', 'profile.get'] as const;

/** `workers` closed loops, each sending one request at a time over keep-alive connections. Times are performance.now(). */
export function startLoad(base: string, workers: number): Load {
  const answers: Answer[] = [];
  const dispatcher = new Agent({ connections: workers, keepAliveTimeout: 10_000 });
  const tokens = Array.from({ length: USERS }, (_, i) => issueToken(AUTH_SECRET, String(i + 1)));
  let running = true;
  let sequence = 0;
  const loop = async (worker: number) => {
    while (running) {
      sequence += 1;
      const path = PATHS[sequence % PATHS.length] ?? 'dashboard.get';
      const token = tokens[(worker * 7 + sequence) % tokens.length];
      const sentAt = performance.now();
      let status = -1;
      let retryAfter: string | null = null;
      try {
        const response = await request(`${base}/trpc/${path}`, { headers: { authorization: `Bearer ${token}` }, dispatcher });
        status = response.statusCode;
        const header = response.headers['retry-after'];
        retryAfter = typeof header === 'string' ? header : null;
        await response.body.arrayBuffer();
      } catch {
        status = -1;
      }
      answers.push({ sentAt, doneAt: performance.now(), status, retryAfter, path });
      // A failed request answers at once: pace the retries so that an outage is not a busy loop.
      if (status !== 200) await new Promise((resolveWait) => setTimeout(resolveWait, 5));
    }
  };
  const loops = Array.from({ length: workers }, (_, worker) => loop(worker));
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
      await dispatcher.close();
    },
  };
}

export function countBy<T>(items: T[], key: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = String(key(item));
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolveWait) => setTimeout(resolveWait, ms));

/** One line a reader of the test output (and docs/reliability.md) can find: the figures this case measured. */
export function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`# FAULT ${name}: ${JSON.stringify(figures)}\n`);
}
