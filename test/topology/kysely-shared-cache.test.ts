// Two db handles, each with its own in-memory L1, share one Redis (Debian's redis-server) as bentocache's L2 and
// bus, as two API instances do: a write through one handle's db.kysely drops the other's cached read.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { REDIS, findEngine, skippedLine, startRedis } from '@sqlbound/cli/testing';
import { createDb, createQueryCache, withQueryScope } from 'sqlbound';
import type { DB } from '../../generated/db.js';
import { getProfile } from '../../generated/index.js';
import { seed } from '../../src/server/seed.js';
import { createSharedCacheStore } from '../../src/server/shared-cache.js';
import { capturingLogger } from '../runtime/support.js';
import { testDatabase } from '../support/database.js';
import { withClient } from '../support/seed-data.js';

const installed = findEngine(REDIS) !== null;
if (!installed) console.log(skippedLine(REDIS));

test('a Kysely write on one instance drops the cached read on another', { skip: !installed }, async () => {
  const database = await testDatabase();
  await seed(database.url, { users: 2, seed: 3 });
  const redis = await startRedis();
  after(() => redis.stop());
  const { logger } = capturingLogger('info');
  const instance = () =>
    createDb<DB>({
      connectionString: database.url,
      cursorSecret: 'kysely-shared',
      logger,
      cache: createQueryCache({ bento: createSharedCacheStore({ url: redis.url, logger }), logger }),
    });
  const [a, b] = [instance(), instance()];
  after(() => Promise.all([a.close(), b.close()]));
  const userId = await withClient(database.url, async (client) => {
    const result = await client.query<{ id: string }>('SELECT id FROM users ORDER BY id LIMIT 1');
    return result.rows[0]?.id;
  });
  assert.ok(userId !== undefined);

  /** b's profile read: its name, and whether it ran on the database (0: served by b's cache). */
  const readOnB = async () => {
    const { result, scope } = await withQueryScope(() => getProfile(b, { userId }));
    return { name: result.full_name, statements: scope.total };
  };
  /** b serves `name` from its cache; the bus reaches b asynchronously, so a drop is awaited up to 2 s. */
  const eventually = async (name: string) => {
    for (let waited = 0; waited < 2000; waited += 20) {
      if ((await readOnB()).name === name) return;
      await sleep(20);
    }
    assert.fail(`b still serves another name than ${name}`);
  };

  for (const [label, write] of [
    ['builder', (name: string) => a.kysely.updateTable('users').set({ full_name: name }).where('id', '=', userId).execute()],
    ['raw sql', (name: string) => sql`UPDATE users SET full_name = ${name} WHERE id = ${userId}`.execute(a.kysely)],
    [
      'kysely transaction',
      (name: string) =>
        a.kysely.transaction().execute((trx) => trx.updateTable('users').set({ full_name: name }).where('id', '=', userId).execute()),
    ],
  ] as const) {
    await sleep(2);
    const before = await readOnB();
    assert.equal((await readOnB()).statements, 0, `${label}: b serves the profile from its cache`);
    const renamed = `${before.name} (${label})`;
    await write(renamed);
    await eventually(renamed);
    assert.equal((await getProfile(b, { userId }, { bypassCache: true })).full_name, renamed);
  }
});
