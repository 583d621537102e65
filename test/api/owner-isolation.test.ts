// Owner isolation at the API: codegen proves each owned query confined to its owner param (manifest `isolation`); this
// proves every procedure fills that param from the request's identity. Every procedure of the router is called, as two
// different users, with valid inputs drawn from its own schema, on a real database; each statement a generated query
// sends is recorded on its way to the pool, and its owner param must be the caller's id. A procedure that took the
// owner from its input, a constant or another row would fail here.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { pino } from 'pino';
import { createDb, type Db } from 'sqlbound';
import { loadManifest } from '../../codegen/manifest/manifest.js';
import { seed } from '../../src/server/seed.js';
import { appRouter } from '../../src/server/routers/index.js';
import { createCallerFactory } from '../../src/server/trpc.js';
import { poolerOptions, testDatabase } from '../support/database.js';
import { procedureInputs } from '../support/procedures.js';
import { zodArbitrary } from '../support/zod-arbitrary.js';

const manifest = await loadManifest(new URL('../../generated/manifest.json', import.meta.url).pathname);
const byName = new Map(manifest.queries.map((query) => [query.name, query]));
const database = await testDatabase();
await seed(database.url, { users: 20, seed: 7 });
const real = createDb({
  connectionString: database.url,
  max: 2,
  cursorSecret: 'test-cursor-secret',
  logger: pino({ level: 'error' }),
  cache: false,
  ...poolerOptions(),
});
after(() => real.close());

type Sent = { procedure: string; query: string; values: readonly unknown[] };

/** The real handle, with every statement recorded before it runs (execute and stream are what generated code calls). */
function recording(db: Db, sent: Sent[], procedure: () => string): Db {
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'execute') {
        const execute: Db['execute'] = (statement, values, options) => {
          sent.push({ procedure: procedure(), query: statement.name, values });
          return target.execute(statement, values, options);
        };
        return execute;
      }
      if (property === 'stream') {
        const stream: Db['stream'] = (statement, values, batchSize) => {
          sent.push({ procedure: procedure(), query: statement.name, values });
          return target.stream(statement, values, batchSize);
        };
        return stream;
      }
      const value: unknown = Reflect.get(target, property, receiver);
      // Methods run on the real handle (its private state), not on the proxy.
      const bound: unknown = typeof value === 'function' ? Function.prototype.bind.call(value, target) : value;
      return bound;
    },
  });
}

const [first, second] = (await real.kysely.selectFrom('users').select('id').orderBy('id').limit(2).execute()).map((row) => String(row.id));
assert.ok(first !== undefined && second !== undefined);

test('every procedure passes the authenticated user as the owner param of every owned query it runs', async () => {
  const sent: Sent[] = [];
  let current = '';
  const db = recording(real, sent, () => current);
  const procedures = procedureInputs(appRouter);
  const called = new Map<string, Set<string>>();
  for (const userId of [first, second]) {
    const caller = createCallerFactory(appRouter)({
      db,
      auth: { kind: 'user', userId },
      logger: pino({ level: 'silent' }),
      scopeMode: 'warn',
      onScope: undefined,
      position: { readAfter: null, written: null },
    });
    for (const { path, input } of procedures) {
      current = path;
      const inputs = input === null ? [undefined] : fc.sample(zodArbitrary(input), { numRuns: 8, seed: 28 });
      for (const value of inputs) {
        const before = sent.length;
        const procedure: unknown = path.split('.').reduce<unknown>((node, key) => Reflect.get(Object(node), key), caller);
        assert.equal(typeof procedure, 'function', path);
        // A valid input may still find nothing (NOT_FOUND for another user's alert id): the statement ran all the same.
        await Promise.resolve(Reflect.apply(procedure as (input: unknown) => unknown, undefined, [value])).catch(() => undefined);
        for (const call of sent.slice(before)) {
          const query = byName.get(call.query);
          assert.ok(query !== undefined, `${path} ran ${call.query}, which is not in the manifest`);
          called.set(path, (called.get(path) ?? new Set()).add(call.query));
          const isolation = query.isolation;
          assert.notEqual(isolation.kind, 'any', `${path} runs ${query.name}, which crosses owners (${JSON.stringify(isolation)})`);
          if (isolation.kind !== 'owner') continue;
          for (const name of isolation.params) {
            const position: number | undefined = query.params.find((candidate) => candidate.name === name)?.position;
            assert.ok(position !== undefined, `${query.name} has no param ${name}`);
            const owner: string = String(call.values[position - 1]);
            assert.equal(owner, userId, `${path} ran ${query.name} with :${name} = ${owner} as user ${userId}`);
          }
        }
      }
    }
  }
  // Every procedure reached the database, so none was left unchecked; and the owned queries were among them.
  assert.deepEqual(
    procedures.filter(({ path }) => !called.has(path)).map(({ path }) => path),
    [],
  );
  const owned = [...called.values()].flatMap((names) => [...names]).filter((name) => byName.get(name)?.isolation.kind === 'owner');
  assert.ok(owned.length >= 8, `owned queries called: ${owned.join(', ')}`);
});

test('no procedure input accepts the owner param', () => {
  for (const { path, input } of procedureInputs(appRouter)) {
    if (input === null) continue;
    for (const value of fc.sample(zodArbitrary(input), { numRuns: 4, seed: 28 })) {
      const withOwner: unknown = typeof value === 'object' && value !== null ? { ...value, userId: second } : { userId: second };
      assert.equal(z.safeParse(input, withOwner).success, false, `${path} accepts a userId in its input`);
    }
  }
});
