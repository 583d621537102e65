// The declared type of every column of every domain query is the type of the value at runtime.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { ColumnModel, IncludeModel, TsType } from '../../codegen/manifest.js';
import { loadManifest } from '../../codegen/manifest.js';
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

function rowsOf(result: unknown): Record<string, unknown>[] {
  if (result === null || typeof result === 'number') return [];
  if (typeof result === 'object' && 'items' in result && Array.isArray(result.items)) return result.items as Record<string, unknown>[];
  return [result as Record<string, unknown>];
}

/** Checks a row's columns and, recursively, its includes; returns how many values it checked. */
function checkRow(where: string, row: Record<string, unknown>, columns: ColumnModel[], includes: IncludeModel[]): number {
  assert.deepEqual(
    Object.keys(row).sort(),
    [...columns.map((c) => c.name), ...includes.map((i) => i.name)].sort(),
    `${where} fields`,
  );
  let checked = 0;
  for (const column of columns) {
    const value = row[column.name];
    const ok = value === null ? column.nullable : matches(value, column.type.ts);
    assert.ok(ok, `${where}.${column.name}: ${JSON.stringify(value)} is not ${JSON.stringify(column.type.ts)}${column.nullable ? ' | null' : ''}`);
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
      assert.ok(include.optional, `${path} is null but declared non-optional`);
    } else {
      checked += checkRow(path, value as Record<string, unknown>, include.columns, include.includes);
    }
  }
  return checked;
}

test('every column of every domain query, nested include fields included, has its declared runtime type', async () => {
  const functions = queries as unknown as Record<string, (db: unknown, params: Record<string, unknown>) => Promise<unknown>>;
  let checkedValues = 0;
  for (const query of manifest.queries) {
    const fn = functions[query.name];
    assert.equal(typeof fn, 'function', `generated/index.ts exports ${query.name}`);
    if (fn === undefined || query.kind === 'stream') continue;
    const params: Record<string, unknown> = {};
    for (const param of query.params) {
      if (!param.optional) params[param.name] = paramValues[param.name];
    }
    if (query.kind === 'list') Object.assign(params, { limit: 100, cursor: null });
    const rows = rowsOf(await fn(db, params));
    if (query.kind === 'exec') continue;
    assert.ok(rows.length > 0, `${query.name} returned rows to check`);
    for (const row of rows) checkedValues += checkRow(query.name, row, query.columns, query.includes);
  }
  assert.ok(checkedValues > 500, `checked ${checkedValues} values`);
});

test(':one throws NotFound on zero rows; :one and :maybe throw on two rows instead of picking one', async () => {
  await assert.rejects(queries.getProfile(db, { userId: '999999999' }), NotFoundError);
  assert.equal(await queries.getSubscriptionStatus(db, { userId: '999999999' }), null);
  const twoRows = { name: 'twoRows', text: 'SELECT 1 AS n UNION ALL SELECT 2' };
  await assert.rejects(runOne(db, twoRows, []), TooManyRowsError);
  await assert.rejects(runMaybe(db, twoRows, []), TooManyRowsError);
});
