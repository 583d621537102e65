// Nothing outlives its owner: a SIGKILL of the API (an OOM kill, a container runtime's timeout) skips every exit
// path, and the embedded postmaster runs detached. Either its watchdog stops it within seconds, or, when the
// watchdog went too, the next `npm start` finds it orphaned, stops it with a fast shutdown, says so once and
// serves. Each case runs the real `npm start` twice on one data directory.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OWNER_FILE, readOwner } from '../../codegen/database/owner.js';
import { embeddedEnv, isAlive, npmStart, postmasterPid, processChain, type Started } from './support.js';

const external = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '';
let dataDir = '';

before(async () => {
  const parent = await mkdtemp(join(tmpdir(), 'sqlbound-orphan-'));
  // As root the server runs as the OS user postgres, which must be able to reach the data directory.
  await chmod(parent, 0o755);
  dataDir = join(parent, 'pg');
});
after(async () => {
  if (dataDir === '') return;
  const pid = await postmasterPid(dataDir);
  if (pid !== null && isAlive(pid)) {
    process.kill(pid, 'SIGINT');
    await until(async () => !isAlive(pid), 'the leftover postmaster to stop', 15_000).catch(() => process.kill(pid, 'SIGKILL'));
  }
  await rm(join(dataDir, '..'), { recursive: true, force: true });
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 25));
  }
  return performance.now() - started;
}

/** Postmasters (not their backends, which rename themselves `postgres: ...`) running on this data directory. */
async function postmastersOn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (/(^|\/)postgres$/.test(argv[0] ?? '') && argv.includes(dir)) found.push(Number(entry));
  }
  return found;
}

async function stopCleanly(started: Started): Promise<void> {
  if (started.child.exitCode === null) started.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (started.child.pid !== undefined) process.kill(-started.child.pid, 'SIGKILL');
  }, 20_000);
  const exit = await started.exited;
  clearTimeout(timer);
  assert.deepEqual([exit.code, exit.signal], [0, null], started.output());
}

/** `kill -9` of the node process that runs the API (npm, its parent, then exits too). */
async function killApi(started: Started): Promise<void> {
  assert.ok(started.child.pid !== undefined);
  const { node } = await processChain(started.child.pid);
  process.kill(node, 'SIGKILL');
  await started.exited;
}

describe(
  'a SIGKILL of the API leaves no PostgreSQL behind',
  { skip: external ? 'DATABASE_URL is set: these cases need the embedded server' : false },
  () => {
    test('watchdog killed too: the next npm start stops the orphan, says so once, and serves', { timeout: 120_000 }, async () => {
      const first = await npmStart(embeddedEnv(dataDir));
      const orphan = await postmasterPid(dataDir);
      const record = await readOwner(dataDir);
      assert.ok(orphan !== null && record !== null && record.watchdog !== null, `owner file ${OWNER_FILE} names the watchdog`);
      assert.equal(record.postmaster, orphan);
      // Everything but the postmaster dies at once, as when a supervisor kills the API's whole cgroup but the server.
      process.kill(record.watchdog, 'SIGKILL');
      await killApi(first);
      await new Promise((resolveWait) => setTimeout(resolveWait, 1500));
      assert.ok(isAlive(orphan), 'the postmaster outlived its owner (the case this start must handle)');

      const second = await npmStart(embeddedEnv(dataDir));
      try {
        assert.equal(isAlive(orphan), false, 'the orphan is gone');
        const lines = second
          .output()
          .split('\n')
          .filter((line) => line.includes('left running by the killed pid'));
        assert.equal(lines.length, 1, second.output());
        assert.match(lines[0] ?? '', new RegExp(`stopped PostgreSQL pid ${orphan}, left running by the killed pid ${record.owner}`));
        assert.equal((await fetch(`${second.url}/healthz`)).status, 200);
        const running = await postmastersOn(dataDir);
        assert.deepEqual(running, [await postmasterPid(dataDir)], 'one postmaster, the new one');
      } finally {
        await stopCleanly(second);
      }
      assert.deepEqual(await postmastersOn(dataDir), []);
    });

    test(
      'watchdog alive: the postmaster stops within a few seconds of the SIGKILL, and npm start serves again',
      { timeout: 120_000 },
      async () => {
        const first = await npmStart(embeddedEnv(dataDir));
        const postmaster = await postmasterPid(dataDir);
        assert.ok(postmaster !== null);
        await killApi(first);
        const stoppedInMs = await until(async () => !isAlive(postmaster), 'the watchdog to stop the postmaster', 10_000);
        // Fast shutdown: the server removed its own lock file.
        assert.equal(await postmasterPid(dataDir), null);
        console.log(`# ORPHAN watchdog: postmaster gone ${Math.round(stoppedInMs)} ms after the SIGKILL of its owner`);

        const second = await npmStart(embeddedEnv(dataDir));
        try {
          assert.equal((await fetch(`${second.url}/healthz`)).status, 200);
          assert.doesNotMatch(second.output(), /left running by the killed pid/);
          assert.equal((await postmastersOn(dataDir)).length, 1);
        } finally {
          await stopCleanly(second);
        }
      },
    );
  },
);
