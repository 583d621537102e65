// Headless Chromium driven over the DevTools protocol on 127.0.0.1, with undici's WebSocket (already a dev
// dependency): enough of the protocol to load a page behind HTTP authentication, read its DOM and take a
// screenshot, without puppeteer or a downloaded browser.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'undici';

/** The chromium binary (env CHROMIUM, else `chromium` or `chromium-browser` on PATH), or null. */
export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser'].filter((c): c is string => c !== undefined && c !== '');
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 20_000 });
    if (probe.status === 0 && /Chromium|Chrome/.test(probe.stdout)) return candidate;
  }
  return null;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type Listener = (params: Record<string, unknown>) => void;

export type Page = {
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  on(event: string, listener: Listener): void;
  /** Evaluates an expression in the page and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
};

export type Browser = { page: Page; close(): Promise<void> };

async function devtoolsUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools address in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited with ${code}:\n${output}`));
    });
  });
}

export async function launch(binary: string, options: { width: number; height: number }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'sqlbound-chromium-'));
  // Its own process group, so close() can end the browser and every helper process it started, and nothing else.
  const child = spawn(
    binary,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--hide-scrollbars',
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      `--window-size=${options.width},${options.height}`,
      'about:blank',
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await rm(profile, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    const browserUrl = await devtoolsUrl(child, 60_000);
    const { host } = new URL(browserUrl);
    const targets = (await (await fetch(`http://${host}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    const target = targets.find((t) => t.type === 'page');
    if (target === undefined) throw new Error('chromium has no page target');
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve());
      socket.addEventListener('error', () => reject(new Error('could not connect to the DevTools page socket')));
    });
    let nextId = 1;
    const pending = new Map<number, Pending>();
    socket.addEventListener('close', () => {
      for (const waiter of pending.values()) waiter.reject(new Error('Chromium closed the DevTools socket'));
      pending.clear();
    });
    const listeners = new Map<string, Listener[]>();
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
        method?: string;
        params?: Record<string, unknown>;
      };
      if (message.id !== undefined) {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(message.error.message));
        else waiter?.resolve(message.result);
      } else if (message.method !== undefined) {
        for (const listener of listeners.get(message.method) ?? []) listener(message.params ?? {});
      }
    });
    const page: Page = {
      send<T>(method: string, params: Record<string, unknown> = {}) {
        const id = nextId++;
        socket.send(JSON.stringify({ id, method, params }));
        // A reply that never comes (Chromium gone, a dropped message) fails the call instead of leaving it pending.
        return new Promise<T>((resolve, reject) => {
          const timer = setTimeout(() => {
            pending.delete(id);
            reject(new Error(`${method}: no answer from Chromium in 30 s`));
          }, 30_000);
          pending.set(id, {
            resolve: (value) => {
              clearTimeout(timer);
              resolve(value as T);
            },
            reject: (error) => {
              clearTimeout(timer);
              reject(error);
            },
          });
        });
      },
      on(event, listener) {
        listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      },
      async evaluate<T>(expression: string) {
        const reply = await page.send<{ result: { value?: unknown }; exceptionDetails?: { text: string } }>('Runtime.evaluate', {
          expression,
          returnByValue: true,
          awaitPromise: true,
        });
        if (reply.exceptionDetails !== undefined) throw new Error(`page script failed: ${reply.exceptionDetails.text}`);
        return reply.result.value as T;
      },
    };
    return {
      page,
      async close() {
        await page.send('Browser.close').catch(() => undefined);
        socket.close();
        await new Promise((resolve) => setTimeout(resolve, 200));
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
