// The JSON writers codegen emits per result type (generated/*.json.ts) answer single calls on the fast path;
// tRPC's official adapter (a batch) still writes with JSON.stringify. The two texts must be the same bytes, on the
// seeded rows and on rows holding the values a hand-written serializer gets wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getDashboardJson, listAlertsPageJson, type GetDashboardRow, type ListAlertsRow } from '../../generated/index.js';
import type { Cursor } from 'sqlbound';
import { authorization, startApi } from './support.js';

const api = await startApi({ seedUsers: 40 });
const users = await api.sql<{ id: string }>('SELECT id FROM users ORDER BY id LIMIT 12');

async function text(url: string, token: string | undefined): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { headers: authorization(token) });
  return { status: response.status, text: await response.text() };
}

/** The fast path's text and the official adapter's for the same call (the adapter's one element of its batch). */
async function bothTexts(path: string, input: unknown, token: string | undefined): Promise<{ fast: string; official: string }> {
  const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const fast = await text(`${api.base}/trpc/${path}${query}`, token);
  const official = await text(`${api.base}/trpc/${path}?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: input }))}`, token);
  assert.equal(fast.status, 200, fast.text);
  assert.equal(official.status, 200, official.text);
  assert.ok(official.text.startsWith('[') && official.text.endsWith(']'), official.text);
  return { fast: fast.text, official: official.text.slice(1, -1) };
}

const procedures: [string, unknown][] = [
  ['dashboard.get', undefined],
  ['alerts.list', { limit: 50 }],
  ['exposures.list', { limit: 20 }],
  ['scans.list', { limit: 10 }],
  ['profile.get', undefined],
  ['subscription.status', undefined],
];

test('single calls answer with the same bytes as JSON.stringify (the official adapter) on seeded users', async () => {
  let compared = 0;
  for (const { id } of users) {
    for (const [path, input] of procedures) {
      const { fast, official } = await bothTexts(path, input, api.token(id));
      assert.equal(fast, official, `${path} for user ${id}`);
      compared += 1;
    }
  }
  const brokers = await bothTexts('brokers.list', { limit: 5 }, undefined);
  assert.equal(brokers.fast, brokers.official);
  assert.equal(compared, users.length * procedures.length);
});

test('awkward stored text (quotes, backslashes, control characters, U+2028, astral and long strings) is written as JSON.stringify writes it', async () => {
  const [user] = users;
  assert.ok(user);
  const names = ['O"Brien \\ back', 'tab\there\nnewline\u0001', 'line\u2028separator \u{1F600} é', 'x'.repeat(300) + '"'];
  for (const name of names) {
    await api.sql('UPDATE users SET full_name = $2 WHERE id = $1', [user.id, name]);
    await api.sql(
      `UPDATE alerts SET title = $2 WHERE id = (SELECT id FROM alerts WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1)`,
      [user.id, name],
    );
    for (const [path, input] of procedures) {
      const { fast, official } = await bothTexts(path, input, api.token(user.id));
      assert.equal(fast, official, `${path} with ${JSON.stringify(name)}`);
    }
    const dashboard = JSON.parse((await bothTexts('dashboard.get', undefined, api.token(user.id))).fast) as {
      result: { data: { full_name: string } };
    };
    assert.equal(dashboard.result.data.full_name, name);
  }
});

test('values the database never sends but the types admit: non-finite numbers, invalid dates, lone surrogates, empty lists', () => {
  const alert = (overrides: Partial<ListAlertsRow>): ListAlertsRow => ({
    id: '1',
    exposure_id: null,
    kind: 'breach',
    severity: 'high',
    title: 'lone \ud800 surrogate',
    body: '\u007f del and \u001f unit separator',
    created_at: new Date(Number.NaN),
    read_at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
    ...overrides,
  });
  const pages = [
    { items: [], nextCursor: null },
    { items: [alert({}), alert({ title: '', read_at: null })], nextCursor: 'a.b' as Cursor<'listAlerts'> },
  ];
  for (const page of pages) assert.equal(listAlertsPageJson(page), JSON.stringify(page));
  const dashboard: GetDashboardRow = {
    user_id: '7',
    email: 'a@b.c',
    full_name: '\\"',
    phone: null,
    member_since: new Date(-1),
    subscription_plan: null,
    subscription_status: 'active',
    current_period_end: null,
    exposures_detected: Number.NaN,
    exposures_removal_requested: Number.POSITIVE_INFINITY,
    exposures_removed: -0,
    exposures_reappeared: 1e21,
    unread_alerts: 0.5,
    total_alerts: -3,
    recentAlerts: [],
    latestScan: null,
  };
  assert.equal(getDashboardJson(dashboard), JSON.stringify(dashboard));
});

test('dates are written as toISOString writes them across the whole Date range: leap days, year 0, years past 9999, before 1970', () => {
  const edges = [
    0,
    -1,
    1,
    951825600000,
    951782400000 - 1,
    -62167219200000,
    -62167219200001,
    253402300799999,
    253402300800000,
    8.64e15,
    -8.64e15,
    Date.UTC(1900, 1, 28, 23, 59, 59, 999),
    Date.UTC(1900, 2, 1),
    Date.UTC(2100, 1, 28),
    Date.UTC(999, 11, 31, 23, 59, 59, 9),
  ];
  // A fixed linear congruential sequence: the same dates every run, spread over the range and over this century.
  let state = 12345;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const random = Array.from({ length: 20_000 }, (_, index) =>
    index % 2 === 0 ? Math.round((next() * 2 - 1) * 8.64e15) : Math.round(next() * 4.1e12),
  );
  const base: GetDashboardRow = {
    user_id: '1',
    email: 'e',
    full_name: 'n',
    phone: null,
    member_since: new Date(0),
    subscription_plan: null,
    subscription_status: null,
    current_period_end: null,
    exposures_detected: 0,
    exposures_removal_requested: 0,
    exposures_removed: 0,
    exposures_reappeared: 0,
    unread_alerts: 0,
    total_alerts: 0,
    recentAlerts: [],
    latestScan: null,
  };
  for (const time of [...edges, ...random]) {
    const row = { ...base, member_since: new Date(time) };
    assert.equal(getDashboardJson(row), JSON.stringify(row), `epoch ms ${time}`);
  }
});
