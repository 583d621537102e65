// PgBouncer (Debian's package) in front of a PostgreSQL server: a generated ini and userlist in a private temp
// folder, a free port on 127.0.0.1, transaction pooling by default; stopped by stop() or with everything else.
import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EngineError, PGBOUNCER, findEngine, skippedLine, spawnEngine } from './engine-process.js';
import { serverIdentity } from './postmaster.js';
import { freePort, registerService } from './server.js';

const execFileAsync = promisify(execFile);

/**
 * PgBouncer's pool_mode. The default, transaction, is what a production deployment runs, so tests see its limits
 * (no session state, prepared statements only with max_prepared_statements).
 *
 * @example
 * ```ts
 * import { startPgBouncer, type PoolMode } from '@sqlbound/cli/testing';
 *
 * const poolMode: PoolMode = 'session';
 * const bouncer = await startPgBouncer({ serverUrl: process.env.DATABASE_URL!, poolMode });
 * ```
 */
export type PoolMode = 'transaction' | 'session' | 'statement';

/**
 * How to start PgBouncer; the limits mirror the ini settings of the same names, so a test can reproduce a
 * production configuration.
 *
 * @example
 * ```ts
 * import { startPgBouncer, type PgBouncerOptions } from '@sqlbound/cli/testing';
 *
 * const options: PgBouncerOptions = { serverUrl: process.env.DATABASE_URL!, defaultPoolSize: 5, maxPreparedStatements: 100 };
 * const bouncer = await startPgBouncer(options);
 * ```
 */
export type PgBouncerOptions = {
  /** The server to pool, as a PostgreSQL URL; its user and password go into the userlist. */
  serverUrl: string;
  /** Default a free port. */
  port?: number;
  /** Default 'transaction'. */
  poolMode?: PoolMode;
  /** Client connections PgBouncer accepts in all. Default 1000. */
  maxClientConn?: number;
  /** Server connections per (database, user) pair. Default 20. */
  defaultPoolSize?: number;
  /** Extra server connections a pool may open when clients wait over reserve_pool_timeout. Default 0. */
  reservePoolSize?: number;
  /** Server connections per database, over all users (0 = no limit). Default 0. */
  maxDbConnections?: number;
  /**
   * Protocol-level prepared statements tracked per pool (PgBouncer 1.21+; ignored before). Default 0, as
   * PgBouncer's own default: named statements then need session pooling, or fall back to unnamed ones.
   */
  maxPreparedStatements?: number;
  onLog?: (line: string) => void;
};

/**
 * A running PgBouncer. `settings` are the effective limits, to feed a connection budget check;
 * `preparedStatements` says whether createDb may use named prepared statements through it.
 *
 * @example
 * ```ts
 * import { createDb } from 'sqlbound';
 * import { startDatabase, startPgBouncer, type PgBouncer } from '@sqlbound/cli/testing';
 *
 * const server = await startDatabase();
 * const bouncer: PgBouncer = await startPgBouncer({ serverUrl: server.url });
 * const db = createDb({ connectionString: bouncer.url() });
 * // ...
 * await db.close();
 * await bouncer.stop();
 * ```
 */
export type PgBouncer = {
  host: string;
  port: number;
  /** PgBouncer's version, e.g. "1.18.0". */
  version: string;
  /** The effective limits, for a connection budget check. */
  settings: Required<
    Pick<
      PgBouncerOptions,
      'poolMode' | 'maxClientConn' | 'defaultPoolSize' | 'reservePoolSize' | 'maxDbConnections' | 'maxPreparedStatements'
    >
  >;
  /** Whether named prepared statements survive transaction pooling (1.21+ with max_prepared_statements > 0). */
  preparedStatements: boolean;
  /** `serverUrl` with PgBouncer's host and port, and `database` when given. */
  url(database?: string): string;
  /** The pgbouncer process, for a supervisor that restarts it when it exits (start:topology). */
  pid: number;
  stop(): Promise<void>;
};

/** A version string as a comparable tuple: "1.18.0" -> [1, 18, 0]. */
function versionParts(version: string): number[] {
  return version.split('.').map((part) => Number.parseInt(part, 10) || 0);
}

/**
 * Compares dotted version strings numerically, since PgBouncer features are gated on versions where a string
 * comparison gets '1.9' against '1.21' wrong. Missing parts count as 0.
 *
 * @example
 * ```ts
 * import { versionAtLeast } from '@sqlbound/cli/testing';
 *
 * versionAtLeast('1.21.0', '1.21'); // true
 * versionAtLeast('1.9', '1.21'); // false
 * ```
 */
export function versionAtLeast(version: string, minimum: string): boolean {
  const have = versionParts(version);
  const want = versionParts(minimum);
  for (let i = 0; i < want.length; i += 1) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

async function pgbouncerVersion(executable: string): Promise<string> {
  const { stdout } = await execFileAsync(executable, ['--version']);
  const match = /PgBouncer\s+(\d+(?:\.\d+)*)/i.exec(stdout);
  if (match?.[1] === undefined) throw new EngineError(`cannot read PgBouncer's version from "${stdout.trim()}"`, stdout);
  return match[1];
}

/** PgBouncer's userlist quotes a double quote by doubling it. */
const quoted = (value: string) => `"${value.replaceAll('"', '""')}"`;

/**
 * Starts PgBouncer; throws an EngineError naming the Debian package when it is not installed.
 *
 * @example
 * ```ts
 * import { startDatabase, startPgBouncer } from '@sqlbound/cli/testing';
 *
 * const server = await startDatabase();
 * const bouncer = await startPgBouncer({ serverUrl: server.adminUrl, defaultPoolSize: 5 });
 * const url = bouncer.url('sqlbound'); // postgres://...@127.0.0.1:<port>/sqlbound
 * await bouncer.stop();
 * ```
 */
export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const executable = findEngine(PGBOUNCER);
  if (executable === null) throw new EngineError(skippedLine(PGBOUNCER).replace(/^SKIPPED: /, ''), '');
  const version = await pgbouncerVersion(executable);
  const server = new URL(options.serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const port = options.port ?? (await freePort());
  const settings = {
    poolMode: options.poolMode ?? 'transaction',
    maxClientConn: options.maxClientConn ?? 1000,
    defaultPoolSize: options.defaultPoolSize ?? 20,
    reservePoolSize: options.reservePoolSize ?? 0,
    maxDbConnections: options.maxDbConnections ?? 0,
    maxPreparedStatements: options.maxPreparedStatements ?? 0,
  } satisfies PgBouncer['settings'];
  const supportsPrepared = versionAtLeast(version, '1.21');
  const dir = await mkdtemp(join(tmpdir(), 'sqlbound-pgbouncer-'));
  const ini = [
    '[databases]',
    // Every database name maps to the same-named database on the server: tests make one per file.
    `* = host=${server.hostname} port=${server.port || '5432'}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    `pool_mode = ${settings.poolMode}`,
    `max_client_conn = ${settings.maxClientConn}`,
    `default_pool_size = ${settings.defaultPoolSize}`,
    `reserve_pool_size = ${settings.reservePoolSize}`,
    `max_db_connections = ${settings.maxDbConnections}`,
    ...(supportsPrepared ? [`max_prepared_statements = ${settings.maxPreparedStatements}`] : []),
    // pg sends none of these itself; drivers that do (JDBC, psycopg) would otherwise be refused.
    'ignore_startup_parameters = extra_float_digits',
    `admin_users = ${user}`,
    `stats_users = ${user}`,
    // Tests drop their databases while PgBouncer may still hold idle server connections to them.
    'server_check_delay = 0',
    'log_connections = 0',
    'log_disconnections = 0',
    '',
  ].join('\n');
  await writeFile(join(dir, 'pgbouncer.ini'), ini, { mode: 0o600 });
  await writeFile(join(dir, 'userlist.txt'), `${quoted(user)} ${quoted(password)}\n`, { mode: 0o600 });
  const ids = await serverIdentity();
  if (ids !== null) {
    for (const path of [dir, join(dir, 'pgbouncer.ini'), join(dir, 'userlist.txt')]) await chown(path, ids.uid, ids.gid);
  }
  let engine;
  try {
    engine = await spawnEngine({
      name: 'PgBouncer',
      executable,
      args: [join(dir, 'pgbouncer.ini')],
      ready: /process up|listening on/i,
      dropRoot: true,
      // SIGTERM is PgBouncer's immediate shutdown (SIGINT waits for every client): its clients close first.
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
  return {
    host: '127.0.0.1',
    port,
    version,
    settings,
    preparedStatements: settings.poolMode === 'session' || (supportsPrepared && settings.maxPreparedStatements > 0),
    url(database) {
      const url = new URL(options.serverUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      if (database !== undefined) url.pathname = `/${database}`;
      return url.toString();
    },
    pid: engine.pid,
    stop,
  };
}
