// Runs one of the project's scripts (bench/, scripts/) as a child process, the way `npm run` would, and keeps its
// output: the smoke tests that stop benchmarks and the load test from rotting assert on exit codes and tables.
import { spawn } from 'node:child_process';
import { projectRoot } from '../../src/server/paths.js';

export type ScriptRun = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/**
 * `tsx <entry> ...args` from the project root. The child reaches the database named by `databaseUrl` only: the
 * test harness's own variables are dropped, so a script cannot fall back to another server.
 */
export function runScript(
  entry: string,
  args: readonly string[],
  options: { databaseUrl: string; env?: Record<string, string> },
): Promise<ScriptRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, DATABASE_URL: options.databaseUrl };
  for (const name of Object.keys(env)) if (name.startsWith('SQLBOUND_TEST_')) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolveRun, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
}
