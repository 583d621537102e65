// Request plans: plain data that fast-check generates, and that becomes one HTTP request (./wire.ts).
// Inputs start from each procedure's zod schema and are then corrupted; cursors are real ones, replayed in
// another context, or forged; tokens come from ./tokens.ts.
import fc from 'fast-check';
import { MAX_BATCH_SIZE } from '../../../src/server/batch.js';
import type { ProcedureInput } from '../../support/procedures.js';
import { zodArbitrary } from '../../support/zod-arbitrary.js';
import { tokenFor } from './tokens.js';
import { base64url, nested } from './wire.js';
import { objectKeys, type World } from './world.js';

export type TokenPlan =
  | { kind: 'none'; how: string }
  | { kind: 'valid'; user: string; header: string; how: string }
  | { kind: 'invalid'; header: string; how: string };

export type InputPlan = { kind: 'absent' } | { kind: 'json'; value: unknown; how: string } | { kind: 'raw'; bytes: Buffer; how: string };

export type CallPlan = { path: string; input: InputPlan };

type ContentType = 'application/json' | 'text/plain' | 'application/x-www-form-urlencoded' | 'none';

export type RequestPlan =
  | { kind: 'single'; call: CallPlan; token: TokenPlan; wrongMethod: boolean; contentType: ContentType }
  | { kind: 'batch'; calls: CallPlan[]; token: TokenPlan; method: 'GET' | 'POST' }
  | { kind: 'unknown'; path: string; token: TokenPlan; method: 'GET' | 'POST' };

const BOUNDARY_NUMBERS = [0, -1, 1, 100, 101, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, -1e308, 0.5, 1.0000001, Number.MIN_VALUE, -0];
const BOUNDARY_STRINGS = [
  '',
  ' ',
  '0',
  '-0',
  '07',
  '+7',
  ' 7',
  '7 ',
  '7\n',
  '1e3',
  '0x10',
  '١٢',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  'x\u202ey',
  '🙂'.repeat(100),
  'null',
  '[]',
  '{}',
  "'; DROP TABLE users; --",
  '%00',
  '\\',
  '"',
];

/** Values of the wrong type, at boundaries, huge or deep. */
const hostileValue: fc.Arbitrary<{ value: unknown; how: string }> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ value, how: 'random JSON' })) },
  { weight: 3, arbitrary: fc.constantFrom(...BOUNDARY_NUMBERS).map((value) => ({ value, how: 'boundary number' })) },
  { weight: 3, arbitrary: fc.constantFrom(...BOUNDARY_STRINGS).map((value) => ({ value, how: 'boundary string' })) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}).map((value) => ({ value, how: 'other type' })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(200, 201, 4096, 4097, 12_000, 17_000).map((n) => ({ value: 'x'.repeat(n), how: `string of ${n}` })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        [10, 'array'] as const,
        [1000, 'array'] as const,
        [7000, 'array'] as const,
        [10, 'object'] as const,
        [2000, 'object'] as const,
      )
      .map(([depth, kind]) => ({ value: nested(depth, kind), how: `${kind} ${depth} deep` })),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 50 }).map((value) => ({ value, how: 'any UTF-16' })) },
);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A generated input, then one corruption of it: the whole value, one field, an extra or a missing field. */
function corrupt(value: unknown, keys: string[], world: World): fc.Arbitrary<InputPlan> {
  const base = isRecord(value) ? value : {};
  const fieldKeys = [...keys, 'userId', '__proto__', 'constructor', 'limit', 'cursor'];
  return fc.oneof(
    hostileValue.map(({ value: whole, how }) => ({ kind: 'json' as const, value: whole, how: `whole input: ${how}` })),
    fc.tuple(fc.constantFrom(...fieldKeys), hostileValue).map(([key, { value: field, how }]) => ({
      kind: 'json' as const,
      // defineProperty: a "__proto__" key must be an own key of the JSON, not a prototype change here.
      value: Object.defineProperty({ ...base }, key, { value: field, enumerable: true, writable: true, configurable: true }),
      how: `field ${key}: ${how}`,
    })),
    fc
      .constantFrom(...world.users)
      .map((user) => ({ kind: 'json' as const, value: { ...base, userId: user }, how: 'userId of another user' })),
    keys.length === 0
      ? fc.constant({ kind: 'json' as const, value: { ...base, extra: 1 }, how: 'extra field' })
      : fc.constantFrom(...keys).map((key) => {
          const { [key]: _dropped, ...rest } = base;
          return { kind: 'json' as const, value: rest, how: `without ${key}` };
        }),
  );
}

const rawInput: fc.Arbitrary<InputPlan> = fc.oneof(
  fc
    .uint8Array({ minLength: 1, maxLength: 200 })
    .map((bytes) => ({ kind: 'raw' as const, bytes: Buffer.from(bytes), how: 'random bytes' })),
  fc
    .constantFrom('{', '{"limit":', '[1,', '"unterminated', 'undefined', 'NaN', '{limit:1}', "{'a':1}", '\u0000', '{"a":1}}')
    .map((text) => ({
      kind: 'raw' as const,
      bytes: Buffer.from(text),
      how: 'broken JSON',
    })),
);

/** A cursor for a list input: a genuine one of the caller (or anyone), a foreign or forged one, or none. */
function cursorFor(world: World, path: string, user: string | null): fc.Arbitrary<{ cursor: string | null; how: string }> {
  const own = world.genuine.filter((entry) => entry.path === path && (entry.user === user || entry.user === null));
  const genuine = fc.constantFrom(...world.genuine);
  const options: fc.WeightedArbitrary<{ cursor: string | null; how: string }>[] = [
    { weight: 4, arbitrary: fc.constant({ cursor: null, how: 'first page' }) },
    { weight: 3, arbitrary: genuine.map((entry) => ({ cursor: entry.cursor, how: 'genuine cursor, any context' })) },
    { weight: 1, arbitrary: fc.constantFrom(...world.foreign).map((cursor) => ({ cursor, how: 'cursor sealed with another secret' })) },
    {
      weight: 1,
      arbitrary: fc.tuple(genuine, fc.nat(), fc.integer({ min: 0, max: 7 })).map(([entry, at, bit]) => {
        const bytes = Buffer.from(entry.cursor, 'base64url');
        const index = at % bytes.length;
        bytes[index] = (bytes[index] ?? 0) ^ (1 << bit);
        return { cursor: bytes.toString('base64url'), how: 'genuine cursor, one bit flipped' };
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(genuine, fc.integer({ min: 1, max: 40 })).map(([entry, cut]) => ({
        cursor: base64url(Buffer.from(entry.cursor, 'base64url').subarray(0, -cut)),
        how: 'genuine cursor, truncated',
      })),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ minLength: 0, maxLength: 120 }).map((bytes) => ({ cursor: base64url(bytes), how: 'random base64url' })),
    },
  ];
  if (own.length > 0)
    options.push({
      weight: 5,
      arbitrary: fc.constantFrom(...own).map((entry) => ({ cursor: entry.cursor, how: 'genuine cursor of the caller' })),
    });
  return fc.oneof(...options);
}

/** Aims generated input at real rows: the caller's cursors, alert ids that exist (spelled right or not). */
function aimed(
  world: World,
  procedure: ProcedureInput,
  user: string | null,
  value: unknown,
): fc.Arbitrary<{ value: unknown; how: string }> {
  if (!isRecord(value)) return fc.constant({ value, how: 'generated' });
  if ('cursor' in value || procedure.path.endsWith('.list')) {
    // Small pages mostly: the suite is about what the API accepts, and a hundred-row page costs the run time.
    const limit = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constant(value.limit) });
    return fc
      .tuple(cursorFor(world, procedure.path, user), limit)
      .map(([{ cursor, how }, size]) => ({ value: { ...value, cursor, ...(size === undefined ? {} : { limit: size }) }, how }));
  }
  if (procedure.path === 'alerts.markRead') {
    return fc.oneof(
      { weight: 1, arbitrary: fc.constant({ value, how: 'generated id' }) },
      { weight: 3, arbitrary: fc.constantFrom(...world.alertTargets).map((alertId) => ({ value: { alertId }, how: 'real alert id' })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.constantFrom(...world.alertTargets),
            fc.constantFrom('0', '+', ' ', '00', '-'),
            fc.constantFrom('', ' ', '\n', '.0', '\t'),
          )
          .map(([alertId, before, after]) => ({ value: { alertId: `${before}${alertId}${after}` }, how: 'non-canonical alert id' })),
      },
    );
  }
  return fc.constant({ value, how: 'generated' });
}

function buildInput(world: World, procedure: ProcedureInput, user: string | null, allowRaw: boolean): fc.Arbitrary<InputPlan> {
  if (procedure.input === null) {
    return fc.oneof(
      { weight: 4, arbitrary: fc.constant<InputPlan>({ kind: 'absent' }) },
      {
        weight: 1,
        arbitrary: hostileValue.map(({ value, how }): InputPlan => ({
          kind: 'json',
          value,
          how: `input to a procedure without one: ${how}`,
        })),
      },
    );
  }
  const keys = objectKeys(procedure.input);
  const generated = zodArbitrary(procedure.input).chain((value) => aimed(world, procedure, user, value));
  const options: fc.WeightedArbitrary<InputPlan>[] = [
    {
      weight: 6,
      arbitrary: generated.map(({ value, how }): InputPlan => (value === undefined ? { kind: 'absent' } : { kind: 'json', value, how })),
    },
    { weight: 4, arbitrary: generated.chain(({ value }) => corrupt(value, keys, world)) },
  ];
  if (allowRaw) options.push({ weight: 1, arbitrary: rawInput });
  return fc.oneof(...options);
}

const UNKNOWN_PATHS = [
  'alerts.delete',
  'alerts',
  'alerts.list.x',
  'admin.users',
  'constructor',
  '__proto__',
  'toString',
  'alerts.__proto__',
  'alerts.constructor',
  '%E0%A4%A',
  '..%2F..%2Fetc',
  '%00',
  '',
  'a'.repeat(3000),
];

/** Any request a client could send: single calls (most), calls by the wrong method, batches, unknown paths. */
export function requestArbitrary(world: World): fc.Arbitrary<RequestPlan> {
  const queries = world.procedures.filter((procedure) => procedure.type === 'query');
  const mutations = world.procedures.filter((procedure) => procedure.type === 'mutation');
  const userOf = (token: TokenPlan) => (token.kind === 'valid' ? token.user : null);
  // Arbitraries are built once per (procedure, caller): chain() would otherwise rebuild them for every request.
  const inputs = new Map<string, fc.Arbitrary<InputPlan>>();
  const inputFor = (procedure: ProcedureInput, user: string | null, allowRaw: boolean) => {
    const key = `${procedure.path}|${String(user)}|${String(allowRaw)}`;
    const cached = inputs.get(key) ?? buildInput(world, procedure, user, allowRaw);
    inputs.set(key, cached);
    return cached;
  };
  const tokenArbitrary = tokenFor(world);
  const single = tokenArbitrary.chain((token) =>
    fc.constantFrom(...world.procedures).chain((procedure) =>
      fc
        .record({
          input: inputFor(procedure, userOf(token), true),
          contentType: fc.constantFrom<ContentType>(
            'application/json',
            'application/json',
            'application/json',
            'application/json',
            'text/plain',
            'application/x-www-form-urlencoded',
            'none',
          ),
        })
        .map(({ input, contentType }): RequestPlan => ({
          kind: 'single',
          call: { path: procedure.path, input },
          token,
          wrongMethod: false,
          contentType,
        })),
    ),
  );
  const wrongMethod = tokenArbitrary.chain((token) =>
    fc.constantFrom(...world.procedures).chain((procedure) =>
      inputFor(procedure, userOf(token), false).map((input): RequestPlan => ({
        kind: 'single',
        call: { path: procedure.path, input },
        token,
        wrongMethod: true,
        contentType: 'application/json',
      })),
    ),
  );
  // Mostly small batches, some full ones, some over the limit. An over-limit batch is refused before any input
  // is read, so its calls go without input: generating thirty inputs for it would only cost time.
  const size = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 5 }) },
    { weight: 1, arbitrary: fc.integer({ min: 6, max: MAX_BATCH_SIZE }) },
    { weight: 1, arbitrary: fc.integer({ min: MAX_BATCH_SIZE + 1, max: 2 * MAX_BATCH_SIZE }) },
  );
  const batch = fc.tuple(tokenArbitrary, fc.boolean(), size).chain(([token, mutation, calls]) => {
    const pool = mutation ? mutations : queries;
    const call =
      calls > MAX_BATCH_SIZE
        ? fc.constantFrom(...pool).map((procedure): CallPlan => ({ path: procedure.path, input: { kind: 'absent' } }))
        : fc
            .constantFrom(...pool)
            .chain((procedure) => inputFor(procedure, userOf(token), false).map((input): CallPlan => ({ path: procedure.path, input })));
    return fc
      .array(call, { minLength: calls, maxLength: calls })
      .map((list): RequestPlan => ({ kind: 'batch', calls: list, token, method: mutation ? 'POST' : 'GET' }));
  });
  const unknown = fc
    .tuple(
      tokenArbitrary,
      fc.oneof(
        fc.constantFrom(...UNKNOWN_PATHS),
        fc.string({ maxLength: 30 }).map((text) => encodeURIComponent(text)),
      ),
      fc.constantFrom<'GET' | 'POST'>('GET', 'POST'),
    )
    .map(([token, path, method]): RequestPlan => ({ kind: 'unknown', path, token, method }));
  return fc.oneof(
    { weight: 20, arbitrary: single },
    { weight: 2, arbitrary: wrongMethod },
    { weight: 4, arbitrary: batch },
    { weight: 1, arbitrary: unknown },
  );
}
