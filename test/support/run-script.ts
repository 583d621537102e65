// Runs one of the project's scripts (bench/, scripts/) as a child process, the way `npm run` would, and keeps its
// output: the smoke tests that stop benchmarks and the load test from rotting assert on exit codes and tables.
import { spawn } from 'node:child_process';
import { projectRoot } from '../../src/server/paths.js';

export type ScriptRun = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

export type ScriptOptions = {
  /** The database the script uses; without it the script starts an embedded server of its own. */
  databaseUrl?: string;
  env?: Record<string, string>;
  /** SIGTERM after this long (the run then reports the signal). Default 10 minutes. */
  timeoutMs?: number;
};

/** Knobs of the developer's shell that change what a script runs or measures: never inherited by a smoke test. */
const INHERITED_KNOBS = ['DATABASE_URL', 'LOADTEST_ONLY', 'LOADTEST_SERVER_NODE_ARGS'];

/**
 * `node --import tsx <entry> ...args` from the project root. The child reaches the database named by
 * `databaseUrl` only: the test harness's own variables are dropped, so a script cannot fall back to another server.
 */
export function runScript(entry: string, args: readonly string[], options: ScriptOptions = {}): Promise<ScriptRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('SQLBOUND_TEST_') || INHERITED_KNOBS.includes(name)) delete env[name];
  Object.assign(env, options.env, options.databaseUrl === undefined ? {} : { DATABASE_URL: options.databaseUrl });
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 600_000);
  return new Promise((resolveRun, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}
