// The front door (src/server/front-door.ts): a held answer is served before Fastify, and must be exactly what
// Fastify's path answers for the same request. Two apps share one database and one cache: `front` has the front
// door, `plain` does not; each counts the requests Fastify answered (onResponse), so a test can tell which path
// answered without the answers themselves differing.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, test } from 'node:test';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { pino } from 'pino';
import { cacheSerializer, createDb, createQueryCache, type Db, type QueryCache, type QueryCacheOptions } from 'sqlbound';
import { buildApp } from '../../src/server/app.js';
import { issueToken } from '../../src/server/auth.js';
import { createPrometheusMetrics } from '../../src/server/prometheus.js';
import { seed } from '../../src/server/seed.js';
import { WRITE_POSITION_HEADER } from '../../src/server/write-position.js';
import { poolerOptions, testDatabase } from '../support/database.js';
import { AUTH_SECRET } from './support.js';

const database = await testDatabase();
await seed(database.url, { users: 20, seed: 3 });

function openDb(cache: QueryCacheOptions | QueryCache): Db {
  const db = createDb({
    connectionString: database.url,
    max: 4,
    cursorSecret: 'front-door',
    logger: pino({ level: 'error' }),
    cache,
    ...poolerOptions(),
  });
  after(() => db.close());
  return db;
}

type Served = { base: string; fastifyAnswers: () => number };

async function serve(db: Db, options: { frontDoor: boolean; metrics?: ReturnType<typeof createPrometheusMetrics> }): Promise<Served> {
  const app = await buildApp({ db, authSecret: AUTH_SECRET, responseCache: true, frontDoor: options.frontDoor, metrics: options.metrics });
  let answers = 0;
  app.addHook('onResponse', (_request, _reply, done) => {
    answers += 1;
    done();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  after(() => app.close());
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { base: `http://127.0.0.1:${address.port}`, fastifyAnswers: () => answers };
}

const db = openDb({});
const metrics = createPrometheusMetrics();
after(() => metrics.shutdown());
const front = await serve(db, { frontDoor: true, metrics });
const plain = await serve(db, { frontDoor: false });

const [row] = (
  await db.execute<{ user_id: string; id: string }>(
    {
      name: 'frontDoorUnread',
      text: 'SELECT user_id::text AS user_id, id::text AS id FROM alerts WHERE read_at IS NULL ORDER BY user_id, id LIMIT 1',
    },
    [],
  )
).rows;
assert.ok(row);
const user = row.user_id;
const bearer = (userId: string, options?: Parameters<typeof issueToken>[2]) => `Bearer ${issueToken(AUTH_SECRET, userId, options)}`;

type Answer = { status: number; headers: Record<string, string>; body: string };

/** One request's status, headers (but the clock's) and body text. */
async function send(served: Served, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${served.base}${path}`, init);
  const headers = Object.fromEntries([...response.headers].filter(([name]) => name !== 'date'));
  return { status: response.status, headers, body: await response.text() };
}

/** The answer and whether Fastify gave it. */
async function sendCounted(served: Served, path: string, init: RequestInit = {}) {
  const before = served.fastifyAnswers();
  const answer = await send(served, path, init);
  return { answer, byFastify: served.fastifyAnswers() > before };
}

const dashboard = '/trpc/dashboard.get';
const dashboardWithInput = `/trpc/dashboard.get?input=${encodeURIComponent('{}')}`;

/** A sample's value in the Prometheus text, 0 when absent: the sample's name, then every label=value it must carry. */
async function sample(name: string, labels: Record<string, string>): Promise<number> {
  const text = await metrics.metricsText();
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && wanted.every((pair) => candidate.includes(pair)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test("a held answer is served before Fastify with the status, headers and bytes of Fastify's answer to the same request", async () => {
  for (const path of [dashboard, dashboardWithInput, '/trpc/profile.get', '/trpc/subscription.status']) {
    const init = { headers: { authorization: bearer(user) } };
    const first = await sendCounted(front, path, init);
    assert.equal(first.answer.status, 200, first.answer.body);
    assert.ok(first.byFastify, `${path}: the first request is a miss, answered by Fastify`);
    const again = await sendCounted(front, path, init);
    assert.equal(again.byFastify, false, `${path}: the second is answered at the front door`);
    const viaFastify = await sendCounted(plain, path, init);
    assert.ok(viaFastify.byFastify);
    assert.deepEqual(again.answer, viaFastify.answer, `${path}: the same answer`);
    assert.equal(again.answer.body, first.answer.body);
  }
});

test('front-door answers are counted as response-cache hits and in the request duration histogram', async () => {
  const init = { headers: { authorization: bearer(user) } };
  await send(front, dashboard, init);
  const hits = () => sample('api_response_cache_total', { procedure: 'dashboard.get', outcome: 'hit' });
  const durations = () =>
    sample('http_server_request_duration_count', {
      http_request_method: 'GET',
      http_route: '/trpc/:path',
      http_response_status_code: '200',
    });
  const [hitsBefore, durationsBefore] = [await hits(), await durations()];
  for (let k = 0; k < 3; k += 1) assert.equal((await sendCounted(front, dashboard, init)).byFastify, false);
  assert.equal(await hits(), hitsBefore + 3);
  assert.equal(await durations(), durationsBefore + 3);
  // A Fastify answer on the same route lands in the same series (the front door's counts are added to the SDK's).
  const miss = await sendCounted(front, '/trpc/alerts.list', init);
  assert.ok(miss.byFastify);
  assert.equal(await durations(), durationsBefore + 4);
});

test('a write drops the held answer: the next request reads the write, then is held again', async () => {
  const init = { headers: { authorization: bearer(user) } };
  await send(front, dashboard, init);
  const held = await sendCounted(front, dashboard, init);
  assert.equal(held.byFastify, false);
  const unread = (answer: Answer) => (JSON.parse(answer.body) as { result: { data: { unread_alerts: number } } }).result.data.unread_alerts;
  const marked = await send(front, '/trpc/alerts.markRead', {
    method: 'POST',
    headers: { ...init.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ alertId: row.id }),
  });
  assert.equal(marked.status, 200, marked.body);
  const fresh = await sendCounted(front, dashboard, init);
  assert.ok(fresh.byFastify, 'the write dropped the held answer');
  assert.equal(unread(fresh.answer), unread(held.answer) - 1);
  const heldAgain = await sendCounted(front, dashboard, init);
  assert.equal(heldAgain.byFastify, false);
  assert.equal(heldAgain.answer.body, fresh.answer.body);
});

test('every other request goes to Fastify and gets its usual answer, even with an answer held for that user', async () => {
  const token = bearer(user);
  await send(front, dashboard, { headers: { authorization: token } });
  assert.equal((await sendCounted(front, dashboard, { headers: { authorization: token } })).byFastify, false, 'held');
  const [other] = (
    await db.execute<{ id: string }>(
      { name: 'frontDoorOther', text: 'SELECT id::text AS id FROM users WHERE id <> $1 ORDER BY id LIMIT 1' },
      [user],
    )
  ).rows;
  assert.ok(other);
  const expired = bearer(user, { ttlSeconds: 60, now: new Date(Date.now() - 3_600_000) });
  const cases: [string, string, RequestInit][] = [
    ['an expired token', dashboard, { headers: { authorization: expired } }],
    ['a malformed token', dashboard, { headers: { authorization: 'Bearer garbage' } }],
    ['no token', dashboard, {}],
    ['a write position', dashboard, { headers: { authorization: token, [WRITE_POSITION_HEADER]: '0/0' } }],
    ['a malformed write position', dashboard, { headers: { authorization: token, [WRITE_POSITION_HEADER]: 'soon' } }],
    ['a batch', `/trpc/dashboard.get?batch=1&input=${encodeURIComponent('{"0":{}}')}`, { headers: { authorization: token } }],
    ['a POST', dashboard, { method: 'POST', headers: { authorization: token, 'content-type': 'application/json' }, body: '{}' }],
    ['a HEAD', dashboard, { method: 'HEAD', headers: { authorization: token } }],
    ['an empty input', `${dashboard}?input=`, { headers: { authorization: token } }],
    ['another parameter', `${dashboardWithInput}&x=1`, { headers: { authorization: token } }],
    ['an input that is not UTF-8', `${dashboard}?input=%ff`, { headers: { authorization: token } }],
    ['a percent-escaped path', '/trpc/dashboard%2Eget', { headers: { authorization: token } }],
    ['a miss (another user)', dashboard, { headers: { authorization: bearer(other.id) } }],
  ];
  for (const [label, path, init] of cases) {
    const atFront = await sendCounted(front, path, init);
    assert.ok(atFront.byFastify, `${label}: answered by Fastify`);
    const viaPlain = await send(plain, path, init);
    assert.equal(atFront.answer.status, viaPlain.status, label);
    assert.equal(atFront.answer.headers['www-authenticate'], viaPlain.headers['www-authenticate'], label);
    assert.equal(atFront.answer.headers[WRITE_POSITION_HEADER], viaPlain.headers[WRITE_POSITION_HEADER], label);
    if (label !== 'a miss (another user)') assert.equal(atFront.answer.body, viaPlain.body, label);
  }
  const unauthorized = await send(front, dashboard, { headers: { authorization: expired } });
  assert.equal(unauthorized.status, 401);
  assert.equal(unauthorized.headers['www-authenticate'], 'Bearer');
  const positioned = await send(front, dashboard, { headers: { authorization: token, [WRITE_POSITION_HEADER]: '0/0' } });
  assert.equal(positioned.status, 200);
  assert.equal(positioned.headers[WRITE_POSITION_HEADER], '0/0', 'Fastify sends the position back');
});

test('with a store of your own the front door never answers: every request reaches Fastify', async () => {
  const bento = new BentoCache({
    default: 'queries',
    serializer: cacheSerializer,
    stores: { queries: bentostore().useL1Layer(memoryDriver({ maxItems: 1000 })) },
  });
  const shared = await serve(openDb(createQueryCache({ bento })), { frontDoor: true });
  const init = { headers: { authorization: bearer(user) } };
  const answers: Answer[] = [];
  for (let k = 0; k < 3; k += 1) {
    const counted = await sendCounted(shared, dashboard, init);
    assert.ok(counted.byFastify, `request ${k + 1} reached Fastify`);
    answers.push(counted.answer);
  }
  assert.equal(answers[0]?.status, 200);
  assert.deepEqual(answers[2], answers[1]);
});

test("a request that arrives while the server closes gets Fastify's 503, not a held answer", async () => {
  const closingDb = openDb({});
  const app = await buildApp({ db: closingDb, authSecret: AUTH_SECRET, responseCache: true });
  // A request still running when close() starts keeps its connection open, so another can arrive on it.
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let arrived: () => void = () => undefined;
  const slowRunning = new Promise<void>((resolve) => (arrived = resolve));
  app.get('/slow', async () => {
    arrived();
    await gate;
    return { slow: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const authorization = bearer(user);
  const base = `http://127.0.0.1:${address.port}`;
  assert.equal((await fetch(`${base}${dashboard}`, { headers: { authorization } })).status, 200);
  assert.equal((await fetch(`${base}${dashboard}`, { headers: { authorization } })).status, 200, 'held now');
  const socket = connect(address.port, '127.0.0.1');
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await slowRunning;
  const closed = app.close();
  // server.close() runs after the preClose hooks: from then on the app is closing.
  while (app.server.listening) await new Promise((resolve) => setImmediate(resolve));
  socket.write(`GET ${dashboard} HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\n\r\n`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  release();
  await Promise.all([closed, ended]);
  const statuses = [
    ...Buffer.concat(received)
      .toString('latin1')
      .matchAll(/HTTP\/1\.1 (\d{3})/g),
  ].map((match) => match[1]);
  assert.deepEqual(statuses, ['200', '503']);
});
