// The declared type of every column of every domain query is the type of the value at runtime, both ways: a
// column typed non-null is never NULL, and a column typed nullable does come back NULL on data that allows it
// (a column typed nullable that never is would be a weaker type than the truth). Every query runs with its
// optional params unset and set, for several users.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { ColumnModel, IncludeModel, TsType } from '../../codegen/manifest/manifest.js';
import { loadManifest } from '../../codegen/manifest/manifest.js';
import { manifestPath } from '../../src/server/paths.js';
import * as queries from '../../generated/index.js';
import { seed } from '../../src/server/seed.js';
import { createDb } from 'sqlbound';
import { NotFoundError, TooManyRowsError } from '../../src/runtime/errors.js';
import { runMaybe, runOne } from '../../src/runtime/run.js';
import { testDatabase } from '../support/database.js';
import { withClient } from '../support/seed-data.js';

const manifest = await loadManifest(manifestPath);
const database = await testDatabase();
await seed(database.url, { users: 60, seed: 3 });
const db = createDb({ connectionString: database.url, cursorSecret: 'types' });
after(() => db.close());

// A user with unread alerts, removed exposures (removed_at set) and scans, so nullable columns show both forms.
const sample = await withClient(database.url, async (client) => {
  const result = await client.query<{ user_id: string; alert_id: string; exposure_id: string }>(`
    SELECT a.user_id, a.id AS alert_id, e.id AS exposure_id
    FROM alerts a JOIN exposures e ON e.user_id = a.user_id AND e.status = 'removed'
    WHERE a.read_at IS NULL AND a.exposure_id IS NOT NULL
    ORDER BY a.user_id LIMIT 1`);
  const row = result.rows[0];
  assert.ok(row, 'seed has a suitable user');
  return row;
});

const paramValues: Record<string, unknown> = {
  userId: sample.user_id,
  alertId: sample.alert_id,
  exposureId: sample.exposure_id,
  fullName: 'Renamed Person',
  phone: '+15550000000',
};

function matches(value: unknown, type: TsType): boolean {
  switch (type.kind) {
    case 'primitive':
      switch (type.ts) {
        case 'string':
          return typeof value === 'string';
        case 'number':
          return typeof value === 'number';
        case 'boolean':
          return typeof value === 'boolean';
        case 'Date':
          return value instanceof Date && !Number.isNaN(value.getTime());
        case 'Buffer':
          return Buffer.isBuffer(value);
        case 'JsonValue':
          return value !== undefined;
        case 'bigint':
          return typeof value === 'bigint';
      }
      return false;
    case 'enum':
      return typeof value === 'string' && type.labels.includes(value);
    case 'array':
      return Array.isArray(value) && value.every((element) => matches(element, type.element));
    case 'named':
      return matches(value, type.base);
  }
}

/** Per column path (query.column, query.include.column): typed nullable, and seen NULL at least once. */
const nullability = new Map<string, { nullable: boolean; seenNull: boolean }>();

function observe(path: string, nullable: boolean, isNull: boolean): void {
  const entry = nullability.get(path) ?? { nullable, seenNull: false };
  entry.seenNull ||= isNull;
  nullability.set(path, entry);
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  if (result === null || typeof result === 'number') return [];
  if (typeof result === 'object' && 'items' in result && Array.isArray(result.items)) return result.items as Record<string, unknown>[];
  return [result as Record<string, unknown>];
}

/** Checks a row's columns and, recursively, its includes; returns how many values it checked. */
function checkRow(where: string, row: Record<string, unknown>, columns: ColumnModel[], includes: IncludeModel[]): number {
  assert.deepEqual(Object.keys(row).sort(), [...columns.map((c) => c.name), ...includes.map((i) => i.name)].sort(), `${where} fields`);
  let checked = 0;
  for (const column of columns) {
    const value = row[column.name];
    observe(`${where}.${column.name}`, column.nullable, value === null);
    if (!column.nullable) assert.notEqual(value, null, `${where}.${column.name} is typed non-null but came back NULL`);
    const ok = value === null ? column.nullable : matches(value, column.type.ts);
    assert.ok(
      ok,
      `${where}.${column.name}: ${JSON.stringify(value)} is not ${JSON.stringify(column.type.ts)}${column.nullable ? ' | null' : ''}`,
    );
    checked += 1;
  }
  for (const include of includes) {
    const value = row[include.name];
    const path = `${where}.${include.name}`;
    if (include.cardinality === 'many') {
      assert.ok(Array.isArray(value), `${path} is an array`);
      assert.ok(value.length <= (include.limit ?? 100), `${path} honours its limit`);
      for (const item of value) checked += checkRow(path, item as Record<string, unknown>, include.columns, include.includes);
    } else if (value === null) {
      observe(path, include.optional, true);
      assert.ok(include.optional, `${path} is null but declared non-optional`);
    } else {
      observe(path, include.optional, false);
      checked += checkRow(path, value as Record<string, unknown>, include.columns, include.includes);
    }
  }
  return checked;
}

// Values for optional params when they are set; unset, they are left out.
const optionalValues: Record<string, unknown> = {
  severity: 'high',
  unreadOnly: true,
  status: 'removed',
  fullName: 'Renamed Person',
  phone: '+15550000000',
};

// Users whose data shows both forms of nullable columns: the sample, users without a phone, without a
// subscription, and with nothing at all (only a row in users).
const users = await withClient(database.url, async (client) => {
  const picked = await client.query<{ id: string }>(`
    (SELECT id FROM users WHERE phone IS NULL ORDER BY id LIMIT 1)
    UNION (SELECT id FROM users u WHERE NOT EXISTS (SELECT FROM subscriptions s WHERE s.user_id = u.id) ORDER BY id LIMIT 1)
    UNION (SELECT id FROM users ORDER BY id LIMIT 2)`);
  const empty = await client.query<{ id: string }>(
    `INSERT INTO users (email, full_name) VALUES ('nothing@example.com', 'No Data') RETURNING id`,
  );
  // The sample user's latest scan is queued: not started, not finished.
  await client.query(`INSERT INTO scans (user_id, status, created_at) VALUES ($1, 'queued', now() + interval '1 day')`, [sample.user_id]);
  return [sample.user_id, ...picked.rows.map((row) => row.id), ...empty.rows.map((row) => row.id)];
});

// Columns typed nullable that this data never shows NULL, each with the reason the type is still right.
const NULLABLE_WITHOUT_NULL_HERE: Record<string, string> = {};

test('every column of every domain query, nested include fields included, has its declared runtime type', async () => {
  const functions = queries as unknown as Record<string, (db: unknown, params: Record<string, unknown>) => Promise<unknown>>;
  let checkedValues = 0;
  for (const query of manifest.queries) {
    const fn = functions[query.name];
    assert.equal(typeof fn, 'function', `generated/index.ts exports ${query.name}`);
    if (fn === undefined || query.kind === 'stream') continue;
    const optional = query.params.filter((param) => param.optional);
    const variants = optional.length === 0 ? [false] : [false, true];
    let rowsChecked = 0;
    for (const user of users) {
      for (const setOptional of variants) {
        const params: Record<string, unknown> = {};
        for (const param of query.params) {
          if (!param.optional) params[param.name] = param.name === 'userId' ? user : paramValues[param.name];
          else if (setOptional) params[param.name] = optionalValues[param.name];
        }
        if (query.kind === 'list') Object.assign(params, { limit: 100, cursor: null });
        let result: unknown;
        try {
          result = await fn(db, params);
        } catch (error) {
          // :one on a user without the row (another user's alert, the empty user) is NotFound, nothing else.
          if (query.kind === 'one' && error instanceof NotFoundError) continue;
          throw error;
        }
        if (query.kind === 'exec') continue;
        const rows = rowsOf(result);
        rowsChecked += rows.length;
        for (const row of rows) checkedValues += checkRow(query.name, row, query.columns, query.includes);
      }
    }
    if (query.kind !== 'exec') assert.ok(rowsChecked > 0, `${query.name} returned rows to check`);
  }
  assert.ok(checkedValues > 500, `checked ${checkedValues} values`);
  const neverNull = [...nullability]
    .filter(([, entry]) => entry.nullable && !entry.seenNull)
    .map(([path]) => path)
    .sort();
  assert.deepEqual(neverNull, Object.keys(NULLABLE_WITHOUT_NULL_HERE).sort(), 'columns typed nullable that never came back NULL');
});

test(':one throws NotFound on zero rows; :one and :maybe throw on two rows instead of picking one', async () => {
  await assert.rejects(queries.getProfile(db, { userId: '999999999' }), NotFoundError);
  assert.equal(await queries.getSubscriptionStatus(db, { userId: '999999999' }), null);
  const twoRows = { name: 'twoRows', text: 'SELECT 1 AS n UNION ALL SELECT 2' };
  await assert.rejects(runOne(db, twoRows, []), TooManyRowsError);
  await assert.rejects(runMaybe(db, twoRows, []), TooManyRowsError);
});
