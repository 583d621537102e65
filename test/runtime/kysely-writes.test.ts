// kyselyWrites on the trees Kysely builds (no database): what each statement shape writes, and how raw SQL is read.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sql, type RootOperationNode } from 'kysely';
import { createDb } from 'sqlbound';
import type { DB } from '../../generated/db.js';
import { kyselyWrites } from '../../src/runtime/kysely-writes.js';

// Never connects: only its builders are used.
const db = createDb<DB & { 'app.notes': { id: number } }>({ connectionString: 'postgres://127.0.0.1:1/none', cursorSecret: 's' });
after(() => db.close());
const k = db.kysely;
const raw = (query: { toOperationNode(): RootOperationNode }) => kyselyWrites(query.toOperationNode());
const rawSql = (text: TemplateStringsArray) => kyselyWrites(sql.raw(text.join('')).toOperationNode());

test('builder statements write their targets and their data-modifying WITHs', () => {
  assert.deepEqual(raw(k.selectFrom('users').selectAll()), { kind: 'none' });
  assert.deepEqual(raw(k.insertInto('users').values({ email: 'a@b.c', full_name: 'A' })), { kind: 'tables', tables: ['users'] });
  assert.deepEqual(raw(k.updateTable('users as u').set({ full_name: 'B' })), { kind: 'tables', tables: ['users'] });
  assert.deepEqual(raw(k.deleteFrom('alerts').using('users').whereRef('alerts.user_id', '=', 'users.id')), {
    kind: 'tables',
    tables: ['alerts'],
  });
  assert.deepEqual(raw(k.mergeInto('users as u').using('subscriptions as s', 's.user_id', 'u.id').whenMatched().thenDelete()), {
    kind: 'tables',
    tables: ['users'],
  });
  assert.deepEqual(raw(k.withSchema('public').updateTable('users').set({ full_name: 'C' })), { kind: 'tables', tables: ['public.users'] });
  assert.deepEqual(raw(k.deleteFrom('app.notes')), { kind: 'tables', tables: ['app.notes'] });
  const cte = k
    .with('gone', (qb) => qb.deleteFrom('scans').returning('id'))
    .insertInto('alerts')
    .columns(['user_id'])
    .expression((eb) => eb.selectFrom('gone').select(sql<string>`1`.as('user_id')));
  assert.deepEqual(raw(cte), { kind: 'tables', tables: ['alerts', 'scans'] });
  assert.deepEqual(
    raw(
      k
        .with('x', (qb) => qb.updateTable('users').set({ full_name: 'D' }))
        .selectFrom('users')
        .selectAll(),
    ),
    {
      kind: 'tables',
      tables: ['users'],
    },
  );
});

test('raw SQL: reads, control statements, and anything else as unknown', () => {
  assert.deepEqual(rawSql`SELECT * FROM users WHERE id = 1 FOR UPDATE`, { kind: 'none' });
  assert.deepEqual(rawSql`/* UPDATE */ select 'delete' -- insert`, { kind: 'none' });
  assert.deepEqual(rawSql`WITH d AS (DELETE FROM users RETURNING id) SELECT * FROM d`, { kind: 'unknown' });
  assert.deepEqual(rawSql`EXPLAIN ANALYZE DELETE FROM users`, { kind: 'unknown' });
  assert.deepEqual(rawSql`SELECT * INTO copy FROM users`, { kind: 'unknown' });
  assert.deepEqual(rawSql`TRUNCATE alerts`, { kind: 'unknown' });
  assert.deepEqual(rawSql`CALL archive()`, { kind: 'unknown' });
  assert.deepEqual(rawSql`begin`, { kind: 'control', control: 'begin' });
  assert.deepEqual(rawSql`START TRANSACTION ISOLATION LEVEL SERIALIZABLE`, { kind: 'control', control: 'begin' });
  assert.deepEqual(rawSql`COMMIT`, { kind: 'control', control: 'commit' });
  assert.deepEqual(rawSql`ROLLBACK`, { kind: 'control', control: 'rollback' });
  assert.deepEqual(rawSql`ROLLBACK TO SAVEPOINT a`, { kind: 'none' });
  // A builder interpolated into raw SQL is read as a tree; raw fragments are read as text.
  assert.deepEqual(kyselyWrites(sql`WITH d AS (${k.deleteFrom('scans')}) SELECT 1`.toOperationNode()), {
    kind: 'tables',
    tables: ['scans'],
  });
  assert.deepEqual(kyselyWrites(sql`SELECT ${sql.raw('now()')}`.toOperationNode()), { kind: 'none' });
  assert.deepEqual(kyselyWrites(sql`${sql.raw('DELETE FROM users')}`.toOperationNode()), { kind: 'unknown' });
});
