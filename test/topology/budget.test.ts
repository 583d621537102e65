// The connection budget check: each tier fits or names the number to change; the limits are read from a server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { checkConnectionBudget, serverLimits, type ConnectionBudgetInput } from 'sqlbound';
import { testDatabase } from '../support/database.js';

const fitting: ConnectionBudgetInput = {
  instances: 2,
  poolMax: 20,
  pgbouncer: { maxClientConn: 100, defaultPoolSize: 20, reservePoolSize: 5, pools: 1, maxDbConnections: 0 },
  primary: { maxConnections: 100, superuserReserved: 3, reserved: 0 },
  replicas: [{ name: 'replica1', poolMax: 20, maxConnections: 100, superuserReserved: 3, reserved: 0 }],
};

test('a configuration within every limit fits, exactly at the limits too', () => {
  assert.equal(checkConnectionBudget(fitting).fits, true);
  const exact = checkConnectionBudget({
    ...fitting,
    pgbouncer: { ...fitting.pgbouncer, maxClientConn: 40 },
    primary: { maxConnections: 28, superuserReserved: 3, reserved: 0 },
  });
  assert.equal(exact.fits, true, JSON.stringify(exact.lines));
});

test('instances x pool max over max_client_conn is refused, naming what to change', () => {
  const budget = checkConnectionBudget({ ...fitting, instances: 6 });
  assert.equal(budget.fits, false);
  const failed = budget.lines.filter((line) => !line.fits);
  assert.deepEqual(
    failed.map((line) => line.tier),
    ['API instances -> PgBouncer', 'API instances -> replica1'],
  );
  assert.match(
    failed[0]?.change ?? '',
    /6 instances x pool max 20 = 120 client connections exceed PgBouncer's max_client_conn 100: lower the instances \(WEB_CONCURRENCY\) or the pool max \(SQLBOUND_POOL_MAX\)/,
  );
});

test("PgBouncer's server pools over max_connections minus the reserved ones are refused", () => {
  const budget = checkConnectionBudget({ ...fitting, primary: { maxConnections: 27, superuserReserved: 3, reserved: 0 } });
  assert.deepEqual(
    budget.lines.filter((line) => !line.fits).map((line) => line.tier),
    ['PgBouncer -> primary'],
  );
  assert.match(budget.lines[1]?.change ?? '', /25 server connections .* max_connections 27 minus 3 reserved = 24: lower default_pool_size/);
  // max_db_connections caps what PgBouncer can open.
  const capped = checkConnectionBudget({
    ...fitting,
    pgbouncer: { ...fitting.pgbouncer, pools: 4, maxDbConnections: 20 },
    primary: { maxConnections: 27, superuserReserved: 3, reserved: 0 },
  });
  assert.equal(capped.lines[1]?.fits, true);
});

test('serverLimits reads max_connections and the reserved slots from a real server', async () => {
  const { url } = await testDatabase({ migrated: false });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const limits = await serverLimits(async (text) => (await client.query<Record<string, unknown>>(text)).rows);
    assert.equal(limits.maxConnections, 300); // the embedded servers' setting (codegen/database/server.ts)
    assert.equal(limits.superuserReserved, 3);
    assert.equal(limits.reserved, 0);
  } finally {
    await client.end();
  }
});
