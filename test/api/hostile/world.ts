// What the hostile-input suite knows before it starts: the users it acts as, their tokens, cursors harvested
// from real answers (with the context each was issued for), cursors sealed with another secret, and alert ids
// worth aiming at.
import { createHmac } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import type { z } from 'zod';
import { listAlerts, listBrokers, listExposures, listScans } from '../../../generated/index.js';
import { createDb } from 'sqlbound';
import { poolerOptions } from '../../support/pooler.js';
import { issueToken } from '../../../src/server/auth.js';
import type { ProcedureInput } from '../../support/procedures.js';
import type { Received, Sent } from './harness.js';

export const AUTH_SECRET = 'hostile-auth-secret-0123456789abcdef01234567';
export const CURSOR_SECRET = 'hostile-cursor-secret-0123456789abcdef';
export const OTHER_SECRET = 'another-secret-that-is-long-enough-0000000';

/** A cursor from a real answer, and the context it was issued for. */
export type GenuineCursor = { cursor: string; path: string; user: string | null; filters: Record<string, unknown> };

export type World = {
  procedures: ProcedureInput[];
  /** Real users the suite acts as: typical ones, each with at least two pages of every list. */
  users: string[];
  /** A well-formed user id that no user has: tokens for it are validly signed. */
  ghost: string;
  tokens: Map<string, string>;
  genuine: GenuineCursor[];
  /** Cursors for real contexts, sealed with another secret. */
  foreign: string[];
  /** Alert ids to aim markRead at: the users' own unread and read alerts, other users', and none at all. */
  alertTargets: string[];
};

/** The procedures whose answers carry a cursor, and the filter values the suite pages them with. */
export const LIST_FILTERS: Record<string, Record<string, unknown>[]> = {
  'alerts.list': [{}, { severity: 'high' }, { unreadOnly: true }, { severity: 'low', unreadOnly: true }],
  'exposures.list': [{}, { status: 'detected' }],
  'scans.list': [{}],
  'brokers.list': [{}],
};
export const PUBLIC_PATHS = new Set(['brokers.list']);

/** An object schema's keys, through the wrappers (prefault, default, optional, pipe) the routers put around it. */
export function objectKeys(schema: z.core.$ZodType): string[] {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'object':
      return Object.keys(def.shape);
    case 'prefault':
    case 'default':
    case 'optional':
    case 'nullable':
      return objectKeys(def.innerType);
    case 'pipe':
      return objectKeys(def.in);
    default:
      return [];
  }
}

/** The filter values a list call runs with: every param but limit and cursor, absent ones as null. */
export function filtersOf(schema: z.core.$ZodType, parsed: unknown): Record<string, unknown> {
  const keys = objectKeys(schema).filter((key) => key !== 'limit' && key !== 'cursor');
  const values: unknown = parsed;
  return Object.fromEntries(
    keys.sort().map((key) => [key, (typeof values === 'object' && values !== null ? Reflect.get(values, key) : null) ?? null]),
  );
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/** A token's claims signed as the server signs them; for spellings the server must refuse. */
export function signClaims(claims: string, secret = AUTH_SECRET): string {
  return createHmac('sha256', secret).update(`sqlbound-auth-v1:${claims}`).digest('base64url');
}

export async function prepareUsers(url: string, count: number): Promise<{ users: string[]; ghost: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Typical users (the middle of the alert-count order): their pages are as big as most users'.
    const typical = await client.query<{ id: string }>(
      `SELECT id FROM (
         SELECT u.id::text AS id, row_number() OVER (ORDER BY (SELECT count(*) FROM alerts a WHERE a.user_id = u.id), u.id) AS n,
                count(*) OVER () AS total
         FROM users u) t
       WHERE n > total / 2 ORDER BY n LIMIT $1`,
      [count],
    );
    const users = typical.rows.map((row) => row.id);
    // Every user gets at least two pages of every list under every filter the suite uses.
    for (const user of users) {
      await client.query(
        `INSERT INTO alerts (user_id, kind, severity, title, body)
         SELECT $1, 'breach', s, 'Hostile ' || g, 'body' FROM generate_series(1, 3) AS g, unnest(ARRAY['high', 'low']::alert_severity[]) AS s`,
        [user],
      );
      await client.query(`INSERT INTO exposures (user_id, broker_id, status) SELECT $1, g, 'detected' FROM generate_series(1, 3) AS g`, [
        user,
      ]);
      await client.query(`INSERT INTO scans (user_id, status) SELECT $1, 'queued' FROM generate_series(1, 3)`, [user]);
    }
    const [ghost] = (await client.query<{ id: string }>('SELECT (max(id) + 1000)::text AS id FROM users')).rows;
    if (ghost === undefined) throw new Error('no users');
    return { users, ghost: ghost.id };
  } finally {
    await client.end();
  }
}

export function mintTokens(users: string[]): Map<string, string> {
  return new Map(users.map((user) => [user, issueToken(AUTH_SECRET, user)]));
}

/** First pages (limit 1) of every list, per user and filter, over HTTP: their nextCursors and contexts. */
export async function harvestCursors(
  send: (request: Sent) => Promise<Received>,
  users: string[],
  tokens: Map<string, string>,
): Promise<GenuineCursor[]> {
  const harvested: GenuineCursor[] = [];
  for (const [path, filterSets] of Object.entries(LIST_FILTERS)) {
    const callers = PUBLIC_PATHS.has(path) ? [null] : users;
    for (const user of callers) {
      for (const filters of filterSets) {
        const input = encodeURIComponent(JSON.stringify({ ...filters, limit: 1 }));
        const token = user === null ? undefined : tokens.get(user);
        const reply = await send({
          method: 'GET',
          path: `/trpc/${path}?input=${input}`,
          headers: token === undefined ? {} : { authorization: bearer(token) },
        });
        const body = JSON.parse(reply.text) as { result?: { data?: { nextCursor?: string | null } } };
        const cursor = body.result?.data?.nextCursor;
        if (reply.status !== 200 || typeof cursor !== 'string')
          throw new Error(`no cursor from ${path} for ${String(user)}: ${reply.text}`);
        harvested.push({ cursor, path, user, filters: { ...filters } });
      }
    }
  }
  return harvested;
}

/** Cursors for the users' real contexts, sealed with a secret the server does not have. */
export async function foreignCursors(url: string, users: string[]): Promise<string[]> {
  const db = createDb({
    connectionString: url,
    cursorSecret: OTHER_SECRET,
    cache: false,
    max: 1,
    logger: pino({ level: 'silent' }),
    ...poolerOptions(),
  });
  try {
    const cursors: (string | null)[] = [(await listBrokers(db, { limit: 1, cursor: null })).nextCursor];
    for (const userId of users) {
      cursors.push((await listAlerts(db, { userId, limit: 1, cursor: null })).nextCursor);
      cursors.push((await listExposures(db, { userId, limit: 1, cursor: null })).nextCursor);
      cursors.push((await listScans(db, { userId, limit: 1, cursor: null })).nextCursor);
    }
    return cursors.filter((cursor): cursor is string => cursor !== null);
  } finally {
    await db.close();
  }
}

export async function alertTargets(url: string, users: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const own = await client.query<{ id: string }>(
      // Per user: a few unread and a few read alerts of their own (the rest of the users' alerts are others').
      `SELECT id::text AS id FROM (
         SELECT a.id, row_number() OVER (PARTITION BY a.user_id, a.read_at IS NULL ORDER BY a.id) AS n
         FROM alerts a WHERE a.user_id = ANY ($1::int8[])) t
       WHERE n <= 6`,
      [users],
    );
    const others = await client.query<{ id: string }>(
      'SELECT id::text AS id FROM alerts WHERE user_id <> ALL ($1::int8[]) AND read_at IS NULL ORDER BY id LIMIT 8',
      [users],
    );
    const [max] = (await client.query<{ id: string }>('SELECT max(id)::text AS id FROM alerts')).rows;
    return [
      ...own.rows.map((row) => row.id),
      ...others.rows.map((row) => row.id),
      String(BigInt(max?.id ?? '0') + 1n),
      '9223372036854775807',
    ];
  } finally {
    await client.end();
  }
}
