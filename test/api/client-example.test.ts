// examples/alerts-client.ts against the real API: the typed client pages through every alert of a user, and
// what its types promise is what arrives (branded cursors fed back, timestamps as ISO strings). The cases the
// compiler refuses are written with @ts-expect-error, so `npm run typecheck` fails if one starts to compile,
// and each still gets its 400 at run time.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../../src/server/routers/index.js';
import { allAlerts, apiClient, infinitePages, type AlertsPage } from '../../examples/alerts-client.js';
import { projectRoot } from '../../src/server/paths.js';
import { pickUsers, startApi, type Api } from './support.js';

const api: Api = await startApi();
const { heavy } = await pickUsers(api);
const client = apiClient(api.base, api.token(heavy));
/** Small pages, so that the seeded user's alerts take several. */
const PAGE = 7;

type AlertRow = { id: string; created_ms: number; read_ms: number | null };

/** The user's alerts as the database orders them, with timestamps in epoch milliseconds (microseconds kept). */
async function expected(severity: string | null): Promise<AlertRow[]> {
  return api.sql<AlertRow>(
    `SELECT id::text AS id, extract(epoch FROM created_at)::float8 * 1000 AS created_ms,
            extract(epoch FROM read_at)::float8 * 1000 AS read_ms
     FROM alerts WHERE user_id = $1 AND ($2::alert_severity IS NULL OR severity = $2)
     ORDER BY created_at DESC, id DESC`,
    [heavy, severity],
  );
}

/** An ISO timestamp as JSON renders a Date, within the millisecond a Date keeps of the database's value. */
function assertTimestamp(text: string | null, ms: number | null, label: string): void {
  if (ms === null || text === null) {
    assert.equal(text, ms, label);
    return;
  }
  assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, label);
  assert.ok(Math.abs(Date.parse(text) - ms) <= 1, `${label}: ${text} against ${ms}`);
}

describe('the typed client example', () => {
  test('pages through every alert of the user, each once, newest first', async () => {
    const want = await expected(null);
    assert.ok(want.length > 3 * PAGE, `the heavy user has ${want.length} alerts: enough for several pages of ${PAGE}`);
    api.scopes.length = 0;
    const { alerts, pages } = await allAlerts(client, {}, PAGE);
    assert.equal(pages, Math.ceil(want.length / PAGE));
    assert.deepEqual(
      alerts.map((alert) => alert.id),
      want.map((row) => row.id),
    );
    want.forEach((row, index) => {
      assertTimestamp(alerts[index]?.created_at ?? null, row.created_ms, `alert ${row.id} created_at`);
      assertTimestamp(alerts[index]?.read_at ?? null, row.read_ms, `alert ${row.id} read_at`);
    });
    // One statement per page: the client's walk is keyset pagination, not a growing OFFSET or an N+1.
    assert.deepEqual(
      api.scopes.map((scope) => [scope.path, scope.total]),
      Array.from({ length: pages }, () => ['alerts.list', 1]),
    );
  });

  test('filters travel with every page, and the cursor stays sealed to them', async () => {
    const want = await expected('high');
    const { alerts } = await allAlerts(client, { severity: 'high' }, 2);
    assert.deepEqual(
      alerts.map((alert) => alert.id),
      want.map((row) => row.id),
    );
    assert.ok(alerts.every((alert) => alert.severity === 'high'));
  });

  test('timestamps arrive as the strings the output types say', async () => {
    const page = await client.alerts.list.query({ limit: 5 });
    for (const alert of page.items) assert.equal(typeof alert.created_at, 'string');
    const dashboard = await client.dashboard.get.query();
    assert.equal(typeof dashboard.member_since, 'string');
    for (const alert of dashboard.recentAlerts) {
      assert.equal(typeof alert.created_at, 'string');
      if (alert.exposure !== null) assert.equal(typeof alert.exposure.created_at, 'string');
    }
  });

  test('what does not compile is also refused at run time, with the message', async () => {
    const exposures = await client.exposures.list.query({ limit: 1 });
    assert.ok(exposures.nextCursor, 'the heavy user has more than one exposure');
    const refusals: [Promise<unknown>, RegExp][] = [
      // @ts-expect-error 101 is not a Limit
      [client.alerts.list.query({ limit: 101 }), /limit must be at most 100/],
      // @ts-expect-error 0 is not a Limit
      [client.alerts.list.query({ limit: 0 }), /limit must be at least 1/],
      // @ts-expect-error 2.5 is not a Limit
      [client.alerts.list.query({ limit: 2.5 }), /limit must be an integer from 1 to 100/],
      // @ts-expect-error another procedure's cursor
      [client.alerts.list.query({ cursor: exposures.nextCursor }), /invalid cursor/],
      // @ts-expect-error a string is not a cursor
      [client.alerts.list.query({ cursor: 'abc' }), /cursor/],
      // @ts-expect-error not a severity
      [client.alerts.list.query({ severity: 'urgent' }), /severity/],
      // @ts-expect-error not an input of alerts.list
      [client.alerts.list.query({ sort: 'asc' }), /Unrecognized key.*sort/],
    ];
    for (const [call, message] of refusals) {
      const error = await call.then(
        () => assert.fail('expected a 400'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof TRPCClientError, String(error));
      const typed = error as TRPCClientError<AppRouter>;
      assert.equal(typed.data?.httpStatus, 400);
      assert.match(typed.message, message);
    }
  });

  test('infinitePages stops when getNextPageParam has no next page', async () => {
    const seen: (string | null)[] = [];
    for await (const page of infinitePages<AlertsPage, AlertsPage['nextCursor']>({
      initialPageParam: null,
      queryFn: ({ pageParam }) => {
        seen.push(pageParam === null ? null : 'cursor');
        return client.alerts.list.query({ limit: 3, cursor: pageParam, severity: 'critical' });
      },
      getNextPageParam: (page) => page.nextCursor,
    })) {
      assert.ok(page.items.length <= 3);
    }
    const critical = await expected('critical');
    assert.ok(critical.length > 3, `${critical.length} critical alerts`);
    assert.equal(seen.length, Math.ceil(critical.length / 3));
    assert.deepEqual(seen[0], null);
  });

  test('run as a script, as docs/api.md shows it', async () => {
    const want = await expected('high');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'examples', 'alerts-client.ts'), 'high'],
      { cwd: projectRoot, env: { ...process.env, API_URL: api.base, TOKEN: api.token(heavy) } },
    );
    const unread = want.filter((row) => row.read_ms === null).length;
    const pages = Math.max(1, Math.ceil(want.length / 100));
    assert.match(stdout, new RegExp(`^${want.length} alerts \\(${unread} unread\\) in ${pages} pages?; newest `));
  });
});
