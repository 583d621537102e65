// Rows of shaped statements (issue 30): pg reads them as arrays and codegen's builder makes the objects, after the
// server's column names are checked; timestamptz is read by sqlbound's parser. Everything here compares against
// what pg's object mode and pg's own parser give on the same server.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { createDb, parseTimestamptz, type Statement } from 'sqlbound';
import { parseJsonTimestamp } from '../../src/runtime/timestamptz.js';
import { reviveRow } from '../../src/runtime/revive.js';
import { getDashboard, listAlerts } from '../../generated/index.js';
import { seed } from '../../src/server/seed.js';
import { testDatabase } from '../support/database.js';

const database = await testDatabase({ migrated: true });
await seed(database.url, { users: 12, seed: 3 });
const db = createDb({ connectionString: database.url, max: 2, cache: false, cursorSecret: 'shape-test' });
after(() => db.close());

/** A plain pg client for one test, ended before the test ends (the database is dropped after the file). */
async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const differ: string[] = [];
process.on('warning', (warning) => {
  if ((warning as Error & { code?: string }).code === 'SQLBOUND_COLUMNS_DIFFER') differ.push(warning.message);
});
const pgTimestamptz = pg.types.getTypeParser(1184, 'text') as (text: string) => unknown;
const same = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? Object.is(a.getTime(), b.getTime()) : Object.is(a, b));

test('timestamptz texts from the server read as pg reads them, in zones with odd offsets, BC, infinity and every precision', () =>
  withClient(async (client) => {
    const zones = ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam', 'Pacific/Chatham', 'America/Los_Angeles'];
    let checked = 0;
    for (const zone of zones) {
      await client.query(`SET TimeZone = '${zone}'`);
      const { rows } = await client.query<{ t: string }>(`
      SELECT t::text AS t FROM (
        SELECT timestamptz '1900-01-01 00:00:00+00' + make_interval(secs => k * 7919.123457) AS t FROM generate_series(0, 400) AS k
        UNION ALL SELECT timestamptz '2026-12-07 22:30:00.1+00' + make_interval(days => k * 37, secs => k * 0.000013) FROM generate_series(0, 400) AS k
        UNION ALL SELECT unnest(ARRAY[timestamptz 'infinity', timestamptz '-infinity', timestamptz '0044-03-15 12:00:00 BC+00',
                                      timestamptz '0099-12-31 23:59:59.999999+00', timestamptz '0999-06-01 00:00:00+00',
                                      timestamptz '1969-12-31 23:59:59.9995+00', timestamptz '10000-01-01 00:00:00+00'])
      ) AS s`);
      for (const { t } of rows) {
        assert.ok(same(parseTimestamptz(t), pgTimestamptz(t)), `${zone}: ${t}`);
        checked += 1;
      }
      // The same instants as JSON writes them (includes): what new Date() reads from them.
      const json = await client.query<{ j: string }>(`SELECT to_json(t::timestamptz) #>> '{}' AS j FROM unnest($1::text[]) AS t`, [
        rows.map((row) => row.t),
      ]);
      for (const { j } of json.rows) assert.ok(same(parseJsonTimestamp(j), new Date(j)), `${zone}: ${j}`);
      checked += json.rows.length;
    }
    assert.ok(checked > 9000);
  }));

test('a shaped statement gives the rows of pg object mode, and its timestamptz as Dates', async () => {
  const text =
    "SELECT k AS n, 'x' || k AS label, timestamptz '2026-01-01 00:00:00.123456+00' + make_interval(hours => k) AS at FROM generate_series(1, 5) AS k";
  const plain: Statement = { name: 'shapePlain', text };
  const shaped: Statement = {
    name: 'shapeShaped',
    text,
    shape: { columns: ['n', 'label', 'at'], build: (v) => ({ n: v[0], label: v[1], at: v[2] }) },
  };
  const expected = await withClient(async (client) => (await client.query<Record<string, unknown>>(text)).rows);
  assert.deepEqual((await db.execute(plain, [])).rows, expected);
  assert.deepEqual((await db.execute(shaped, [])).rows, expected);
  assert.ok((await db.execute<{ at: unknown }>(shaped, [])).rows[0]?.at instanceof Date);
  assert.deepEqual(differ, []);
});

test('columns that differ from the shape: rows by name, never values under the wrong names, and one warning', async () => {
  const text = 'SELECT 1 AS a, 2 AS b, 3 AS "__proto__"';
  const swapped: Statement = {
    name: 'shapeSwapped',
    text,
    shape: { columns: ['b', 'a', '__proto__'], build: (v) => ({ b: v[0], a: v[1], ['__proto__']: v[2] }) },
  };
  for (let k = 0; k < 3; k += 1) {
    const [row] = (await db.execute<Record<string, unknown>>(swapped, [])).rows;
    assert.equal(row?.['a'], 1);
    assert.equal(row?.['b'], 2);
    assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__')?.value, 3);
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
  }
  await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  assert.equal(differ.length, 1, differ.join('\n'));
  assert.match(differ[0] ?? '', /expects \(b, a, __proto__\)/);
  differ.length = 0;
});

test('generated list statements match the server: pages build by position with no warning, beside the (unshaped) dashboard', async () => {
  const { rows } = await withClient((client) =>
    client.query<{ user_id: string }>('SELECT user_id::text FROM user_counters ORDER BY total_alerts DESC LIMIT 3'),
  );
  assert.ok(rows.length > 0);
  for (const { user_id: userId } of rows) {
    const dashboard = await getDashboard(db, { userId });
    assert.equal(dashboard.user_id, userId);
    assert.ok(dashboard.member_since instanceof Date);
    let cursor = null;
    let seen = 0;
    do {
      const page = await listAlerts(db, { userId, limit: 2, cursor });
      for (const item of page.items) {
        assert.ok(item.created_at instanceof Date);
        assert.ok(!('__cursor_0' in item));
      }
      seen += page.items.length;
      cursor = page.nextCursor;
    } while (cursor !== null && seen < 8);
  }
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(differ, []);
});

test('a statement whose columns change between calls is read by the columns the server describes now, not the ones it remembered', async () => {
  // Unnamed statements: the server describes the statement afresh on every call, so an altered column is seen.
  const unnamed = createDb({ connectionString: database.url, max: 1, cache: false, cursorSecret: 'shape-test', preparedStatements: false });
  try {
    await withClient((client) =>
      client.query('CREATE TABLE shape_drift (id int4 PRIMARY KEY, v int4 NOT NULL); INSERT INTO shape_drift VALUES (1, 42)'),
    );
    const statement: Statement = { name: 'shapeDrift', text: 'SELECT id, v FROM shape_drift' };
    assert.deepEqual((await unnamed.execute(statement, [])).rows, [{ id: 1, v: 42 }]);
    await withClient((client) =>
      client.query("ALTER TABLE shape_drift ALTER COLUMN v TYPE timestamptz USING timestamptz '2026-01-02 03:04:05+00'"),
    );
    const [row] = (await unnamed.execute<{ id: unknown; v: unknown }>(statement, [])).rows;
    assert.equal(row?.id, 1);
    assert.ok(row?.v instanceof Date, `v read as ${typeof row?.v}: the int4 parser of the first call was kept`);
    assert.equal(row.v.toISOString(), '2026-01-02T03:04:05.000Z');
    const star: Statement = { name: 'shapeDriftStar', text: 'SELECT * FROM shape_drift' };
    assert.deepEqual(Object.keys((await unnamed.execute<Record<string, unknown>>(star, [])).rows[0] ?? {}), ['id', 'v']);
    await withClient((client) => client.query('ALTER TABLE shape_drift RENAME COLUMN v TO w'));
    assert.deepEqual(Object.keys((await unnamed.execute<Record<string, unknown>>(star, [])).rows[0] ?? {}), ['id', 'w']);
  } finally {
    await unnamed.close();
  }
});

test('a value pg cannot write fails that call with a typed error, and the connection serves the next call', async () => {
  const one = createDb({ connectionString: database.url, max: 1, cache: false, cursorSecret: 'shape-test' });
  try {
    const statement: Statement = { name: 'shapeBind', text: 'SELECT $1::text AS v' };
    const unwritable = {
      toPostgres: () => {
        throw new Error('cannot write this value');
      },
    };
    await assert.rejects(one.execute(statement, [unwritable]), (error: Error) => {
      const cause: unknown = error.cause;
      assert.match(cause instanceof Error ? cause.message : error.message, /cannot write this value/);
      return true;
    });
    assert.deepEqual((await one.execute(statement, ['after'])).rows, [{ v: 'after' }]);
    // A server error on the same connection (a failed cast) is the call's too, and the connection still serves.
    await assert.rejects(one.execute({ name: 'shapeCast', text: "SELECT 'x'::int4 AS v" }, []));
    assert.deepEqual((await one.execute(statement, ['again'])).rows, [{ v: 'again' }]);
    const exec = await one.execute({ name: 'shapeCount', text: 'SELECT generate_series(1, 3) AS v' }, []);
    assert.equal(exec.rowCount, 3);
  } finally {
    await one.close();
  }
});

test('a timestamptz sent inside JSON as epoch milliseconds revives to the Date pg reads from the column', async () => {
  const texts = [
    '2026-12-07 22:30:00.123456+00',
    '2026-12-07 22:30:00.999999+05:30',
    '1969-12-31 23:59:59.9995+00',
    '1900-01-01 00:00:00.0001+00',
    '1066-10-14 09:00:00+00',
    '0044-03-15 12:00:00.5+00 BC',
    '9999-12-31 23:59:59.999999+00',
  ];
  const rows = await withClient(
    async (client) =>
      (
        await client.query<{ at: unknown; json: { at: unknown } }>(
          "SELECT t::timestamptz AS at, json_build_object('at', floor(extract(epoch from t::timestamptz) * 1000)) AS json FROM unnest($1::text[]) AS t",
          [texts],
        )
      ).rows,
  );
  assert.equal(rows.length, texts.length);
  for (const row of rows) {
    const revived = reviveRow<{ at: unknown }>({ at: 'epochMs' }, row.json);
    assert.ok(same(revived.at, row.at), `${String(row.at)}: ${String(revived.at)}`);
  }
  // Infinity has no epoch milliseconds: it travels as the string "Infinity", and revives as the text form did.
  const [infinite] = await withClient(
    async (client) =>
      (
        await client.query<{ json: { at: unknown } }>(
          "SELECT json_build_object('at', floor(extract(epoch from 'infinity'::timestamptz) * 1000)) AS json",
        )
      ).rows,
  );
  const at = reviveRow<{ at: unknown }>({ at: 'epochMs' }, infinite?.json).at;
  assert.ok(at instanceof Date && Number.isNaN(at.getTime()));
});
