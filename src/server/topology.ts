// npm run start:topology: the production shape on one machine, on the engines production runs.
//   - the primary (embedded PostgreSQL, data under .data/topology/primary) with demo data;
//   - one streaming replica of it (startReplica, a fresh copy at every start);
//   - PgBouncer in transaction pooling in front of the primary; Redis for the shared cache;
//   - WEB_CONCURRENCY API workers (default: one per core) on one port, through PgBouncer, reading from the replica.
// The connection budget is checked before anything starts. SIGINT or SIGTERM drains the workers, then stops
// Redis, PgBouncer, the replica and the primary, and exits 0.
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { applyRoleTimeouts, checkConnectionBudget, serverLimits } from 'sqlbound';
import { startDatabase, startPgBouncer, startRedis, startReplica, stopAll } from '@sqlbound/cli/testing';
import { main, MINT_A_TOKEN, prepareDatabase } from './main.js';
import { serveClusterMetrics } from './cluster-metrics.js';
import { supervise } from './supervise.js';
import { projectRoot } from './paths.js';
import { resolveSecrets } from './secrets.js';

/** A refusal whose message is the whole story: printed as one line (or a few), without a stack. */
class TopologyError extends Error {
  override readonly name = 'TopologyError';
}

function fail(message: string): never {
  throw new TopologyError(message);
}

function integer(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) fail(`${name}=${raw}: expected an integer ${min}..${max}`);
  return value;
}

async function primaryProcess(): Promise<void> {
  const logger = pino({ name: 'sqlbound-topology', level: process.env.SQLBOUND_LOG_LEVEL ?? 'info' });
  const workers = integer('WEB_CONCURRENCY', availableParallelism(), 1, 64);
  const poolMax = integer('SQLBOUND_POOL_MAX', 20, 1, 1000);
  const port = integer('PORT', 3000, 0, 65535);
  const pgbouncerPoolSize = integer('SQLBOUND_PGBOUNCER_POOL_SIZE', 20, 1, 10_000);
  const maxClientConn = integer('SQLBOUND_PGBOUNCER_MAX_CLIENT_CONN', 1000, 1, 100_000);
  const dir = resolve(process.env.SQLBOUND_TOPOLOGY_DIR?.trim() || resolve(projectRoot, '.data', 'topology'));
  const host = process.env.HOST?.trim() || '127.0.0.1';
  // Workers reach the database through PgBouncer (a DATABASE_URL), where the public development secrets are refused:
  // without secrets in the environment, this run makes its own, shared by its workers (tokens last one run).
  const given = (key: string) => process.env[key]?.trim() || undefined;
  const made = given('SQLBOUND_AUTH_SECRET') === undefined || given('SQLBOUND_CURSOR_SECRET') === undefined;
  const secrets = resolveSecrets({
    env: {
      ...process.env,
      SQLBOUND_AUTH_SECRET: given('SQLBOUND_AUTH_SECRET') ?? randomBytes(48).toString('base64url'),
      SQLBOUND_CURSOR_SECRET: given('SQLBOUND_CURSOR_SECRET') ?? randomBytes(48).toString('base64url'),
    },
    embeddedDatabase: false,
    host,
  });
  // No token is printed (logs are collected): secrets this run made are kept, readable by this user only, for
  // `npm run token`.
  const secretsFile = resolve(dir, 'secrets.env');
  if (made) {
    await mkdir(dir, { recursive: true });
    await writeFile(secretsFile, `SQLBOUND_AUTH_SECRET=${secrets.authSecret}\nSQLBOUND_CURSOR_SECRET=${secrets.cursorSecret}\n`, {
      mode: 0o600,
    });
    // mode applies only to a new file; one left by an older run is narrowed too.
    await chmod(secretsFile, 0o600);
  }

  const primary = await startDatabase({ kind: 'persistent', dataDir: resolve(dir, 'primary') });
  if (!primary.embedded || primary.connection === null) fail('start:topology runs its own PostgreSQL: unset DATABASE_URL');
  const limitsOf = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await serverLimits(async (text) => (await client.query<Record<string, unknown>>(text)).rows);
    } finally {
      await client.end();
    }
  };
  // A standby inherits the primary's max_connections (it must be at least the primary's): one check covers both.
  const primaryLimits = await limitsOf(primary.adminUrl);
  const budget = checkConnectionBudget({
    instances: workers,
    poolMax,
    pgbouncer: { maxClientConn, defaultPoolSize: pgbouncerPoolSize, reservePoolSize: 0, pools: 1, maxDbConnections: 0 },
    primary: primaryLimits,
    replicas: [{ name: 'replica1', poolMax, ...primaryLimits }],
  });
  for (const line of budget.lines)
    logger.info(
      { tier: line.tier, demand: line.demand, limit: line.limit },
      `connection budget: ${line.tier} ${line.demand} of ${line.limit}`,
    );
  if (!budget.fits)
    fail(
      `the connection budget does not fit:\n  ${budget.lines
        .filter((line) => !line.fits)
        .map((line) => line.change)
        .join('\n  ')}`,
    );

  await prepareDatabase(primary.url, 200, logger);
  // Through PgBouncer nothing travels as a startup parameter: the role carries the timeouts (docs/runtime.md).
  await applyRoleTimeouts(
    primary.adminUrl,
    primary.connection.user,
    { statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 60_000 },
    { database: primary.connection.database },
  );
  const [replica, bouncer, redis] = await Promise.all([
    startReplica({ primaryUrl: primary.adminUrl, name: 'replica1' }),
    startPgBouncer({ serverUrl: primary.adminUrl, defaultPoolSize: pgbouncerPoolSize, maxClientConn }),
    startRedis(),
  ]);
  // Each engine that exits is restarted on its port (supervise.ts); the workers recover without a restart.
  const engines = [
    supervise(replica, {
      name: 'replica1',
      logger,
      start: () => startReplica({ primaryUrl: primary.adminUrl, name: 'replica1', port: replica.port }),
    }),
    supervise(bouncer, {
      name: 'PgBouncer',
      logger,
      start: () => startPgBouncer({ serverUrl: primary.adminUrl, defaultPoolSize: pgbouncerPoolSize, maxClientConn, port: bouncer.port }),
    }),
    supervise(redis, { name: 'Redis', logger, start: () => startRedis({ port: redis.port }) }),
  ];
  const database = primary.connection.database;
  const env = {
    SQLBOUND_DATABASE_PREPARED: '1',
    DATABASE_URL: bouncer.url(database),
    SQLBOUND_REPLICA_URLS: replica.url(database),
    SQLBOUND_REDIS_URL: redis.url,
    SQLBOUND_TIMEOUTS_VIA: 'none',
    // PgBouncer < 1.21 has no protocol-level prepared statements in transaction pooling.
    SQLBOUND_PREPARED_STATEMENTS: bouncer.preparedStatements ? 'true' : 'false',
    SQLBOUND_POOL_MAX: String(poolMax),
    SQLBOUND_AUTH_SECRET: secrets.authSecret,
    SQLBOUND_CURSOR_SECRET: secrets.cursorSecret,
    PORT: String(port),
    HOST: host,
    SQLBOUND_TOPOLOGY_QUIET: '1',
  };
  const { connection } = primary;
  const lines = [
    '',
    `sqlbound topology: ${workers} API workers on http://${host}:${port} (metrics at /metrics, health at /healthz)`,
    `  primary     postgres://${connection.user}:${connection.password}@127.0.0.1:${connection.port}/${database}  (data in ${connection.dataDir})`,
    `  replica1    ${replica.url(database)}  (hot standby, streaming; data in ${replica.dataDir}; pid ${replica.pid}, supervised)`,
    `  pgbouncer   ${bouncer.url(database)}  (PgBouncer ${bouncer.version}, transaction pooling, pool ${pgbouncerPoolSize}, max_client_conn ${maxClientConn}; pid ${bouncer.pid}, supervised)`,
    `  redis       ${redis.url}  (shared cache L2 and bus; pid ${redis.pid}, supervised)`,
    `  budget      ${budget.lines.map((line) => `${line.tier}: ${line.demand} of ${line.limit}`).join('; ')}`,
  ];
  let stopping = false;
  const online = new Set<number>();
  cluster.on('message', (worker, message: unknown) => {
    if (typeof message !== 'object' || message === null || Reflect.get(message, 'kind') !== 'listening') return;
    online.add(worker.id);
    const url: unknown = Reflect.get(message, 'url');
    if (online.size === workers) {
      process.stdout.write(
        `${[
          ...lines,
          `  workers     ${Object.values(cluster.workers ?? {})
            .map((w) => w?.process.pid)
            .join(', ')}`,
          `  token       not printed (a token in a log acts as its user); mint one with this run's secrets:`,
          `              ${made ? `TOKEN=$(env $(cat ${secretsFile}) npm run -s token -- 1)` : MINT_A_TOKEN}`,
          `  try: curl -H "Authorization: Bearer $TOKEN" ${String(url)}/trpc/dashboard.get`,
          '',
        ].join('\n')}\n`,
      );
    }
  });
  // One scrape of /metrics, whichever worker takes it, returns every worker's series (labelled worker).
  serveClusterMetrics();
  for (let i = 0; i < workers; i += 1) cluster.fork(env);
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const engine of engines) engine.halt();
    logger.info('stopping: draining the workers, then Redis, PgBouncer, the replica and the primary');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  cluster.on('exit', (worker, code) => {
    if (!stopping) process.stderr.write(`worker ${worker.process.pid} exited with ${String(code)}\n`);
    if (Object.keys(cluster.workers ?? {}).length > 0) return;
    // The supervised engines first: one that was restarted is stopped (and its folder removed) whatever happened.
    void Promise.all(engines.map((engine) => engine.stop().catch(() => undefined)))
      .then(() => stopAll())
      .then(
        () => {
          logger.info('stopped');
          process.exit(stopping ? 0 : 1);
        },
        () => process.exit(1),
      );
  });
}

if (cluster.isPrimary) {
  try {
    await primaryProcess();
  } catch (error) {
    process.stderr.write(
      `start:topology: ${error instanceof TopologyError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await stopAll().catch(() => undefined);
    process.exit(1);
  }
} else {
  await main();
}
