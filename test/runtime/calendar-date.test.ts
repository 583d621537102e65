// A `date` is a calendar day whatever the process's time zone: a Date param is written as its UTC day, a column is
// read as that day's midnight UTC, through a plain row, an include (JSON), a stream and a date[] param. Node applies a
// change of process.env.TZ at once, so one process checks three zones, the far ends of the offsets among them.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import postgres from 'postgres';
import { calendarDate, createDb, parseCalendarDate } from 'sqlbound';
import { testDatabase } from '../support/database.js';
import { generatedModule } from '../support/generated-module.js';

const database = await testDatabase({ migrated: false });
const admin = postgres(database.directUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`
  CREATE TABLE trips (id int8 PRIMARY KEY, starts date NOT NULL);
  CREATE TABLE stops (id int8 PRIMARY KEY, trip_id int8 NOT NULL REFERENCES trips, day date NOT NULL);
  CREATE INDEX stops_trip ON stops (trip_id, id);`);
const call = await generatedModule(
  admin,
  'trips',
  `
-- name: addTrip :exec
INSERT INTO trips (id, starts) VALUES (:id, :starts);

-- name: addStop :exec
INSERT INTO stops (id, trip_id, day) VALUES (:id, :tripId, :day);

-- name: tripById :one
SELECT id, starts FROM trips WHERE id = :id;

-- include: tripById.stops :many limit 10
-- order: id ASC
SELECT s.id, s.day FROM stops s WHERE s.trip_id = parent.id;

-- name: tripsOn :stream
-- allow: seqscan a test table
SELECT id, starts FROM trips WHERE starts = ANY(:days::date[]);
`,
);
const db = createDb({ connectionString: database.url, cursorSecret: 'calendar', max: 2 });
after(async () => {
  await db.close();
  await admin.end();
});

const ZONES = ['America/Los_Angeles', 'Pacific/Kiritimati', 'UTC'];
const original = process.env.TZ;
after(() => {
  if (original === undefined) delete process.env.TZ;
  else process.env.TZ = original;
});

test('the day written and read is the same in every time zone', async () => {
  for (const [index, zone] of ZONES.entries()) {
    process.env.TZ = zone;
    const id = String(index + 1);
    const day = new Date('2024-05-01');
    await call('addTrip')(db, { id, starts: day });
    await call('addStop')(db, { id, tripId: id, day: new Date('2024-12-31') });
    const [stored] = await admin<{ starts: string }[]>`SELECT starts::text FROM trips WHERE id = ${id}`;
    assert.equal(stored?.starts, '2024-05-01', `${zone}: stored day`);
    const trip = (await call('tripById')(db, { id })) as { starts: Date; stops: { day: Date }[] };
    assert.equal(trip.starts.toISOString(), '2024-05-01T00:00:00.000Z', `${zone}: read column`);
    assert.equal(trip.stops[0]?.day.toISOString(), '2024-12-31T00:00:00.000Z', `${zone}: read through an include`);
  }
  for (const zone of ZONES) {
    process.env.TZ = zone;
    const streamed: { starts: Date }[] = [];
    const stream = (await call('tripsOn')(db, { days: [new Date('2024-05-01')] })) as AsyncIterable<{ starts: Date }[]>;
    for await (const batch of stream) streamed.push(...batch);
    assert.equal(streamed.length, ZONES.length, `${zone}: a date[] param finds every trip`);
    assert.ok(
      streamed.every((row) => row.starts.toISOString() === '2024-05-01T00:00:00.000Z'),
      `${zone}: streamed rows`,
    );
  }
});

test('calendar days far from today: year 1, BC, and an invalid Date is refused', () => {
  assert.equal(parseCalendarDate('0001-01-01').toISOString(), '0001-01-01T00:00:00.000Z');
  assert.equal(parseCalendarDate('0044-03-15 BC').getUTCFullYear(), -43);
  assert.equal(calendarDate(new Date(Date.UTC(2024, 1, 29, 23, 59))), '2024-02-29');
  assert.equal(calendarDate(null), null);
  assert.throws(() => calendarDate(new Date('not a day')), RangeError);
});
