// user_counters (sql/schema/002_user_counters.sql) must equal a fresh count after any sequence of writes.
// The random sequence is reproducible: its seed is fixed in npm test and printed; COUNTERS_SEED=<seed> replays
// another, COUNTERS_SEED=random draws a fresh one.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { seed } from '../../src/server/seed.js';
import { testDatabase } from '../support/database.js';

/** mulberry32: a tiny seeded PRNG, enough to make the operation sequence reproducible. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
  /** Up to n distinct items, in random order (the order matters: it is the order rows are written). */
  sample<T>(items: readonly T[], n: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const a = copy[i];
      const b = copy[j];
      if (a === undefined || b === undefined) throw new Error('shuffle index out of range');
      copy[i] = b;
      copy[j] = a;
    }
    return copy.slice(0, n);
  }
}

const STATUSES = ['detected', 'removal_requested', 'removed', 'reappeared'] as const;

type Mismatch = { side: 'expected' | 'actual'; user_id: string; counts: string };

// A fresh count per user (every user, zero when it has no rows) against the maintained table, both ways.
const mismatchQuery = `
WITH expected AS (
  SELECT u.id AS user_id,
         coalesce(a.unread, 0)::int AS unread_alerts, coalesce(a.total, 0)::int AS total_alerts,
         coalesce(e.detected, 0)::int AS exposures_detected,
         coalesce(e.removal_requested, 0)::int AS exposures_removal_requested,
         coalesce(e.removed, 0)::int AS exposures_removed,
         coalesce(e.reappeared, 0)::int AS exposures_reappeared
  FROM users u
  LEFT JOIN (
    SELECT user_id, count(*) FILTER (WHERE read_at IS NULL) AS unread, count(*) AS total
    FROM alerts GROUP BY user_id
  ) a ON a.user_id = u.id
  LEFT JOIN (
    SELECT user_id,
           count(*) FILTER (WHERE status = 'detected') AS detected,
           count(*) FILTER (WHERE status = 'removal_requested') AS removal_requested,
           count(*) FILTER (WHERE status = 'removed') AS removed,
           count(*) FILTER (WHERE status = 'reappeared') AS reappeared
    FROM exposures GROUP BY user_id
  ) e ON e.user_id = u.id
),
actual AS (
  SELECT user_id, unread_alerts, total_alerts, exposures_detected, exposures_removal_requested,
         exposures_removed, exposures_reappeared
  FROM user_counters
)
SELECT side, user_id::text AS user_id, counts::text AS counts FROM (
  (SELECT 'expected' AS side, x.user_id, x AS counts FROM (SELECT * FROM expected EXCEPT SELECT * FROM actual) x)
  UNION ALL
  (SELECT 'actual', y.user_id, y FROM (SELECT * FROM actual EXCEPT SELECT * FROM expected) y)
) d
ORDER BY d.user_id, side`;

async function mismatches(client: pg.ClientBase): Promise<Mismatch[]> {
  return (await client.query<Mismatch>(mismatchQuery)).rows;
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function ids(client: pg.ClientBase, table: 'users' | 'alerts' | 'exposures'): Promise<string[]> {
  const result = await client.query<{ id: string }>(`SELECT id::text AS id FROM ${table} ORDER BY id`);
  return result.rows.map((row) => row.id);
}

async function insertUsers(client: pg.ClientBase, count: number): Promise<void> {
  await client.query(
    `INSERT INTO users (email, full_name)
     SELECT 'u' || g || '-' || md5(random()::text) || '@example.com', 'User ' || g FROM generate_series(1, $1::int) g`,
    [count],
  );
}

type Operation = { name: string; weight: number; run: (client: pg.ClientBase, rnd: Random) => Promise<string> };

// Each operation chooses its rows from the current ids with the PRNG, and returns a description for the log.
const operations: Operation[] = [
  {
    name: 'insert one alert',
    weight: 8,
    async run(client, rnd) {
      const user = rnd.pick(await ids(client, 'users'));
      const exposures = await ids(client, 'exposures');
      const exposure = exposures.length > 0 && rnd.chance(0.5) ? rnd.pick(exposures) : null;
      const read = rnd.chance(0.4);
      await client.query(
        `INSERT INTO alerts (user_id, exposure_id, kind, severity, title, body, read_at)
         VALUES ($1, $2, 'new_exposure', 'medium', 'one', 'body', CASE WHEN $3::bool THEN now() END)`,
        [user, exposure, read],
      );
      return `user ${user}, read ${read}`;
    },
  },
  {
    name: 'insert alerts for many users in one statement',
    weight: 6,
    async run(client, rnd) {
      const users = rnd.sample(await ids(client, 'users'), 1 + rnd.int(6));
      const perUser = 1 + rnd.int(8);
      const phase = rnd.int(3);
      await client.query(
        `INSERT INTO alerts (user_id, kind, severity, title, body, read_at)
         SELECT u.id, 'breach', 'high', 'bulk', 'body', CASE WHEN (g + $3::int) % 3 = 0 THEN now() END
         FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, n), generate_series(1, $2::int) g
         ORDER BY u.n, g`,
        [users, perUser, phase],
      );
      return `users ${users.join(',')}, ${perUser} each`;
    },
  },
  {
    name: 'insert one exposure',
    weight: 6,
    async run(client, rnd) {
      const user = rnd.pick(await ids(client, 'users'));
      const status = rnd.pick(STATUSES);
      await client.query(
        `INSERT INTO exposures (user_id, broker_id, status, removed_at)
         VALUES ($1, 1 + $3::int % 5, $2::exposure_status, CASE WHEN $2::exposure_status = 'removed' THEN now() END)`,
        [user, status, rnd.int(5)],
      );
      return `user ${user}, ${status}`;
    },
  },
  {
    name: 'insert exposures for many users in one statement',
    weight: 5,
    async run(client, rnd) {
      const users = rnd.sample(await ids(client, 'users'), 1 + rnd.int(6));
      const perUser = 1 + rnd.int(6);
      const phase = rnd.int(4);
      await client.query(
        `INSERT INTO exposures (user_id, broker_id, status, removed_at)
         SELECT x.id, 1 + g % 5, x.status, CASE WHEN x.status = 'removed' THEN now() END
         FROM (
           SELECT u.id, u.n, g,
                  (ARRAY['detected','removal_requested','removed','reappeared']::exposure_status[])[1 + (g + $3::int) % 4] AS status
           FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, n), generate_series(1, $2::int) g
         ) x
         ORDER BY x.n, x.g`,
        [users, perUser, phase],
      );
      return `users ${users.join(',')}, ${perUser} each`;
    },
  },
  {
    name: 'change one exposure status',
    weight: 8,
    async run(client, rnd) {
      const exposures = await ids(client, 'exposures');
      if (exposures.length === 0) return 'skipped: no exposures';
      const exposure = rnd.pick(exposures);
      const status = rnd.pick(STATUSES);
      await client.query(
        `UPDATE exposures SET status = $2::exposure_status, removed_at = CASE WHEN $2::exposure_status = 'removed' THEN now() END WHERE id = $1`,
        [exposure, status],
      );
      return `exposure ${exposure} -> ${status}`;
    },
  },
  {
    name: 'change the status of many exposures in one statement',
    weight: 4,
    async run(client, rnd) {
      const users = rnd.sample(await ids(client, 'users'), 1 + rnd.int(4));
      const shift = rnd.int(4);
      await client.query(
        `UPDATE exposures e SET status = s.status, removed_at = CASE WHEN s.status = 'removed' THEN now() END
         FROM (SELECT id, (ARRAY['detected','removal_requested','removed','reappeared']::exposure_status[])[1 + ((id + $2::int) % 4)::int] AS status
               FROM exposures) s
         WHERE e.id = s.id AND e.user_id = ANY($1::bigint[])`,
        [users, shift],
      );
      return `users ${users.join(',')}, shift ${shift}`;
    },
  },
  {
    name: 'mark one alert read or unread',
    weight: 8,
    async run(client, rnd) {
      const alerts = await ids(client, 'alerts');
      if (alerts.length === 0) return 'skipped: no alerts';
      const alert = rnd.pick(alerts);
      const read = rnd.chance(0.5);
      await client.query(`UPDATE alerts SET read_at = CASE WHEN $2::bool THEN now() END WHERE id = $1`, [alert, read]);
      return `alert ${alert}, read ${read}`;
    },
  },
  {
    name: "toggle read on all of some users' alerts",
    weight: 4,
    async run(client, rnd) {
      const users = rnd.sample(await ids(client, 'users'), 1 + rnd.int(3));
      await client.query(`UPDATE alerts SET read_at = CASE WHEN read_at IS NULL THEN now() END WHERE user_id = ANY($1::bigint[])`, [users]);
      return `users ${users.join(',')}`;
    },
  },
  {
    name: 'move one alert to another user',
    weight: 5,
    async run(client, rnd) {
      const alerts = await ids(client, 'alerts');
      if (alerts.length === 0) return 'skipped: no alerts';
      const alert = rnd.pick(alerts);
      const user = rnd.pick(await ids(client, 'users'));
      await client.query(`UPDATE alerts SET user_id = $2 WHERE id = $1`, [alert, user]);
      return `alert ${alert} -> user ${user}`;
    },
  },
  {
    name: 'move some alerts to another user and change read_at in one statement',
    weight: 4,
    async run(client, rnd) {
      const [from, to] = rnd.sample(await ids(client, 'users'), 2);
      if (from === undefined || to === undefined) return 'skipped: fewer than two users';
      await client.query(
        `UPDATE alerts SET user_id = $2, read_at = CASE WHEN id % 2 = 0 THEN NULL ELSE now() END
         WHERE user_id = $1 AND id % 3 <> 0`,
        [from, to],
      );
      return `user ${from} -> ${to}`;
    },
  },
  {
    name: 'swap all alerts and exposures of two users',
    weight: 2,
    async run(client, rnd) {
      const [a, b] = rnd.sample(await ids(client, 'users'), 2);
      if (a === undefined || b === undefined) return 'skipped: fewer than two users';
      for (const table of ['alerts', 'exposures']) {
        await client.query(
          `UPDATE ${table} SET user_id = CASE WHEN user_id = $1 THEN $2::bigint ELSE $1::bigint END WHERE user_id IN ($1, $2)`,
          [a, b],
        );
      }
      return `users ${a} <-> ${b}`;
    },
  },
  {
    name: 'move one exposure to another user with a new status',
    weight: 3,
    async run(client, rnd) {
      const exposures = await ids(client, 'exposures');
      if (exposures.length === 0) return 'skipped: no exposures';
      const exposure = rnd.pick(exposures);
      const user = rnd.pick(await ids(client, 'users'));
      const status = rnd.pick(STATUSES);
      await client.query(
        `UPDATE exposures SET user_id = $2, status = $3::exposure_status,
             removed_at = CASE WHEN $3::exposure_status = 'removed' THEN now() END WHERE id = $1`,
        [exposure, user, status],
      );
      return `exposure ${exposure} -> user ${user}, ${status}`;
    },
  },
  {
    name: 'update columns the counters ignore',
    weight: 2,
    async run(client, rnd) {
      const users = rnd.sample(await ids(client, 'users'), 2);
      await client.query(`UPDATE alerts SET title = title || '!' WHERE user_id = ANY($1::bigint[])`, [users]);
      await client.query(`UPDATE exposures SET data_types = '{email}' WHERE user_id = ANY($1::bigint[])`, [users]);
      return `users ${users.join(',')}`;
    },
  },
  {
    name: 'delete one alert',
    weight: 4,
    async run(client, rnd) {
      const alerts = await ids(client, 'alerts');
      if (alerts.length === 0) return 'skipped: no alerts';
      const alert = rnd.pick(alerts);
      await client.query(`DELETE FROM alerts WHERE id = $1`, [alert]);
      return `alert ${alert}`;
    },
  },
  {
    name: 'delete many alerts in one statement',
    weight: 3,
    async run(client, rnd) {
      const users = rnd.sample(await ids(client, 'users'), 1 + rnd.int(4));
      const parity = rnd.int(2);
      await client.query(`DELETE FROM alerts WHERE user_id = ANY($1::bigint[]) AND id % 2 = $2`, [users, parity]);
      return `users ${users.join(',')}, parity ${parity}`;
    },
  },
  {
    name: 'delete exposures (their alerts lose the link)',
    weight: 3,
    async run(client, rnd) {
      const exposures = rnd.sample(await ids(client, 'exposures'), 1 + rnd.int(5));
      await client.query(`DELETE FROM exposures WHERE id = ANY($1::bigint[])`, [exposures]);
      return `exposures ${exposures.join(',')}`;
    },
  },
  {
    name: 'insert users',
    weight: 2,
    async run(client, rnd) {
      const count = 1 + rnd.int(3);
      await insertUsers(client, count);
      return `${count} users`;
    },
  },
  {
    name: 'insert a user and its alerts and exposures in one statement',
    weight: 2,
    async run(client, rnd) {
      const alerts = 1 + rnd.int(4);
      await client.query(
        `WITH u AS (
           INSERT INTO users (email, full_name) VALUES ('cte-' || md5(random()::text) || '@example.com', 'CTE user') RETURNING id
         ), e AS (
           INSERT INTO exposures (user_id, broker_id, status) SELECT id, 1, 'reappeared' FROM u
         )
         INSERT INTO alerts (user_id, kind, severity, title, body)
         SELECT u.id, 'breach', 'low', 'cte', 'body' FROM u, generate_series(1, $1::int)`,
        [alerts],
      );
      return `${alerts} alerts`;
    },
  },
  {
    name: 'delete a user (cascading to its alerts, exposures and counters)',
    weight: 2,
    async run(client, rnd) {
      const users = await ids(client, 'users');
      if (users.length <= 4) return 'skipped: keeping a few users';
      const user = rnd.pick(users);
      await client.query(`DELETE FROM users WHERE id = $1`, [user]);
      return `user ${user}`;
    },
  },
];

const totalWeight = operations.reduce((sum, operation) => sum + operation.weight, 0);

function chooseOperation(rnd: Random): Operation {
  let ticket = rnd.int(totalWeight);
  for (const operation of operations) {
    if (ticket < operation.weight) return operation;
    ticket -= operation.weight;
  }
  throw new Error('operation weights do not add up');
}

async function assertCountersMatch(client: pg.ClientBase, context: string): Promise<void> {
  const found = await mismatches(client);
  assert.deepEqual(found, [], `user_counters differs from a fresh count ${context}`);
}

async function setUp(client: pg.ClientBase): Promise<void> {
  await client.query(
    `INSERT INTO data_brokers (id, name, domain, category) SELECT g, 'Broker ' || g, 'b' || g || '.example', 'risk'
     FROM generate_series(1, 5) g`,
  );
  await insertUsers(client, 12);
}

test('counters equal a fresh count after a random sequence of writes', async (t: TestContext) => {
  // npm test replays one fixed sequence; COUNTERS_SEED=random draws a fresh one (printed, so it can be replayed).
  const setting = process.env.COUNTERS_SEED ?? '20261219';
  const seedValue = setting === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(setting);
  t.diagnostic(`random sequence seed ${seedValue} (replay with COUNTERS_SEED=${seedValue})`);
  const rnd = new Random(seedValue);
  const db = await testDatabase();
  const client = await connect(db.url);
  try {
    await setUp(client);
    await assertCountersMatch(client, 'after setup');
    const log: string[] = [];
    const steps = 300;
    for (let step = 1; step <= steps; step++) {
      // Now and then a few operations inside a transaction, committed or rolled back.
      if (rnd.chance(0.05)) {
        const commit = rnd.chance(0.5);
        await client.query('BEGIN');
        for (let i = 0; i < 3; i++) {
          const operation = chooseOperation(rnd);
          log.push(`${step}: [tx] ${operation.name}: ${await operation.run(client, rnd)}`);
        }
        await client.query(commit ? 'COMMIT' : 'ROLLBACK');
        log.push(`${step}: ${commit ? 'COMMIT' : 'ROLLBACK'}`);
      } else {
        const operation = chooseOperation(rnd);
        log.push(`${step}: ${operation.name}: ${await operation.run(client, rnd)}`);
      }
      await assertCountersMatch(client, `(seed ${seedValue}) after:\n${log.slice(-5).join('\n')}`);
    }
    // At least one user delete, whatever the sequence chose, with rows of every kind.
    const heaviest = await client.query<{ user_id: string }>(
      `SELECT user_id::text AS user_id FROM user_counters ORDER BY total_alerts + exposures_detected + exposures_removed DESC, user_id LIMIT 1`,
    );
    const victim = heaviest.rows[0]?.user_id;
    assert.ok(victim !== undefined);
    await client.query('DELETE FROM users WHERE id = $1', [victim]);
    await assertCountersMatch(client, `(seed ${seedValue}) after deleting user ${victim}`);
    const summary = await client.query<{ users: number; alerts: number; exposures: number }>(
      `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM alerts)::int AS alerts,
              (SELECT count(*) FROM exposures)::int AS exposures`,
    );
    t.diagnostic(`ended with ${JSON.stringify(summary.rows[0])}`);
    const refreshed = await client.query<{ changed: string }>('SELECT refresh_user_counters()::text AS changed');
    assert.equal(refreshed.rows[0]?.changed, '0', 'refresh_user_counters() found nothing to correct');
  } finally {
    await client.end();
  }
});

test('TRUNCATE zeroes the counters, and refresh_user_counters() repairs rows written around the triggers', async () => {
  const db = await testDatabase();
  const client = await connect(db.url);
  try {
    await setUp(client);
    const rnd = new Random(1);
    for (let i = 0; i < 10; i++) {
      const operation = chooseOperation(rnd);
      await operation.run(client, rnd);
    }
    const users = await ids(client, 'users');
    await client.query(`INSERT INTO exposures (user_id, broker_id, status) SELECT id, 1, 'detected' FROM unnest($1::bigint[]) id`, [users]);
    await client.query(
      `INSERT INTO alerts (user_id, kind, severity, title, body) SELECT id, 'breach', 'low', 't', 'b' FROM unnest($1::bigint[]) id`,
      [users],
    );
    await assertCountersMatch(client, 'before TRUNCATE');
    await client.query('TRUNCATE alerts');
    await assertCountersMatch(client, 'after TRUNCATE alerts');
    await client.query(
      `INSERT INTO alerts (user_id, kind, severity, title, body) SELECT id, 'breach', 'low', 't', 'b' FROM unnest($1::bigint[]) id`,
      [users],
    );
    await client.query('TRUNCATE exposures CASCADE');
    await assertCountersMatch(client, 'after TRUNCATE exposures CASCADE (which truncates alerts too)');

    await client.query(
      `INSERT INTO exposures (user_id, broker_id, status) SELECT id, 1, 'removal_requested' FROM unnest($1::bigint[]) id`,
      [users],
    );
    await client.query(`SET session_replication_role = replica`);
    await client.query(`UPDATE exposures SET status = 'detected'`);
    await client.query(`RESET session_replication_role`);
    assert.notDeepEqual(await mismatches(client), [], 'a write with triggers disabled leaves the counters stale');
    const refreshed = await client.query<{ changed: string }>('SELECT refresh_user_counters()::text AS changed');
    assert.equal(refreshed.rows[0]?.changed, String(users.length));
    await assertCountersMatch(client, 'after refresh_user_counters()');
  } finally {
    await client.end();
  }
});

test('concurrent multi-user writes in random order do not deadlock on the counters', async () => {
  const db = await testDatabase();
  const setup = await connect(db.url);
  let users: string[];
  try {
    await setUp(setup);
    users = await ids(setup, 'users');
  } finally {
    await setup.end();
  }
  const workers = 6;
  const rounds = 25;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      const rnd = new Random(1000 + worker);
      const client = await connect(db.url);
      try {
        for (let round = 0; round < rounds; round++) {
          // Each statement touches most users, in a different order in each worker.
          const order = rnd.sample(users, users.length - 2);
          await client.query('BEGIN');
          const inserted = await client.query<{ id: string }>(
            `INSERT INTO alerts (user_id, kind, severity, title, body)
             SELECT u.id, 'breach', 'low', 't', 'b' FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, n) ORDER BY u.n
             RETURNING id::text AS id`,
            [order],
          );
          // Mark some of this worker's own new alerts read: the counters of their users are shared, the rows not.
          const own = rnd.sample(
            inserted.rows.map((row) => row.id),
            4,
          );
          await client.query(`UPDATE alerts SET read_at = now() WHERE id = ANY($1::bigint[])`, [own]);
          await client.query('COMMIT');
        }
      } finally {
        await client.end();
      }
    }),
  );
  const check = await connect(db.url);
  try {
    await assertCountersMatch(check, 'after concurrent writers');
    const total = await check.query<{ n: number }>('SELECT sum(total_alerts)::int AS n FROM user_counters');
    assert.equal(total.rows[0]?.n, workers * rounds * (users.length - 2));
  } finally {
    await check.end();
  }
});

test('seeding gives correct counters', async () => {
  const db = await testDatabase();
  await seed(db.url, { users: 500, seed: 3, chunkSize: 200 });
  const client = await connect(db.url);
  try {
    await assertCountersMatch(client, 'after seed(500 users)');
    const rows = await client.query<{ users: number; alerts: number; exposures: number }>(
      `SELECT count(*)::int AS users, sum(total_alerts)::int AS alerts,
              sum(exposures_detected + exposures_removal_requested + exposures_removed + exposures_reappeared)::int AS exposures
       FROM user_counters`,
    );
    const row = rows.rows[0];
    assert.ok(row !== undefined);
    assert.equal(row.users, 500);
    assert.ok(row.alerts > 500 && row.exposures > 500, JSON.stringify(row));
  } finally {
    await client.end();
  }
});
