// Deterministic, set-based seeding. Every pseudo-random choice is hashint8extended(key, seed), so the
// same --seed gives byte-identical data whatever the plan or parallelism; ids are explicit for the same reason.
import pg from 'pg';

export type SeedOptions = {
  users: number;
  seed: number;
  /** Users per batch of statements; progress is reported after each. The whole seed is one transaction. */
  chunkSize?: number;
  onProgress?: (progress: SeedProgress) => void;
};

export type SeedProgress = { stage: string; done: number; total: number; elapsedMs: number };

export type SeedSummary = {
  users: number;
  brokers: number;
  exposures: number;
  alerts: number;
  scans: number;
  elapsedMs: number;
};

const BROKER_COUNT = 250;
/** Dates are fixed, not now(), so that two runs produce the same rows. */
const EPOCH = '2026-06-01T00:00:00Z';

// r(key, salt) is a non-negative pseudo-random int from the key; $1 is the seed.
const r = (key: string, salt: number) => `(hashint8extended((${key})::int8 * 1000 + ${salt}, $1::int8) & 2147483647)::int4`;
// r8 is the same with a 53-bit range, for spreading timestamps over a year in microseconds.
const r8 = (key: string, salt: number) => `(hashint8extended((${key})::int8 * 1000 + ${salt}, $1::int8) & 9007199254740991)`;

const seedBrokers = `
INSERT INTO data_brokers (id, name, domain, category, opt_out_url, created_at)
SELECT i,
       'Broker ' || lpad(i::text, 4, '0'),
       'broker' || i || '.example',
       (ARRAY['people-search', 'marketing', 'background-check', 'risk', 'social'])[1 + ${r('i', 1)} % 5],
       CASE WHEN ${r('i', 2)} % 4 = 0 THEN NULL ELSE 'https://broker' || i || '.example/opt-out' END,
       $2::timestamptz - make_interval(days => 400 + ${r('i', 3)} % 400)
FROM generate_series(1, ${BROKER_COUNT}) AS i`;

const seedUsers = `
INSERT INTO users (id, email, full_name, phone, created_at, updated_at)
SELECT i,
       'user' || i || '@example.com',
       (ARRAY['Ada','Alan','Grace','Edsger','Barbara','Donald','Frances','Ken','Radia','Leslie'])[1 + ${r('i', 10)} % 10]
         || ' ' ||
       (ARRAY['Lovelace','Turing','Hopper','Dijkstra','Liskov','Knuth','Allen','Thompson','Perlman','Lamport'])[1 + ${r('i', 11)} % 10],
       CASE WHEN ${r('i', 12)} % 3 = 0 THEN NULL ELSE '+1555' || lpad((${r('i', 13)} % 10000000)::text, 7, '0') END,
       $2::timestamptz - make_interval(days => 30 + ${r('i', 14)} % 700),
       $2::timestamptz - make_interval(days => ${r('i', 15)} % 30)
FROM generate_series(1, $3::int8) AS i`;

const seedSubscriptions = `
INSERT INTO subscriptions (id, user_id, plan, status, current_period_end, created_at, updated_at)
SELECT u.id, u.id,
       (ARRAY['free','plus','family']::subscription_plan[])[1 + ${r('u.id', 20)} % 3],
       (ARRAY['active','active','active','trialing','past_due','canceled']::subscription_status[])[1 + ${r('u.id', 21)} % 6],
       $2::timestamptz + make_interval(days => ${r('u.id', 22)} % 31),
       u.created_at, u.updated_at
FROM users u
WHERE ${r('u.id', 23)} % 10 <> 0`;

// A plan per user: how many rows of each kind, and where their explicit ids start.
// About one user in a thousand is heavy (thousands of alerts, hundreds of exposures).
const planUsers = `
CREATE TEMP TABLE seed_plan ON COMMIT PRESERVE ROWS AS
WITH counts AS (
  SELECT u.id AS user_id,
         (${r('u.id', 30)} % 1000 = 0) AS heavy,
         CASE WHEN ${r('u.id', 30)} % 1000 = 0 THEN 100 + ${r('u.id', 31)} % 200 ELSE 5 + ${r('u.id', 31)} % 11 END AS n_exposures,
         CASE WHEN ${r('u.id', 30)} % 1000 = 0 THEN 2000 + ${r('u.id', 32)} % 6000 ELSE 2 + ${r('u.id', 32)} % 30 END AS n_alerts,
         CASE WHEN ${r('u.id', 30)} % 1000 = 0 THEN 50 ELSE 1 + ${r('u.id', 33)} % 5 END AS n_scans
  FROM generate_series(1, $2::int8) AS u(id)
)
SELECT c.*,
       sum(n_exposures) OVER w - n_exposures AS exposure_offset,
       sum(n_alerts) OVER w - n_alerts AS alert_offset,
       sum(n_scans) OVER w - n_scans AS scan_offset
FROM counts c
WINDOW w AS (ORDER BY user_id)`;

const seedExposures = `
INSERT INTO exposures (id, user_id, broker_id, status, data_types, created_at, removed_at)
SELECT x.id, x.user_id, x.broker_id, x.status, x.data_types, x.created_at,
       CASE WHEN x.status = 'removed' THEN x.created_at + make_interval(days => 1 + ${r('x.id', 40)} % 60) END
FROM (
  SELECT p.exposure_offset + g AS id,
         p.user_id,
         1 + ${r('p.exposure_offset + g', 41)} % ${BROKER_COUNT} AS broker_id,
         CASE
           WHEN ${r('p.exposure_offset + g', 42)} % 100 < 45 THEN 'detected'
           WHEN ${r('p.exposure_offset + g', 42)} % 100 < 70 THEN 'removal_requested'
           WHEN ${r('p.exposure_offset + g', 42)} % 100 < 93 THEN 'removed'
           ELSE 'reappeared'
         END::exposure_status AS status,
         CASE ${r('p.exposure_offset + g', 43)} % 4
           WHEN 0 THEN ARRAY['email','name'] WHEN 1 THEN ARRAY['phone','address']
           WHEN 2 THEN ARRAY['email','phone','address'] ELSE ARRAY['name','date_of_birth'] END AS data_types,
         $2::timestamptz - make_interval(secs => (${r8('p.exposure_offset + g', 44)} % 31536000000)::float8 / 1000) AS created_at
  FROM seed_plan p, generate_series(1, p.n_exposures) AS g
  WHERE p.user_id BETWEEN $3::int8 AND $4::int8
) x`;

// Timestamps carry microseconds (secs with six decimals) so keyset cursors are tested at full precision.
const seedAlerts = `
INSERT INTO alerts (id, user_id, exposure_id, kind, severity, title, body, created_at, read_at)
SELECT a.id, a.user_id,
       CASE WHEN ${r('a.id', 50)} % 5 = 0 THEN NULL ELSE a.exposure_offset + 1 + ${r('a.id', 51)} % a.n_exposures END,
       (ARRAY['new_exposure','reappeared','removal_confirmed','breach','scan_finished']::alert_kind[])[1 + ${r('a.id', 52)} % 5],
       (ARRAY['info','low','low','medium','medium','high','critical']::alert_severity[])[1 + ${r('a.id', 53)} % 7],
       'Alert ' || a.id,
       'Your data was found on a broker. Reference ' || md5(a.id::text),
       a.created_at,
       CASE WHEN ${r('a.id', 54)} % 10 < 7 THEN a.created_at + make_interval(hours => 1 + ${r('a.id', 55)} % 200) END
FROM (
  SELECT p.alert_offset + g AS id, p.user_id, p.exposure_offset, p.n_exposures,
         $2::timestamptz - make_interval(secs => (${r8('p.alert_offset + g', 56)} % 31536000000000)::float8 / 1000000) AS created_at
  FROM seed_plan p, generate_series(1, p.n_alerts) AS g
  WHERE p.user_id BETWEEN $3::int8 AND $4::int8
) a`;

const seedScans = `
INSERT INTO scans (id, user_id, status, created_at, started_at, finished_at, found_count)
SELECT s.id, s.user_id, s.status, s.created_at,
       CASE WHEN s.status <> 'queued' THEN s.created_at + interval '5 seconds' END,
       CASE WHEN s.status IN ('completed', 'failed') THEN s.created_at + make_interval(secs => 30 + ${r('s.id', 60)} % 600) END,
       CASE WHEN s.status = 'completed' THEN ${r('s.id', 61)} % 20 ELSE 0 END
FROM (
  SELECT p.scan_offset + g AS id, p.user_id,
         CASE WHEN g = p.n_scans AND ${r('p.user_id', 62)} % 10 = 0 THEN 'running'
              WHEN ${r('p.scan_offset + g', 63)} % 20 = 0 THEN 'failed'
              ELSE 'completed' END::scan_status AS status,
         $2::timestamptz - make_interval(days => (p.n_scans - g) * 7, secs => ${r('p.scan_offset + g', 64)} % 86400) AS created_at
  FROM seed_plan p, generate_series(1, p.n_scans) AS g
  WHERE p.user_id BETWEEN $3::int8 AND $4::int8
) s`;

const resetIdentities = ['users', 'subscriptions', 'data_brokers', 'exposures', 'alerts', 'scans'].map(
  (table) => `SELECT setval(pg_get_serial_sequence('${table}', 'id'), coalesce((SELECT max(id) FROM ${table}), 0) + 1, false)`,
);

export async function isEmpty(client: pg.ClientBase): Promise<boolean> {
  const result = await client.query<{ empty: boolean }>(
    'SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM data_brokers) AS empty',
  );
  return result.rows[0]?.empty === true;
}

export async function resetData(client: pg.ClientBase): Promise<void> {
  await client.query('TRUNCATE users, subscriptions, data_brokers, exposures, alerts, scans RESTART IDENTITY CASCADE');
}

export async function seed(url: string, options: SeedOptions): Promise<SeedSummary> {
  const { users, seed: seedValue, chunkSize = 5000, onProgress = () => {} } = options;
  if (!Number.isInteger(users) || users < 1) throw new Error(`--users must be a positive integer, got ${users}`);
  if (!Number.isInteger(seedValue)) throw new Error(`--seed must be an integer, got ${seedValue}`);
  const started = performance.now();
  const report = (stage: string, done: number, total: number) => onProgress({ stage, done, total, elapsedMs: performance.now() - started });
  const client = new pg.Client({ connectionString: url });
  // A server stopped under the seed (a signal during npm start) fails the statement in flight, which says so; the
  // connection's own 'error' event, with no listener, would crash the process on top of it.
  client.on('error', () => undefined);
  await client.connect();
  try {
    if (!(await isEmpty(client))) throw new Error('the database already holds data: seed an empty database or pass --reset');
    // One transaction: a seed cut short (a signal, a crash) leaves an empty database, which the next start seeds
    // again, never users without their alerts. ANALYZE inside it counts the rows this transaction wrote.
    await client.query('BEGIN');
    await client.query(seedBrokers, [seedValue, EPOCH]);
    await client.query(seedUsers, [seedValue, EPOCH, users]);
    await client.query(seedSubscriptions, [seedValue, EPOCH]);
    await client.query(planUsers, [seedValue, users]);
    report('users', users, users);
    for (let first = 1; first <= users; first += chunkSize) {
      const last = Math.min(users, first + chunkSize - 1);
      const range = [seedValue, EPOCH, first, last];
      await client.query(seedExposures, range);
      await client.query(seedAlerts, range);
      await client.query(seedScans, range);
      report('exposures, alerts, scans', last, users);
    }
    for (const statement of resetIdentities) await client.query(statement);
    await client.query('DROP TABLE seed_plan');
    await client.query('ANALYZE');
    await client.query('COMMIT');
    report('analyze', users, users);
    const counts = await client.query<Record<'users' | 'brokers' | 'exposures' | 'alerts' | 'scans', string>>(`
      SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM data_brokers) AS brokers,
             (SELECT count(*) FROM exposures) AS exposures, (SELECT count(*) FROM alerts) AS alerts,
             (SELECT count(*) FROM scans) AS scans`);
    const row = counts.rows[0];
    if (row === undefined) throw new Error('seed summary query returned no row');
    return {
      users: Number(row.users),
      brokers: Number(row.brokers),
      exposures: Number(row.exposures),
      alerts: Number(row.alerts),
      scans: Number(row.scans),
      elapsedMs: performance.now() - started,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}
