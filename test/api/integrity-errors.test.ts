// The example API's answer to each integrity violation: 409 for a conflict with the data as it stands (unique,
// exclusion, deleting a row still referred to), 400 for a row the caller should not have sent (check, not-null, a
// reference to a missing row), with a message naming the constraint and none of the refused values. The errors
// are real: raised by PostgreSQL on a schema of this file's own.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { createDb, isSqlboundError, runExec, type SqlboundError, type Statement } from 'sqlbound';
import { toTRPCError } from '../../src/server/errors.js';
import { capturingLogger } from '../runtime/support.js';
import { poolerOptions } from '../support/pooler.js';
import { testDatabase } from '../support/database.js';
import { withClient } from '../support/seed-data.js';

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
const db = createDb({
  connectionString: url,
  max: 2,
  cursorSecret: 'integrity-api',
  logger: capturingLogger('info').logger,
  ...poolerOptions(),
});
after(() => db.close());

const room: Statement = { name: 'insertRoom', text: 'INSERT INTO rooms (id, name, capacity) VALUES ($1, $2, $3)' };
const booking: Statement = {
  name: 'insertBooking',
  text: 'INSERT INTO bookings (id, room_id, during) VALUES ($1, $2, tstzrange($3::timestamptz, $4::timestamptz))',
};
const removeRoom: Statement = { name: 'deleteRoom', text: 'DELETE FROM rooms WHERE id = $1' };

async function violation(call: Promise<unknown>): Promise<SqlboundError> {
  const error = await call.then(
    () => assert.fail('expected a violation'),
    (caught: unknown) => caught,
  );
  assert.ok(isSqlboundError(error), String(error));
  return error;
}

const cases: { name: string; call: () => Promise<unknown>; status: number; message: string }[] = [
  {
    name: 'unique',
    call: () => runExec(db, room, [2, 'Harbour', 2]),
    status: 409,
    message: 'conflicts with an existing record (unique constraint rooms_name_key)',
  },
  {
    name: 'exclusion',
    call: () => runExec(db, booking, [2, 1, '2026-03-01 09:30+00', '2026-03-01 11:00+00']),
    status: 409,
    message: 'overlaps an existing record (exclusion constraint bookings_no_overlap)',
  },
  {
    name: 'foreign key, deleting a row still referred to',
    call: () => runExec(db, removeRoom, [1]),
    status: 409,
    message: 'other records still refer to this one (foreign key bookings_room_fk)',
  },
  {
    name: 'foreign key, referring to a missing row',
    call: () => runExec(db, booking, [2, 99, '2027-01-01', '2027-01-02']),
    status: 400,
    message: 'refers to a record that does not exist (foreign key bookings_room_fk)',
  },
  {
    name: 'check',
    call: () => runExec(db, room, [2, 'Attic', 0]),
    status: 400,
    message: 'invalid value (check constraint rooms_capacity_positive)',
  },
  { name: 'not-null', call: () => runExec(db, room, [2, null, 2]), status: 400, message: 'missing value for rooms.name' },
];

for (const { name, call, status, message } of cases) {
  test(`${name}: HTTP ${status} naming the constraint`, async () => {
    const error = toTRPCError(await violation(call()));
    assert.equal(getHTTPStatusCodeFromError(error), status);
    assert.equal(error.message, message);
  });
}
