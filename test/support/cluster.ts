// `npm run start:cluster` as a child process for topology tests: WEB_CONCURRENCY workers on one port, started and
// stopped (SIGTERM, waiting for the exit) the same way by every test that needs more than one worker.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../../src/server/paths.js';

export type RunningCluster = { url: string; stop: () => Promise<void> };

/** Starts src/server/cluster.ts with `env` over this process's, and resolves once every worker listens. */
export async function startCluster(workers: number, env: Record<string, string>): Promise<RunningCluster> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cluster.ts'], {
    cwd: projectRoot,
    env: { ...process.env, WEB_CONCURRENCY: String(workers), PORT: '0', SQLBOUND_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  try {
    for (let waited = 0; (output.match(/listening on http/g) ?? []).length < workers; waited += 50) {
      assert.ok(waited < 90_000 && child.exitCode === null, `the cluster did not start: ${output}`);
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: /listening on (http:\/\/\S+)/.exec(output)?.[1] ?? '', stop };
}
