// The hostile-input suite's server and client: the example API in a child process on a seeded database, and
// a few keep-alive connections to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after } from 'node:test';
import { Pool } from 'undici';
import { projectRoot } from '../../../src/server/paths.js';

export type Sent = {
  method: 'GET' | 'POST';
  /** Path and query, already percent-encoded. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
};

export type Received = { status: number; text: string };

export type Server = {
  base: string;
  send(request: Sent): Promise<Received>;
  /** Everything the server wrote to stderr (its warn and error logs). */
  logs(): string;
  /** How the process ended, or null while it runs. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
};

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolvePort, reject) => {
    if (child.stdout === null) return reject(new Error('no stdout'));
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const parsed: unknown = JSON.parse(line);
      const port: unknown = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'port') : undefined;
      if (typeof port === 'number') resolvePort(port);
      else reject(new Error(`unexpected first line: ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${String(code)} before listening`)));
  });
}

export async function startServer(env: Record<string, string>, connections: number): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/hostile-server.ts'], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.on('exit', (code, signal) => {
    exit = { code, signal };
  });
  const port = await waitForPort(child);
  const base = `http://127.0.0.1:${port}`;
  const pool = new Pool(base, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  after(async () => {
    await pool.close();
    if (exit === null) {
      const ended = new Promise((resolveEnd) => child.once('exit', resolveEnd));
      child.kill('SIGTERM');
      await ended;
    }
  });
  return {
    base,
    async send(request) {
      const response = await pool.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
      });
      return { status: response.statusCode, text: await response.body.text() };
    },
    logs: () => stderr,
    exited: () => exit,
  };
}
