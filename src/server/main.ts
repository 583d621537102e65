// `npm start`: the example API on an embedded PostgreSQL (persistent under .data/pg) or DATABASE_URL, with demo data.
// start() is the whole boot and shutdown path, exported so a test can run it exactly as npm start does.
//
// Shutdown is bounded: stop accepting, wait for in-flight requests at most drainTimeoutMs, then cancel what still
// runs, close the pool and stop the embedded server, all within drainTimeoutMs + 5 s, and log "stopped".
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { createDb, optionsFromEnv } from 'sqlbound';
import { migrate } from '@sqlbound/cli/testing';
import { persistentDataDir } from './paths.js';
import { isEmpty, seed } from './seed.js';
import { startDatabase, stopAll, type DatabaseServer, type EmbeddedConnection } from '@sqlbound/cli/testing';
import { createPrometheusMetrics } from './prometheus.js';
import { clusterWideMetrics } from './cluster-metrics.js';
import { createSharedCacheStore } from './shared-cache.js';
import { workerCacheRelay } from './cluster-cache.js';
import { createSharedWritePositions } from './shared-write-positions.js';
import { buildApp } from './app.js';
import { issueToken } from './auth.js';
import { assertDistinctSecrets, DEV_AUTH_SECRET, resolveSecrets } from './secrets.js';
import { ADMIN_TOKEN_VARIABLE, DEV_ADMIN_TOKEN, resolveAdminToken } from './perf/admin-token.js';
import { PAGE_PATH } from './perf/page.js';
import { settlesWithin } from 'sqlbound';
import { schemaDir } from './paths.js';

export type StartOptions = {
  /** Default env PORT, else 3000; 0 picks a free port. */
  port?: number;
  /** Default env HOST, else 127.0.0.1. Anything but a loopback address needs real secrets. */
  host?: string;
  /** Use this database instead of DATABASE_URL or the embedded server (tests pass their own). */
  databaseUrl?: string;
  /** Embedded server data directory. Default env SQLBOUND_DATA_DIR, else .data/pg (see paths.ts). */
  dataDir?: string;
  /** Users seeded when the database is empty. Default env SQLBOUND_SEED_USERS, else 200. */
  seedUsers?: number;
  /** Default: from the environment, under the rules of secrets.ts. */
  authSecret?: string;
  /** The performance page's token. Default env SQLBOUND_ADMIN_TOKEN, under the rules of perf/admin-token.ts. */
  adminToken?: string;
  cursorSecret?: string;
  logger?: Logger;
  /** How long shutdown waits for in-flight requests before cancelling them. Default env SQLBOUND_DRAIN_MS, else 10 s. */
  drainTimeoutMs?: number;
  /** Migrate and seed an empty database first. Default true; a cluster's primary does it once for its workers. */
  prepare?: boolean;
  /** Redis for the shared cache (L2 and bus across instances). Default env SQLBOUND_REDIS_URL, else in-process only. */
  redisUrl?: string;
};

export type RunningServer = {
  url: string;
  demoUserId: string;
  /** For the caller in this process, which holds the secret anyway; printed only when tokenPrintable. */
  demoToken: string;
  /**
   * Whether the banner may print the demo token: only when it is signed with the public development secret, which
   * happens only on the embedded default (no DATABASE_URL, loopback, development NODE_ENV). Such a token grants
   * nothing anyone could not mint from the source; any other token in a log would let its readers act as the user.
   */
  tokenPrintable: boolean;
  /** The embedded database's connection details; null on DATABASE_URL. */
  database: EmbeddedConnection | null;
  /** Whether the performance page is on, and with the public development token (printed in the banner). */
  performancePage: 'off' | 'development' | 'configured';
  /** Stops accepting, drains in-flight requests (bounded), closes the pool, stops the embedded database. Idempotent. */
  close(): Promise<void>;
};

const DEMO_USER_ID = '1';
/** What shutdown may take after the drain: cancelling statements, closing the pool, stopping PostgreSQL. */
export const SHUTDOWN_AFTER_DRAIN_MS = 5000;

/** A start failure whose message is the whole story: printed as one line, without a stack. */
export class StartError extends Error {
  override readonly name = 'StartError';
}

function integerFromEnv(key: string, fallback: number, max: number): number {
  const raw = process.env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value > max) throw new StartError(`${key}=${raw}: expected an integer 0..${max}`);
  return value;
}

/** Applies pending migrations and seeds demo data into an empty database. */
export async function prepareDatabase(url: string, seedUsers: number, logger: Logger): Promise<void> {
  await migrate(url, schemaDir);
  await seedWhenEmpty(url, seedUsers, logger);
}

async function seedWhenEmpty(url: string, users: number, logger: Logger): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  // A failure shows in the query's rejection; unheard, the 'error' event would crash the process (a signal stops
  // the server under start).
  client.on('error', () => undefined);
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

/**
 * The embedded server preloads pg_stat_statements (server.ts); its view exists once the extension is created in the
 * database, for the performance page's top statements and `sqlbound audit --live`. Best effort: the page says so
 * when it is missing. With DATABASE_URL that is the operator's call (docs/operations.md).
 */
async function enableStatementStatistics(url: string, logger: Logger): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  } catch (error) {
    logger.warn({ err: error }, 'could not create the pg_stat_statements extension; the performance page shows no top statements');
  } finally {
    await client.end().catch(() => undefined);
  }
}

function listenFailure(error: unknown, host: string, port: number): Error {
  const code: unknown = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
  if (code === 'EADDRINUSE') return new StartError(`port ${port} is in use on ${host} (another npm start? set PORT to another port)`);
  if (code === 'EADDRNOTAVAIL') return new StartError(`cannot listen on ${host}: no such local address (set HOST)`);
  if (code === 'EACCES') return new StartError(`no permission to listen on ${host}:${port} (use a port above 1023)`);
  return error instanceof Error ? error : new Error(String(error));
}

export async function start(options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ name: 'sqlbound-api', level: process.env.SQLBOUND_LOG_LEVEL ?? 'info' });
  const host = options.host ?? (process.env.HOST?.trim() || '127.0.0.1');
  const port = options.port ?? integerFromEnv('PORT', 3000, 65535);
  const drainTimeoutMs = options.drainTimeoutMs ?? integerFromEnv('SQLBOUND_DRAIN_MS', 10_000, 600_000);
  const external = options.databaseUrl ?? (process.env.DATABASE_URL?.trim() || undefined);
  // Checked before anything starts: a refused secret must not leave a database behind.
  // Secrets passed in code obey the same rules as those from the environment.
  const env = {
    ...process.env,
    ...(options.authSecret === undefined ? {} : { SQLBOUND_AUTH_SECRET: options.authSecret }),
    ...(options.cursorSecret === undefined ? {} : { SQLBOUND_CURSOR_SECRET: options.cursorSecret }),
    ...(options.adminToken === undefined ? {} : { [ADMIN_TOKEN_VARIABLE]: options.adminToken }),
  };
  const secrets = resolveSecrets({ env, embeddedDatabase: external === undefined, host });
  const adminToken = resolveAdminToken({ env, embeddedDatabase: external === undefined, host });
  assertDistinctSecrets({
    SQLBOUND_AUTH_SECRET: secrets.authSecret,
    SQLBOUND_CURSOR_SECRET: secrets.cursorSecret,
    [ADMIN_TOKEN_VARIABLE]: adminToken,
  });
  if (adminToken === null) logger.info(`performance page ${PAGE_PATH} is off: set ${ADMIN_TOKEN_VARIABLE} to turn it on`);
  const { authSecret, cursorSecret } = secrets;
  if (secrets.development) logger.warn('using the public development secrets: fine on this machine, never in production');

  const server: DatabaseServer | null =
    external === undefined ? await startDatabase({ kind: 'persistent', dataDir: options.dataDir ?? persistentDataDir }) : null;
  const orphan = server?.orphanStopped ?? null;
  if (orphan !== null) {
    logger.warn(orphan, `stopped PostgreSQL pid ${orphan.pid}, left running by the killed pid ${orphan.ownerPid}, and started it again`);
  }
  const databaseUrl = external ?? server?.url;
  if (databaseUrl === undefined) throw new StartError('no database URL');
  // Everything started so far is stopped again when a later step fails.
  const undo: (() => Promise<void>)[] = [];
  const rollback = async () => {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    await server?.stop();
  };
  try {
    const seedUsers = options.seedUsers ?? integerFromEnv('SQLBOUND_SEED_USERS', 200, 1_000_000);
    if (options.prepare ?? true) await prepareDatabase(databaseUrl, seedUsers, logger);
    // In a cluster's worker, /metrics answers with every worker's series, labelled by worker (cluster-metrics.ts).
    const metrics = clusterWideMetrics(createPrometheusMetrics());
    undo.push(() => metrics.shutdown());
    // Pool, timeout, replica and cache settings from SQLBOUND_* (docs/runtime.md); what the API decides itself wins.
    const fromEnv = optionsFromEnv();
    const redisUrl = options.redisUrl ?? (process.env.SQLBOUND_REDIS_URL?.trim() || undefined);
    // A cluster's workers without Redis each hold their own cache: their invalidations go to the others (cluster-cache.ts).
    const relay = redisUrl === undefined && fromEnv.cache !== false ? workerCacheRelay() : null;
    const shared =
      fromEnv.cache === false
        ? {}
        : redisUrl !== undefined
          ? { cache: { bento: createSharedCacheStore({ url: redisUrl, logger }) } }
          : relay !== null
            ? { cache: { ...fromEnv.cache, onInvalidated: relay.onInvalidated } }
            : {};
    // With replicas and Redis, each user's last write position is shared, so read-your-writes holds across workers
    // and instances (clients that send x-sqlbound-lsn back get it without Redis too: write-position.ts).
    const writePositions =
      redisUrl !== undefined && (fromEnv.replicas?.length ?? 0) > 0
        ? { writePositions: createSharedWritePositions({ url: redisUrl, logger }) }
        : {};
    const db = createDb({
      ...fromEnv,
      ...shared,
      ...writePositions,
      connectionString: databaseUrl,
      meterProvider: metrics.meterProvider,
      logger,
      cursorSecret,
    });
    undo.push(() => db.close({ timeoutMs: 1000 }));
    if (relay !== null && db.cache !== null) relay.listen(db.cache);
    if (server !== null) await enableStatementStatistics(databaseUrl, logger);
    const responseCache = process.env.SQLBOUND_RESPONSE_CACHE?.trim() !== 'off';
    // With the shared store nothing is held in this process (QueryCache.peekDerived): a front door would only look.
    const frontDoor = redisUrl === undefined && process.env.SQLBOUND_FRONT_DOOR?.trim() !== 'off';
    const app = await buildApp({ db, authSecret, metrics, logger, performancePage: { adminToken }, responseCache, frontDoor });
    undo.push(() => app.close());
    try {
      await app.listen({ port, host });
    } catch (error) {
      throw listenFailure(error, host, port);
    }
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address !== null ? address.port : port;

    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= (async () => {
        logger.info({ drainTimeoutMs }, 'shutting down: draining in-flight requests');
        // app.close() stops accepting at once, ends idle keep-alive sockets and waits for in-flight requests.
        const drained = app.close();
        const inTime = await settlesWithin(drained, drainTimeoutMs);
        if (!inTime) {
          logger.warn('drain time is over: cancelling the statements still running and closing their requests');
          app.server.closeAllConnections();
        }
        // After a full drain nothing runs, so the pool closes at once; after a cut drain, cancel without waiting.
        await db.close({ timeoutMs: inTime ? 1000 : 0 });
        await settlesWithin(drained, 500);
        await settlesWithin(metrics.shutdown(), 500);
        await server?.stop();
        logger.info('stopped');
      })();
      return closing;
    };
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
      demoUserId: DEMO_USER_ID,
      demoToken: issueToken(authSecret, DEMO_USER_ID, { ttlSeconds: 7 * 24 * 60 * 60 }),
      tokenPrintable: authSecret === DEV_AUTH_SECRET && server !== null,
      database: server?.connection ?? null,
      performancePage: adminToken === null ? 'off' : adminToken === DEV_ADMIN_TOKEN ? 'development' : 'configured',
      close,
    };
  } catch (error) {
    await rollback();
    throw error;
  }
}

/** Where no token may be printed, how to mint one from the secret; `$TOKEN` stands for it in the examples. */
export const MINT_A_TOKEN = `TOKEN=$(npm run -s token -- ${DEMO_USER_ID})`;

function banner(running: RunningServer): string {
  const auth = `-H "Authorization: Bearer ${running.tokenPrintable ? running.demoToken : '$TOKEN'}"`;
  const input = encodeURIComponent(JSON.stringify({ limit: 5, unreadOnly: true }));
  return [
    '',
    `sqlbound API listening on ${running.url}`,
    ...(running.tokenPrintable
      ? [`demo token for user ${running.demoUserId} (valid 7 days):`, `  ${running.demoToken}`]
      : [
          'no demo token printed: the secrets are configured, and a token in a log would let its readers act as the user.',
          `mint one where SQLBOUND_AUTH_SECRET is set:  ${MINT_A_TOKEN}`,
        ]),
    ...(running.database === null
      ? []
      : [
          '',
          `embedded PostgreSQL (data in ${running.database.dataDir}):`,
          `  host ${running.database.host}  port ${running.database.port}  user ${running.database.user}  database ${running.database.database}`,
          `  psql postgres://${running.database.user}:${running.database.password}@${running.database.host}:${running.database.port}/${running.database.database}`,
        ]),
    '',
    'try:',
    `  curl ${auth} ${running.url}/trpc/dashboard.get`,
    `  curl ${auth} '${running.url}/trpc/alerts.list?input=${input}'`,
    `  curl ${auth} -H 'content-type: application/json' -d '{"alertId":"1"}' ${running.url}/trpc/alerts.markRead`,
    `  curl ${running.url}/healthz`,
    `  curl ${running.url}/metrics`,
    ...(running.performancePage === 'off'
      ? []
      : [
          '',
          `performance page: ${running.url}${PAGE_PATH}`,
          running.performancePage === 'development'
            ? `  any user name, password ${DEV_ADMIN_TOKEN} (the public development token; set ${ADMIN_TOKEN_VARIABLE} to change it)`
            : `  any user name, password: the value of ${ADMIN_TOKEN_VARIABLE}`,
        ]),
    '',
  ].join('\n');
}

/**
 * The process around start(): one line and exit 1 when it cannot start; on SIGINT or SIGTERM (from a terminal, npm,
 * tsx or a process manager, once or several times) one bounded shutdown, then exit 0.
 */
export async function main(): Promise<void> {
  let running: RunningServer | null = null;
  let stoppedEarly = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (running === null) {
      // A signal during start (migrations, the demo seed): the embedded server is stopped under it, its open
      // transaction rolls back (the seed is one, so the next start seeds again), start() fails, and main exits 0.
      if (stoppedEarly) return;
      stoppedEarly = true;
      process.stderr.write(`npm start: ${signal} before the API was ready: stopping\n`);
      void stopAll().catch(() => undefined);
      return;
    }
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  // In place before the first database work, and added, never replacing the listeners already there: tsx relays
  // signals to this process through one of them.
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  try {
    // A cluster's primary has migrated and seeded already (see cluster.ts).
    const started = await start({ prepare: process.env.SQLBOUND_DATABASE_PREPARED !== '1' });
    running = started;
    if (stoppedEarly) {
      await started.close();
      process.exit(0);
    }
  } catch (error) {
    if (!stoppedEarly) process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll().catch(() => undefined);
    process.exit(stoppedEarly ? 0 : 1);
  }
  // A topology worker reports to its primary, which prints one banner for all (src/server/topology.ts).
  if (process.env.SQLBOUND_TOPOLOGY_QUIET === '1' && process.send !== undefined) {
    process.send({ kind: 'listening', url: running.url });
  } else {
    process.stdout.write(`${banner(running)}\n`);
  }
}

const entry = process.argv[1];
if (entry !== undefined && resolve(entry) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`npm start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
