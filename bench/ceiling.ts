// The load test's side of the ceiling: collect each burst user's real dashboard response from the API, then run
// bench/ceiling-server.ts in its own process serving those bytes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { projectRoot } from '../src/server/paths.js';

export type CeilingServer = { child: ChildProcess; base: string; stop: () => Promise<void> };

/**
 * Each user's response text for `path`, fetched once from the API (a few at a time), so the ceiling writes bytes
 * of exactly the size and shape the API wrote. A non-200 answer is an error: the ceiling would measure the wrong
 * payload.
 */
export async function collectResponses(
  base: string,
  path: string,
  users: { userId: string; token: string }[],
  concurrency = 20,
): Promise<Map<string, string>> {
  const pool = new Pool(base, { connections: concurrency });
  const bodies = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const user = users[next];
      next += 1;
      if (user === undefined) break;
      const response = await pool.request({ method: 'GET', path, headers: { authorization: `Bearer ${user.token}` } });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`GET ${path} for user ${user.userId}: ${response.statusCode} ${text}`);
      bodies.set(user.userId, text);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.close();
  }
  return bodies;
}

export async function startCeiling(secret: string, bodies: Map<string, string>, host: string): Promise<CeilingServer> {
  const directory = mkdtempSync(join(tmpdir(), 'sqlbound-ceiling-'));
  const file = join(directory, 'bodies.json');
  writeFileSync(file, JSON.stringify(Object.fromEntries(bodies)));
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/ceiling-server.ts'], {
    cwd: projectRoot,
    env: { ...process.env, CEILING_SECRET: secret, CEILING_BODIES: file },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('the ceiling server did not listen in 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`the ceiling server exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening (\d+)/.exec(seen);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
  });
  rmSync(directory, { recursive: true, force: true }); // read at start; nothing else needs it
  return {
    child,
    base: `http://${host}:${port}`,
    stop: () =>
      new Promise((resolveStop) => {
        if (child.exitCode !== null) {
          resolveStop();
          return;
        }
        child.once('exit', () => resolveStop());
        child.kill('SIGTERM');
      }),
  };
}
