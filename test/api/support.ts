// Shared harness for the API tests: a real database, the real app listening on 127.0.0.1, and fetch.
import { after } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { createDb, type Db } from 'sqlbound';
import { seed } from '../../src/server/seed.js';
import { buildApp } from '../../src/server/app.js';
import { issueToken } from '../../src/server/auth.js';
import type { ScopeReport } from '../../src/server/trpc.js';
import { poolerOptions, testDatabase } from '../support/database.js';

export const AUTH_SECRET = 'test-auth-secret-0123456789abcdef0123456789';

export type Api = {
  base: string;
  db: Db;
  url: string;
  /** Every procedure call's statement count, in order. */
  scopes: ScopeReport[];
  token(userId: string): string;
  query(path: string, input?: unknown, token?: string): Promise<Reply>;
  mutate(path: string, input: unknown, token?: string): Promise<Reply>;
  sql<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<Row[]>;
};

export type Reply = { status: number; headers: Headers; body: TrpcBody };

/** tRPC's response envelope: `result.data` on success, `error` on failure. */
type TrpcBody = {
  result?: { data: unknown };
  error?: { message: string; code: number; data: { code: string; httpStatus: number; issues?: unknown[] } };
};

async function read(response: Response): Promise<Reply> {
  const text = await response.text();
  const body: TrpcBody = text === '' ? {} : (JSON.parse(text) as TrpcBody);
  return { status: response.status, headers: response.headers, body };
}

export function authorization(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** A seeded database (300 users, seed 1) and the app on it, in strict N+1 mode; closed when the file ends. */
export async function startApi(options: { seedUsers?: number; cache?: boolean; responseCache?: boolean } = {}): Promise<Api> {
  const database = await testDatabase();
  if (options.seedUsers !== 0) await seed(database.url, { users: options.seedUsers ?? 300, seed: 1 });
  // Small pool: the machine is shared, and one request never needs more than one connection.
  // Errors only: the database is dropped (terminating idle connections) before this file's app is closed.
  // The cache is off unless asked for: most tests count the statements each request runs, and a hit runs none.
  const db = createDb({
    connectionString: database.url,
    max: 4,
    cursorSecret: 'test-cursor-secret',
    logger: pino({ level: 'error' }),
    cache: options.cache === true ? {} : false,
    ...poolerOptions(),
  });
  const scopes: ScopeReport[] = [];
  const app = await buildApp({
    db,
    authSecret: AUTH_SECRET,
    strictScope: true,
    onScope: (report) => scopes.push(report),
    responseCache: options.responseCache === true,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const base = `http://127.0.0.1:${address.port}`;
  const admin = new pg.Pool({ connectionString: database.url, max: 2 });
  // Dropping the database at the end terminates its idle connections: expected, not a failure.
  admin.on('error', () => undefined);
  after(async () => {
    await app.close();
    await db.close();
    await admin.end();
  });
  return {
    base,
    db,
    url: database.url,
    scopes,
    token: (userId) => issueToken(AUTH_SECRET, userId),
    async query(path, input, token) {
      const search = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
      return read(await fetch(`${base}/trpc/${path}${search}`, { headers: authorization(token) }));
    },
    async mutate(path, input, token) {
      return read(
        await fetch(`${base}/trpc/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...authorization(token) },
          body: JSON.stringify(input),
        }),
      );
    },
    async sql<Row extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
      return (await admin.query<Row>(text, values)).rows;
    },
  };
}

/** The typical (median alert count) and the heaviest user of the seeded data. */
export async function pickUsers(api: Api): Promise<{ typical: string; heavy: string }> {
  const rows = await api.sql<{ id: string; alerts: string }>(
    `SELECT u.id::text AS id, count(a.id)::text AS alerts FROM users u LEFT JOIN alerts a ON a.user_id = u.id
     GROUP BY u.id ORDER BY count(a.id), u.id`,
  );
  const typical = rows[Math.floor(rows.length / 2)]?.id;
  const heavy = rows[rows.length - 1]?.id;
  if (typical === undefined || heavy === undefined) throw new Error('no users seeded');
  return { typical, heavy };
}

/** The data of a successful reply, failing with the error body otherwise. */
export function data<T>(reply: Reply): T {
  if (reply.status !== 200 || reply.body.result === undefined) {
    throw new Error(`expected 200, got ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return reply.body.result.data as T;
}

export type Page<Item> = { items: Item[]; nextCursor: string | null };
