// Write-then-read pairs through the example API's HTTP surface, each request on a connection of its own (node:cluster
// and a load balancer hand out connections, not requests): mark an unread alert read, then list the user's unread
// alerts. A list that still holds the alert is a stale read.
import { request } from 'node:http';
import pg from 'pg';
import { issueToken } from '../../src/server/auth.js';
import { WRITE_POSITION_HEADER } from '../../src/server/write-position.js';

export type Answer = { status: number; body: string; position: string | undefined };

/** One request on a fresh connection (no keep-alive agent). */
export function call(url: string, options: { token: string; body?: string; position?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.position !== undefined) headers[WRITE_POSITION_HEADER] = options.position;
    const req = request(url, { method: options.body === undefined ? 'GET' : 'POST', agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const position = res.headers[WRITE_POSITION_HEADER];
        resolve({ status: res.statusCode ?? 0, body, position: typeof position === 'string' ? position : undefined });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export type Alert = { id: string; userId: string };

/** Unread alerts of users with at most 50 unread, so one page of the unread list always holds the alert. */
export async function unreadAlerts(databaseUrl: string, count: number): Promise<Alert[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<Alert>(
      `SELECT id::text AS id, user_id::text AS "userId" FROM alerts
       WHERE read_at IS NULL AND user_id IN (SELECT user_id FROM alerts WHERE read_at IS NULL GROUP BY user_id HAVING count(*) <= 50)
       ORDER BY id LIMIT $1`,
      [count],
    );
    return rows;
  } finally {
    await client.end();
  }
}

/** How many of `ids` are still unread on `url` (the paused replica: proof that a read there would be stale). */
export async function stillUnread(url: string, ids: readonly string[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM alerts WHERE id = ANY($1::int8[]) AND read_at IS NULL',
      [ids],
    );
    return rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}

export async function setReplay(replicaUrl: string, paused: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: replicaUrl });
  await client.connect();
  try {
    await client.query(paused ? 'SELECT pg_wal_replay_pause()' : 'SELECT pg_wal_replay_resume()');
    // A pause is only requested: replay stops at its next record. Until then a read there may still see new rows
    // (or be cancelled by a conflict with recovery).
    for (let waited = 0; paused; waited += 20) {
      const { rows } = await client.query<{ state: string }>('SELECT pg_get_wal_replay_pause_state() AS state');
      if (rows[0]?.state === 'paused') break;
      if (waited > 10_000) throw new Error(`replay did not pause: ${rows[0]?.state ?? '?'}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }
  } finally {
    await client.end();
  }
}

const listPath = `/trpc/alerts.list?input=${encodeURIComponent(JSON.stringify({ unreadOnly: true, limit: 100 }))}`;

/** Whether `alert` is in its user's unread list, read through `url`. */
export async function listsUnread(url: string, token: string, alert: Alert, position?: string): Promise<boolean> {
  const answer = await call(`${url}${listPath}`, { token, ...(position === undefined ? {} : { position }) });
  if (answer.status !== 200) throw new Error(`alerts.list answered ${answer.status}: ${answer.body}`);
  const items = (JSON.parse(answer.body) as { result: { data: { items: { id: string }[] } } }).result.data.items;
  return items.some((item) => item.id === alert.id);
}

export type PairsResult = { pairs: number; stale: number; positions: number };

/**
 * For each alert: markRead through `writeUrl`, then the unread list through `readUrl` (the same URL for a cluster,
 * whose workers take the connections in turn), sending back the write's position when `carry` is set.
 */
export async function writeThenRead(
  authSecret: string,
  alerts: readonly Alert[],
  urls: { write: string; read: string },
  carry: boolean,
): Promise<PairsResult> {
  let stale = 0;
  let positions = 0;
  for (const alert of alerts) {
    const token = issueToken(authSecret, alert.userId);
    const written = await call(`${urls.write}/trpc/alerts.markRead`, { token, body: JSON.stringify({ alertId: alert.id }) });
    if (written.status !== 200) throw new Error(`markRead answered ${written.status}: ${written.body}`);
    if (written.position !== undefined) positions += 1;
    if (await listsUnread(urls.read, token, alert, carry ? written.position : undefined)) stale += 1;
  }
  return { pairs: alerts.length, stale, positions };
}
