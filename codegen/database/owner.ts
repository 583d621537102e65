// Who a postmaster belongs to, so that nothing outlives its owner. The server runs detached in its own process group
// (a Ctrl-C must reach the API first, see postmaster.ts), so a SIGKILL of the node process that started it (an OOM
// kill, a container runtime's timeout) leaves it running under PID 1, holding the data directory and its port.
// Two things undo that:
//   - an owner file in the data directory names the process that started the postmaster (pid and start time, so a
//     reused pid is not mistaken for it): the next start that finds the postmaster alive and its owner gone stops it
//     with a fast shutdown and carries on;
//   - a watchdog, a shell loop detached from the owner, sends that fast shutdown itself within about a second of the
//     owner's death, and exits with the postmaster. It costs a sleep a second, not a Node process.
// A postmaster whose owner is alive, or that no owner file names, is never touched.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** The file, inside the data directory, that names the postmaster's owner (a base backup must not copy it). */
export const OWNER_FILE = 'sqlbound.owner';

const ownerRecord = z.object({
  /** The process that started the postmaster. */
  owner: z.number().int().positive(),
  /** Its start time in clock ticks since boot (/proc/<pid>/stat), null where there is no /proc. */
  ownerStartedAt: z.string().nullable(),
  postmaster: z.number().int().positive(),
  watchdog: z.number().int().positive().nullable(),
});

type OwnerRecord = z.infer<typeof ownerRecord>;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user (a postgres run by someone else).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat, read after the command name (which may hold spaces and parentheses). */
function startedAt(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the recorded owner still runs: the same pid, started at the same moment (a reused pid is not the owner). */
function ownerAlive(record: OwnerRecord): boolean {
  if (!isAlive(record.owner)) return false;
  if (record.ownerStartedAt === null) return true;
  const now = startedAt(record.owner);
  return now === null || now === record.ownerStartedAt;
}

export async function readOwner(dataDir: string): Promise<OwnerRecord | null> {
  const text = await readFile(join(dataDir, OWNER_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const parsed = ownerRecord.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

// $1 is the owner, $2 the postmaster. The loop ends when either is gone; the postmaster gets SIGINT (fast shutdown)
// only if it is the one still running.
const WATCHDOG_SCRIPT =
  'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill -0 "$2" 2>/dev/null && kill -INT "$2"';

/**
 * Starts the watchdog of `postmaster` and records this process as its owner. Returns the function that undoes both
 * once the postmaster is stopped on purpose (the watchdog first, so it cannot signal a pid reused later).
 */
export async function claimPostmaster(dataDir: string, postmaster: number): Promise<() => Promise<void>> {
  // Detached, in a session of its own: a SIGKILL of the owner's process group (npm's) does not reach it.
  const watchdog = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'sqlbound-postmaster-watchdog', String(process.pid), String(postmaster)], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  const record: OwnerRecord = {
    owner: process.pid,
    ownerStartedAt: startedAt(process.pid),
    postmaster,
    watchdog: watchdog.pid ?? null,
  };
  const path = join(dataDir, OWNER_FILE);
  // Best effort: without the file the watchdog still stops an orphan; only a later start's takeover is lost. A
  // failure here must not leave the just-spawned postmaster running with nobody holding it.
  await writeFile(path, `${JSON.stringify(record)}\n`, { mode: 0o600 }).catch(() => undefined);
  return async () => {
    if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGTERM');
    // Only our own record: a later start may already have written its own.
    if ((await readOwner(dataDir))?.owner === process.pid) await rm(path, { force: true });
  };
}

/**
 * Whether the postmaster `pid` holding `dataDir` is an orphan: an owner file names it, and its owner is gone.
 * Returns the owner's pid when it is.
 */
export async function orphanedBy(dataDir: string, pid: number): Promise<number | null> {
  const record = await readOwner(dataDir);
  if (record === null || record.postmaster !== pid || ownerAlive(record)) return null;
  return record.owner;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  return true;
}

/**
 * Stops an orphaned postmaster the way its owner would have: fast shutdown (SIGINT: sessions end, a checkpoint, the
 * lock file removed), then immediate shutdown if that takes too long. Resolves once the process is gone.
 */
export async function stopOrphan(pid: number): Promise<boolean> {
  for (const [signal, waitMs] of [
    ['SIGINT', 20_000],
    ['SIGQUIT', 5_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return true;
    }
    if (await waitForExit(pid, waitMs)) return true;
  }
  return false;
}
