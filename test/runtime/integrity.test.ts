// Integrity violations (SQLSTATE class 23) are typed errors, one class each, carrying the constraint, table and
// column PostgreSQL names and none of the refused values: from generated calls, transactions, streams and db.kysely.
// A schema of this file's own: a unique name, a check, not-nulls, a foreign key and an exclusion on a tstzrange
// (GiST's range opclass: no extension needed).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sql, type Generated } from 'kysely';
import {
  CheckViolationError,
  ExclusionViolationError,
  ForeignKeyViolationError,
  NotNullViolationError,
  UniqueViolationError,
  createDb,
  isSqlboundError,
  runExec,
  runOne,
  type SqlboundError,
  type Statement,
} from 'sqlbound';
import { testDatabase } from '../support/database.js';
import { assertNoLeak, capturingLogger, withClient } from './support.js';

const { url } = await testDatabase({ migrated: false });
await withClient(url, (client) =>
  client.query(`
    CREATE TABLE rooms (
      id int PRIMARY KEY,
      name text NOT NULL CONSTRAINT rooms_name_key UNIQUE,
      capacity int NOT NULL CONSTRAINT rooms_capacity_positive CHECK (capacity > 0)
    );
    CREATE TABLE bookings (
      id int PRIMARY KEY,
      room_id int NOT NULL CONSTRAINT bookings_room_fk REFERENCES rooms (id),
      during tstzrange NOT NULL,
      CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&)
    );
    INSERT INTO rooms VALUES (1, 'Harbour', 4);
    INSERT INTO bookings VALUES (1, 1, tstzrange('2026-03-01 09:00+00', '2026-03-01 10:00+00'));
  `),
);

type Database = {
  rooms: { id: number; name: string | null; capacity: number };
  bookings: { id: Generated<number>; room_id: number; during: string };
};

const db = createDb<Database>({ connectionString: url, max: 3, cursorSecret: 'integrity', logger: capturingLogger('info').logger });
after(() => db.close());

// A value that must never reach the typed error (its message or its own fields), only the driver's `detail`.
const SECRET = 'Secret-Room-4242';
const insertRoom: Statement = { name: 'insertRoom', text: 'INSERT INTO rooms (id, name, capacity) VALUES ($1, $2, $3)' };
const insertBooking: Statement = {
  name: 'insertBooking',
  text: 'INSERT INTO bookings (id, room_id, during) VALUES ($1, $2, tstzrange($3::timestamptz, $4::timestamptz))',
};
const deleteRoom: Statement = { name: 'deleteRoom', text: 'DELETE FROM rooms WHERE id = $1' };

type Expected = {
  type: abstract new (...args: never[]) => SqlboundError;
  code: SqlboundError['code'];
  sqlState: string;
  constraint: string | undefined;
  table: string;
  column?: string;
  side?: 'referencing' | 'referenced';
};

/** The call fails with exactly the expected class and names, and no field or message carries the refused values. */
async function assertViolation(call: Promise<unknown>, expected: Expected, queryName: string): Promise<void> {
  const error: unknown = await call.then(
    () => assert.fail(`${queryName}: expected ${expected.code}`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof expected.type, `${queryName}: got ${String(error)}`);
  assert.ok(isSqlboundError(error));
  assert.equal(error.code, expected.code);
  assert.equal(error.sqlState, expected.sqlState);
  assert.equal(error.queryName, queryName);
  assert.ok('constraint' in error && 'table' in error && 'column' in error);
  assert.equal(error.constraint, expected.constraint);
  assert.equal(error.table, expected.table);
  assert.equal(error.schema, 'public');
  assert.equal(error.column, expected.column);
  if (expected.side !== undefined) assert.ok(error instanceof ForeignKeyViolationError && error.side === expected.side);
  const own = JSON.stringify({ ...error, cause: undefined, message: error.message });
  assert.ok(!own.includes(SECRET) && !own.includes('2026-03-01 09:30'), `no values in ${own}`);
}

const UNIQUE = {
  type: UniqueViolationError,
  code: 'UNIQUE_VIOLATION',
  sqlState: '23505',
  constraint: 'rooms_name_key',
  table: 'rooms',
} as const;
const CHECK = {
  type: CheckViolationError,
  code: 'CHECK_VIOLATION',
  sqlState: '23514',
  constraint: 'rooms_capacity_positive',
  table: 'rooms',
} as const;
const NOT_NULL = {
  type: NotNullViolationError,
  code: 'NOT_NULL_VIOLATION',
  sqlState: '23502',
  constraint: undefined,
  table: 'rooms',
  column: 'name',
} as const;
const FK_MISSING = {
  type: ForeignKeyViolationError,
  code: 'FOREIGN_KEY_VIOLATION',
  sqlState: '23503',
  constraint: 'bookings_room_fk',
  table: 'bookings',
  side: 'referencing',
} as const;
const FK_REFERENCED = { ...FK_MISSING, side: 'referenced' } as const;
const EXCLUSION = {
  type: ExclusionViolationError,
  code: 'EXCLUSION_VIOLATION',
  sqlState: '23P01',
  constraint: 'bookings_no_overlap',
  table: 'bookings',
} as const;

// Overlaps booking 1 (09:00-10:00), in room 1.
const overlapping = [2, 1, '2026-03-01 09:30+00', '2026-03-01 11:00+00'];

describe('integrity violations', () => {
  test('generated calls: each class with its constraint, table and column, and nothing written', async () => {
    await assertViolation(runExec(db, insertRoom, [2, 'Harbour', 2]), UNIQUE, 'insertRoom');
    await assertViolation(runExec(db, insertRoom, [2, SECRET, 0]), CHECK, 'insertRoom');
    await assertViolation(runExec(db, insertRoom, [2, null, 2]), NOT_NULL, 'insertRoom');
    await assertViolation(runExec(db, insertBooking, [2, 99, '2027-01-01', '2027-01-02']), FK_MISSING, 'insertBooking');
    await assertViolation(runExec(db, deleteRoom, [1]), FK_REFERENCED, 'deleteRoom');
    await assertViolation(runExec(db, insertBooking, overlapping), EXCLUSION, 'insertBooking');
    const counts = await runOne<{ rooms: number; bookings: number }>(
      db,
      { name: 'counts', text: 'SELECT (SELECT count(*) FROM rooms)::int AS rooms, (SELECT count(*) FROM bookings)::int AS bookings' },
      [],
    );
    assert.deepEqual(counts, { rooms: 1, bookings: 1 }, 'no violation changed anything');
    assertNoLeak(db);
  });

  test('inside a transaction: typed, rolled back, and the pool recovers', async () => {
    await assertViolation(
      db.transaction(async (tx) => {
        await runExec(tx, insertRoom, [3, 'Attic', 2]);
        await runExec(tx, insertBooking, overlapping);
      }),
      EXCLUSION,
      'insertBooking',
    );
    await assertViolation(
      db.transaction((tx) => tx.kysely.insertInto('rooms').values({ id: 3, name: 'Attic', capacity: -1 }).execute()),
      CHECK,
      'kysely:insert rooms',
    );
    const attic = await db.kysely.selectFrom('rooms').select('id').where('id', '=', 3).execute();
    assert.deepEqual(attic, [], 'the transaction rolled back');
    assertNoLeak(db);
  });

  test('streams: a violation raised while the cursor runs is typed', async () => {
    const inserting: Statement = {
      name: 'streamInsertRoom',
      text: 'WITH added AS (INSERT INTO rooms (id, name, capacity) VALUES ($1, $2, $3) RETURNING id) SELECT id FROM added',
    };
    const drain = async () => {
      for await (const batch of db.stream(inserting, [4, 'Harbour', 2], 10)) assert.fail(`no rows expected, got ${batch.length}`);
    };
    await assertViolation(drain(), UNIQUE, 'streamInsertRoom');
    assertNoLeak(db);
  });

  test('db.kysely: builder and raw sql alike', async () => {
    await assertViolation(
      db.kysely.insertInto('rooms').values({ id: 5, name: 'Harbour', capacity: 1 }).execute(),
      UNIQUE,
      'kysely:insert rooms',
    );
    await assertViolation(
      db.kysely.insertInto('rooms').values({ id: 5, name: null, capacity: 1 }).execute(),
      NOT_NULL,
      'kysely:insert rooms',
    );
    await assertViolation(db.kysely.deleteFrom('rooms').where('id', '=', 1).execute(), FK_REFERENCED, 'kysely:delete rooms');
    await assertViolation(
      sql`INSERT INTO bookings (id, room_id, during) VALUES (5, 77, tstzrange('2028-01-01', '2028-01-02'))`.execute(db.kysely),
      FK_MISSING,
      'kysely:insert bookings',
    );
    await assertViolation(
      sql`INSERT INTO bookings (id, room_id, during) VALUES (5, 1, tstzrange(${'2026-03-01 09:30+00'}, '2026-03-01 12:00+00'))`.execute(
        db.kysely,
      ),
      EXCLUSION,
      'kysely:insert bookings',
    );
    assertNoLeak(db);
  });
});
