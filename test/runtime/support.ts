// Shared helpers for the runtime tests: a pino logger whose lines are captured, and pool/backends probes.
import assert from 'node:assert/strict';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import type { Db } from 'sqlbound';

type LogLine = { level: number; msg: string; query?: string; [key: string]: unknown };

export type CapturedLogger = { logger: Logger; lines: LogLine[]; text: () => string };

export function capturingLogger(level: 'debug' | 'info' = 'debug'): CapturedLogger {
  const raw: string[] = [];
  const logger = pino({ level }, { write: (line: string) => void raw.push(line) });
  return {
    logger,
    get lines() {
      return raw.map((line) => JSON.parse(line) as LogLine);
    },
    text: () => raw.join(''),
  };
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export function uniqueAppName(prefix: string): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
}

/** Number of server backends with this application_name, seen from a separate connection. */
export async function backendsOf(client: pg.Client, applicationName: string): Promise<number> {
  const result = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
    applicationName,
  ]);
  return result.rows[0]?.n ?? 0;
}

export async function withClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** No leaked client: every connection is back in the pool and nobody waits. */
export function assertNoLeak(db: Pick<Db, 'poolStats'>): void {
  const stats = db.poolStats();
  assert.equal(stats.total, stats.idle, `leaked client: ${JSON.stringify(stats)}`);
  assert.equal(stats.waiting, 0, `waiting callers: ${JSON.stringify(stats)}`);
}

export const sleepStatement = (name: string, seconds: number) => ({
  name,
  text: `SELECT pg_sleep(${seconds}) AS slept, $1::int AS n`,
});
