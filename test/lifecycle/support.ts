// Runs `npm start` (and the other npm commands) as real processes, the way a person or a process manager does,
// and reads what they print: the API URL, the demo token and the embedded database's connection details.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { projectRoot } from '../../src/server/paths.js';

export type Started = {
  child: ChildProcessByStdio<null, Readable, Readable>;
  url: string;
  token: string;
  databaseUrl: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
};

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The environment of a command run against the embedded server in `dataDir`, never a DATABASE_URL. */
export function embeddedEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SQLBOUND_DATA_DIR: dataDir, PORT: '0', SQLBOUND_LOG_LEVEL: 'info', ...extra };
  delete env.DATABASE_URL;
  delete env.NODE_ENV;
  delete env.SQLBOUND_AUTH_SECRET;
  delete env.SQLBOUND_CURSOR_SECRET;
  return env;
}

/** `npm start` in its own process group (as a terminal runs it), resolved once its banner is printed. */
export async function npmStart(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn('npm', ['start'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (text += chunk));
  child.stderr.on('data', (chunk: string) => (text += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit({ code, signal, atMs: performance.now() }));
  });
  const deadline = Date.now() + 90_000;
  while (true) {
    const url = /listening on (http:\/\/\S+)/.exec(text)?.[1];
    const token = /valid 7 days\):\n\s+(\S+)/.exec(text)?.[1];
    const databaseUrl = /psql (postgres:\/\/\S+)/.exec(text)?.[1];
    if (url !== undefined && token !== undefined && databaseUrl !== undefined) {
      return { child, url, token, databaseUrl, output: () => text, exited };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${text}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

/** Child pids of a process, from /proc (Linux). */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text
    .trim()
    .split(/\s+/)
    .filter((part) => part !== '')
    .map(Number);
}

/** npm's child is the node process that runs the API (the start script execs `node --import tsx`). */
export async function processChain(npmPid: number): Promise<{ npm: number; node: number }> {
  const [node] = await childrenOf(npmPid);
  if (node === undefined) throw new Error('npm has no child');
  return { npm: npmPid, node };
}

export async function postmasterPid(dataDir: string): Promise<number | null> {
  const text = await readFile(`${dataDir}/postmaster.pid`, 'utf8').catch(() => null);
  if (text === null) return null;
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export type CommandResult = { code: number | null; output: string; ms: number };

/** Runs an npm script to its end. */
export async function npmRun(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CommandResult> {
  const started = performance.now();
  const child = spawn('npm', ['run', '--silent', ...args], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (output += chunk));
  child.stderr.on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output, ms: performance.now() - started };
}
