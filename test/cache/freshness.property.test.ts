// Cache freshness through every indirection, as a property: on a schema of its own (two schemas, an enum and a
// domain outside public, a partitioned table written through its parent and through a partition, a view and a view
// of that view, a materialized view refreshed by a generated statement, a trigger and a rule that write another
// schema's tables, a SQL-standard function read in a cached query, a procedure and a DO block that write), random
// interleavings of generated writes (fast-check, fixed seed) are each followed by every cached read, which must
// equal the same call with bypassCache. The code is generated from the SQL below by the real pipeline and imported.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import postgres from 'postgres';
import { createDb } from 'sqlbound';
import { testDatabase } from '../support/database.js';
import { generatedModule } from '../support/generated-module.js';

const SCHEMA = `
CREATE SCHEMA core;
CREATE SCHEMA audit;
CREATE TYPE core.tier AS ENUM ('free', 'pro');
CREATE DOMAIN core.cents AS int8 CHECK (VALUE >= 0);
CREATE TABLE core.accounts (id int8 PRIMARY KEY, tier core.tier NOT NULL DEFAULT 'free', balance core.cents NOT NULL DEFAULT 0);
CREATE TABLE audit.balance_log (id bigserial PRIMARY KEY, account_id int8 NOT NULL, balance int8 NOT NULL);
CREATE FUNCTION audit.log_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit.balance_log (account_id, balance) VALUES (NEW.id, NEW.balance);
  RETURN NEW;
END $$;
CREATE TRIGGER accounts_logged AFTER UPDATE ON core.accounts FOR EACH ROW EXECUTE FUNCTION audit.log_balance();
CREATE TABLE core.events (id int8 NOT NULL, account_id int8 NOT NULL, at date NOT NULL, PRIMARY KEY (account_id, at, id)) PARTITION BY RANGE (at);
CREATE TABLE core.events_2024 PARTITION OF core.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE core.events_2025 PARTITION OF core.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE core.items (id int8 PRIMARY KEY, account_id int8 NOT NULL, label text NOT NULL);
CREATE INDEX items_account ON core.items (account_id);
CREATE TABLE audit.item_log (id bigserial PRIMARY KEY, item_id int8 NOT NULL);
CREATE RULE items_logged AS ON INSERT TO core.items DO ALSO INSERT INTO audit.item_log (item_id) VALUES (NEW.id);
CREATE VIEW core.account_summary AS
  SELECT a.id, a.balance, (SELECT count(*) FROM core.items i WHERE i.account_id = a.id) AS items FROM core.accounts a;
CREATE VIEW core.rich AS SELECT id, balance FROM core.account_summary WHERE balance > 100;
CREATE MATERIALIZED VIEW core.totals AS SELECT count(*) AS accounts, coalesce(sum(balance), 0)::int8 AS balance FROM core.accounts;
CREATE FUNCTION core.item_count(account int8) RETURNS int8 LANGUAGE sql STABLE
  BEGIN ATOMIC SELECT count(*) FROM core.items WHERE account_id = account; END;
CREATE PROCEDURE core.add_item(p_id int8, p_account int8) LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO core.items (id, account_id, label) VALUES (p_id, p_account, 'procedure');
END $$;
INSERT INTO core.accounts (id) VALUES (1), (2), (3);
REFRESH MATERIALIZED VIEW core.totals;
`;

const CACHED_READS = `
-- name: accountById :maybe
-- cache: 1h
SELECT id, tier, balance FROM core.accounts WHERE id = :id;

-- name: summaryById :maybe
-- cache: 1h
SELECT id, balance, items FROM core.account_summary WHERE id = :id LIMIT 1;

-- name: richCount :one
-- cache: 1h
-- allow: seqscan a test table of three rows
SELECT count(*) AS n FROM core.rich;

-- name: totals :maybe
-- cache: 1h
-- allow: seqscan a materialized view of one row
SELECT accounts, balance FROM core.totals LIMIT 1;

-- name: eventCount :one
-- cache: 1h
SELECT count(*) AS n FROM core.events WHERE account_id = :id;

-- name: eventsOf2024 :one
-- cache: 1h
-- allow: seqscan a test partition
SELECT count(*) AS n FROM core.events_2024;

-- name: balanceLogCount :one
-- cache: 1h
-- allow: seqscan a test table
SELECT count(*) AS n FROM audit.balance_log;

-- name: itemLogCount :one
-- cache: 1h
-- allow: seqscan a test table
SELECT count(*) AS n FROM audit.item_log;

-- name: itemCountByFunction :one
-- cache: 1h
SELECT core.item_count(:id) AS n;
`;

const WRITES = `
-- name: setBalance :exec
UPDATE core.accounts SET balance = :balance WHERE id = :id;

-- name: addItem :exec
INSERT INTO core.items (id, account_id, label) VALUES (:id, :account, 'insert');

-- name: deleteItem :exec
DELETE FROM core.items WHERE id = :id;

-- name: addEventThroughParent :exec
INSERT INTO core.events (id, account_id, at) VALUES (:id, :account, make_date(:year::int4, 6, 1));

-- name: addEventToPartition :exec
INSERT INTO core.events_2024 (id, account_id, at) VALUES (:id, :account, '2024-03-01');

-- name: refreshTotals :exec
REFRESH MATERIALIZED VIEW core.totals;

-- name: truncateBalanceLog :exec
TRUNCATE audit.balance_log;

-- name: addItemByProcedure :exec
CALL core.add_item(:id, :account);

-- name: bumpEveryBalance :exec
DO $$ BEGIN UPDATE core.accounts SET balance = balance + 7; END $$;
`;

const database = await testDatabase({ migrated: false });
const admin = postgres(database.directUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(SCHEMA);
const call = await generatedModule(admin, 'freshness', `${CACHED_READS}\n${WRITES}`);
await admin.end();

const db = createDb({ connectionString: database.url, cursorSecret: 'freshness', max: 4 });
after(() => db.close());

/** Each cached read with each param value it is checked for. */
const reads: { name: string; params: Record<string, unknown> }[] = [
  ...['1', '2', '3'].flatMap((id) =>
    ['accountById', 'summaryById', 'eventCount', 'itemCountByFunction'].map((name) => ({ name, params: { id } })),
  ),
  ...['richCount', 'totals', 'eventsOf2024', 'balanceLogCount', 'itemLogCount'].map((name) => ({ name, params: {} })),
];

const account = fc.constantFrom('1', '2', '3');
const rowId = fc.integer({ min: 1, max: 12 }).map(String);
const writes = fc.oneof(
  fc.record({ name: fc.constant('setBalance'), params: fc.record({ id: account, balance: fc.integer({ min: 0, max: 300 }).map(String) }) }),
  fc.record({ name: fc.constant('addItem'), params: fc.record({ id: rowId, account }) }),
  fc.record({ name: fc.constant('deleteItem'), params: fc.record({ id: rowId }) }),
  fc.record({
    name: fc.constant('addEventThroughParent'),
    params: fc.record({ id: rowId, account, year: fc.constantFrom(2024, 2025) }),
  }),
  fc.record({ name: fc.constant('addEventToPartition'), params: fc.record({ id: rowId, account }) }),
  fc.record({ name: fc.constant('refreshTotals'), params: fc.constant({}) }),
  fc.record({ name: fc.constant('truncateBalanceLog'), params: fc.constant({}) }),
  fc.record({ name: fc.constant('addItemByProcedure'), params: fc.record({ id: rowId, account }) }),
  fc.record({ name: fc.constant('bumpEveryBalance'), params: fc.constant({}) }),
);

const STEPS = Number(process.env.FRESHNESS_STEPS ?? 2000);
const STEPS_PER_RUN = 100;

test(`every cached read equals bypassCache after each of ${STEPS} random generated writes`, async () => {
  let steps = 0;
  const stale: string[] = [];
  // The first stale read says more than fast-check's counterexample of 100 writes, so it is what fails the test.
  const property = fc.assert(
    fc.asyncProperty(fc.array(writes, { minLength: STEPS_PER_RUN, maxLength: STEPS_PER_RUN }), async (sequence) => {
      for (const write of sequence) {
        // A duplicate key is a typed error that changes nothing; the reads must still agree.
        await call(write.name)(db, write.params).catch(() => undefined);
        steps += 1;
        for (const read of reads) {
          const cached = await call(read.name)(db, read.params);
          const fresh = await call(read.name)(db, read.params, { bypassCache: true });
          if (JSON.stringify(cached) !== JSON.stringify(fresh)) {
            stale.push(
              `after ${write.name}(${JSON.stringify(write.params)}): ${read.name}(${JSON.stringify(read.params)}) cached ${JSON.stringify(cached)}, fresh ${JSON.stringify(fresh)}`,
            );
          }
        }
        if (stale.length > 0) return false;
      }
      return true;
    }),
    { seed: Number(process.env.FRESHNESS_SEED ?? 20261207), numRuns: Math.ceil(STEPS / STEPS_PER_RUN), endOnFailure: true },
  );
  await property.catch((error: unknown) => {
    if (stale.length === 0) throw error;
  });
  assert.deepEqual(stale.slice(0, 1), []);
  assert.ok(steps >= STEPS, `${steps} steps`);
});

test('the cached reads are served from the cache between writes (the property is not vacuous)', async () => {
  await call('accountById')(db, { id: '1' });
  const before = await call('accountById')(db, { id: '1' });
  // Written behind the cache's back: a cached read keeps its entry, a bypassing read sees the change.
  const direct = postgres(database.directUrl, { max: 1, onnotice: () => {} });
  await direct`UPDATE core.accounts SET tier = 'pro' WHERE id = 1`;
  await direct.end();
  assert.deepEqual(await call('accountById')(db, { id: '1' }), before);
  assert.notDeepEqual(await call('accountById')(db, { id: '1' }, { bypassCache: true }), before);
});
