// Hostile input at scale: a property-based run over every procedure of the example API, over real HTTP to a
// server in its own process on a real PostgreSQL. Inputs come from the procedures' zod schemas and are then
// corrupted; tokens and cursors are valid, replayed in another context, re-spelled or forged.
// Properties: no 5xx, no exit, every 4xx a JSON error with a message, each status the one the oracle allows,
// and no row changed except by valid calls. HOSTILE_SEED and HOSTILE_RUNS replay or widen a run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { seed } from '../../src/server/seed.js';
import { appRouter } from '../../src/server/routers/index.js';
import { procedureInputs } from '../support/procedures.js';
import { testDatabase } from '../support/database.js';
import { callStatuses, problemsOf } from './hostile/check.js';
import { startServer, type Received } from './hostile/harness.js';
import { expectRequest, singleEffect, withTransportLimits, type Effect } from './hostile/oracle.js';
import { requestArbitrary, type RequestPlan } from './hostile/plans.js';
import { settle, type Done } from './hostile/settle.js';
import { snapshot } from './hostile/snapshot.js';
import { labelOf, toRequest } from './hostile/wire.js';
import { PARSED, rawRequest, requestText, UNSERVED_METHODS } from './hostile/methods.js';
import {
  alertTargets,
  AUTH_SECRET,
  bearer,
  CURSOR_SECRET,
  foreignCursors,
  harvestCursors,
  LIST_FILTERS,
  mintTokens,
  prepareUsers,
  PUBLIC_PATHS,
  type World,
} from './hostile/world.js';

const SEED = Number(process.env.HOSTILE_SEED ?? 20_261_212);
/** fast-check runs; each sends PER_RUN requests, CONCURRENCY at a time on keep-alive connections. */
const RUNS = Number(process.env.HOSTILE_RUNS ?? 1300);
const PER_RUN = 8;
const CONCURRENCY = 4;

const database = await testDatabase();
await seed(database.url, { users: 60, seed: 1 });
const { users, ghost } = await prepareUsers(database.url, 4);
const server = await startServer(
  { HOSTILE_DATABASE_URL: database.url, HOSTILE_AUTH_SECRET: AUTH_SECRET, HOSTILE_CURSOR_SECRET: CURSOR_SECRET },
  CONCURRENCY,
);
const tokens = mintTokens([...users, ghost]);
const procedures = procedureInputs(appRouter);
const world: World = {
  procedures,
  users,
  ghost,
  tokens,
  genuine: await harvestCursors((request) => server.send(request), users, tokens),
  foreign: await foreignCursors(database.url, users),
  alertTargets: await alertTargets(database.url, users),
};
const typeOf = (path: string) => procedures.find((procedure) => procedure.path === path)?.type ?? 'query';

/** Maps with at most `width` calls in flight; results in input order. */
async function inParallel<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

test('the suite covers every procedure of the router, and knows which are public', () => {
  const paths = procedures.map((procedure) => procedure.path).sort();
  assert.deepEqual(paths, [
    'alerts.list',
    'alerts.markRead',
    'brokers.list',
    'dashboard.get',
    'exposures.list',
    'profile.get',
    'profile.update',
    'scans.list',
    'subscription.status',
  ]);
  for (const path of [...Object.keys(LIST_FILTERS), ...PUBLIC_PATHS]) assert.ok(paths.includes(path), path);
});

test('every method but GET, HEAD and POST, on every tRPC path, is a 4xx in the error envelope, never a 5xx or a logged error', async () => {
  const valid = tokens.get(users[0] ?? '') ?? '';
  const targets = [
    ...procedures.map((procedure) => `/trpc/${procedure.path}`),
    `/trpc/${procedures.map((procedure) => procedure.path).join(',')}?batch=1`,
    '/trpc/no.such',
    '/trpc/dashboard.get?input=%7B%7D',
    '/healthz',
  ];
  const logsBefore = server.logs().length;
  const problems: string[] = [];
  const requests = UNSERVED_METHODS.flatMap((method) =>
    [...targets, ...(method === 'CONNECT' ? ['127.0.0.1:5432'] : [])].map((target) => ({ method, target })),
  );
  for (const { method, target } of requests) {
    const answer = await rawRequest(server.base, requestText(method, target, bearer(valid)));
    const label = `${method} ${target}`;
    // Node's parser refuses a method it does not know before any route: 400 malformed request.
    const expected = PARSED.has(method) ? 405 : 400;
    if (answer.status !== expected) problems.push(`${label}: expected ${expected}, got ${answer.status} ${answer.body.slice(0, 200)}`);
    let message: unknown;
    try {
      message = Reflect.get(Object(Reflect.get(Object(JSON.parse(answer.body)), 'error')), 'message');
    } catch {
      message = undefined;
    }
    if (typeof message !== 'string' || message === '') problems.push(`${label}: no error envelope: ${answer.body.slice(0, 200)}`);
    if (expected === 405 && answer.headers.allow !== 'GET, HEAD, POST') problems.push(`${label}: Allow ${String(answer.headers.allow)}`);
  }
  assert.deepEqual(problems, []);
  for (const method of ['CONNECT', 'TRACE', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'PROPFIND', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK'])
    assert.ok(UNSERVED_METHODS.includes(method), method);
  for (const method of ['PURGE', 'SEARCH', 'QUERY', 'LINK', 'UNLINK', 'TRACK']) assert.ok(UNSERVED_METHODS.includes(method), method);
  assert.equal(server.exited(), null, 'the server process is still running');
  // pino's error level is 50: TRACE was one, with a stack.
  assert.doesNotMatch(server.logs().slice(logsBefore), /"level":(50|60)/, 'no error was logged');
});

test(`hostile input: ${RUNS * PER_RUN} requests, no 5xx, no exit, no row changed but by valid calls`, async (t) => {
  const started = performance.now();
  t.diagnostic(`fast-check seed ${SEED} (replay: HOSTILE_SEED=${SEED} npm run test:db -- test/api/hostile.test.ts)`);
  const before = await snapshot(database.url);
  const byStatus = new Map<number, number>();
  const byLabel = new Map<string, number>();
  /** Calls by the reason the oracle gave for their expected status: what the run actually exercised. */
  const byWhy = new Map<string, number>();
  const done: Done[] = [];
  let requests = 0;

  const run = async (plan: RequestPlan): Promise<string[]> => {
    const sent = toRequest(plan, typeOf);
    const expectation = withTransportLimits(expectRequest(world, plan), sent);
    let received: Received;
    try {
      received = await server.send(sent);
    } catch (error) {
      return [`no answer: ${String(error)}`];
    }
    requests += 1;
    byStatus.set(received.status, (byStatus.get(received.status) ?? 0) + 1);
    byLabel.set(labelOf(plan), (byLabel.get(labelOf(plan)) ?? 0) + 1);
    for (const why of expectation.kind === 'batch' ? expectation.calls.map((call) => call.why) : [expectation.why]) {
      byWhy.set(why, (byWhy.get(why) ?? 0) + 1);
    }
    const statuses = callStatuses(received);
    const effects: (Effect | null)[] =
      expectation.kind === 'batch' ? expectation.calls.map((call) => call.effect) : [singleEffect(world, plan)];
    effects.forEach((effect, index) => {
      if (effect !== null) done.push({ effect, status: statuses[index] ?? 0 });
    });
    return problemsOf(expectation, received);
  };

  await fc.assert(
    fc.asyncProperty(fc.array(requestArbitrary(world), { minLength: PER_RUN, maxLength: PER_RUN }), async (plans) => {
      const found = await inParallel(plans, CONCURRENCY, run);
      const problems = found.flatMap((list, index) => list.map((problem) => `${labelOf(plans[index] as RequestPlan)}: ${problem}`));
      if (problems.length > 0) throw new Error(`${problems.join('\n')}\nplans: ${fc.stringify(plans).slice(0, 3000)}`);
    }),
    // No shrinking: requests change the database, so a replay of a shrunk case would not see the same state.
    { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
  );

  assert.equal(server.exited(), null, 'the server process is still running');
  assert.equal((await server.send({ method: 'GET', path: '/healthz', headers: {} })).status, 200);
  const { problems, marked, updated } = settle(before, await snapshot(database.url), done);
  assert.deepEqual(problems, []);
  const logs = server.logs();
  // pino's error level is 50: nothing the server logged was an internal failure, whatever its wording.
  assert.doesNotMatch(logs, /"level":(50|60)/, 'no error was logged');
  for (const token of tokens.values()) assert.ok(!logs.includes(token.split('.')[2] ?? token), 'no token in the logs');
  assert.ok(requests >= 10_000 || RUNS * PER_RUN < 10_000, `${requests} requests`);

  const exercised = [...byWhy]
    .sort(([, a], [, b]) => b - a)
    .map(([why, count]) => `${why}: ${count}`)
    .join('; ');
  t.diagnostic(`calls by expected outcome: ${exercised}`);

  // The run must have exercised what it is for: a generator that drifted to only invalid input would pass the
  // properties above vacuously.
  const minimum: [string, number][] = [
    ['valid read', 500],
    ['own row', 300],
    ['a next page, with a cursor of the same context', 50],
    ['valid markRead', 200],
    ['valid profile update', 100],
    ["another user's cursor", 20],
    ['a cursor of other filters', 50],
    ['a cursor of another procedure', 50],
    ['a cursor the server never issued', 100],
    ['input the schema refuses', 500],
    ['input is not JSON', 100],
    ['an id not in canonical form', 30],
    ['batch over the limit', 50],
    ['request line and headers over 16 KiB', 20],
  ];
  for (const [why, least] of minimum)
    assert.ok((byWhy.get(why) ?? 0) >= least, `${why}: ${byWhy.get(why) ?? 0} calls, fewer than ${least}`);
  const tokenKinds = [...byWhy.keys()].filter((why) => why.startsWith('token: '));
  assert.ok(tokenKinds.length >= 18, `token kinds exercised: ${tokenKinds.join(', ')}`);

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const statuses = [...byStatus]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
  const labels = [...byLabel]
    .sort(([, a], [, b]) => b - a)
    .map(([label, count]) => `${label}: ${count}`)
    .join('; ');
  t.diagnostic(`seed ${SEED}: ${requests} requests in ${seconds} s; statuses ${statuses}`);
  t.diagnostic(`valid mutations: ${marked} alerts marked read, ${updated} profiles updated; by kind: ${labels}`);
});
