// What each request must get, worked out from the plan alone: the statuses allowed, and the change a valid
// mutation may make. The token's validity is known by construction; input validity is the procedure's own
// zod schema (the API's contract); a cursor is valid only where it was issued: same procedure, user, filters.
import { isUtf8 } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import { safeParse } from 'zod';
import { MAX_BATCH_SIZE } from '../../../src/server/batch.js';
import { DEFAULT_BODY_LIMIT } from '../../../src/server/app.js';
import { MAX_HEADER_BYTES } from '../../../src/server/http-errors.js';
import type { Sent } from './harness.js';
import type { ProcedureInput } from '../../support/procedures.js';
import type { CallPlan, InputPlan, RequestPlan, TokenPlan } from './plans.js';
import { jsonText } from './wire.js';
import { filtersOf, PUBLIC_PATHS, type World } from './world.js';

export type Effect =
  { kind: 'markRead'; user: string; alertId: string } | { kind: 'profile'; user: string; fullName: string | null; phone: string | null };

export type CallExpectation = { statuses: number[]; effect: Effect | null; why: string };

export type Expectation = { kind: 'whole'; statuses: number[]; why: string } | { kind: 'batch'; calls: CallExpectation[] };

const expect = (statuses: number[], why: string, effect: Effect | null = null): CallExpectation => ({ statuses, effect, why });

/**
 * What the input a client sends turns into on the server: undefined fields gone, -0 as 0; random bytes that
 * happen to be UTF-8 JSON (`3`) are that JSON. A blank body is no input; a blank `?input=` is not JSON.
 * null: the bytes are not JSON.
 */
function sentValue(input: InputPlan, inBody: boolean): { value: unknown } | null {
  if (input.kind === 'absent') return { value: undefined };
  const text = input.kind === 'json' ? jsonText(input.value) : isUtf8(input.bytes) ? input.bytes.toString('utf8') : null;
  if (text === null) return null;
  if (text === undefined) return { value: undefined };
  if (text.trim() === '' && inBody) return { value: undefined };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return null;
  }
}

function field(data: unknown, key: string): unknown {
  return typeof data === 'object' && data !== null ? Reflect.get(data, key) : undefined;
}

function domain(world: World, path: string, user: string | null, data: unknown): CallExpectation {
  const real = user !== null && world.users.includes(user);
  switch (path) {
    case 'dashboard.get':
    case 'profile.get':
      return real ? expect([200], 'own row') : expect([404], 'a user without a row');
    case 'subscription.status':
    case 'alerts.list':
    case 'exposures.list':
    case 'scans.list':
    case 'brokers.list':
      return expect([200], 'valid read');
    case 'alerts.markRead': {
      const alertId = String(field(data, 'alertId'));
      // 200 for the caller's unread alert (once), 404 for anything else: settled against the snapshot afterwards.
      return expect([200, 404], 'valid markRead', user === null ? null : { kind: 'markRead', user, alertId });
    }
    case 'profile.update': {
      if (!real || user === null) return expect([404], 'update of a user without a row');
      const text = (key: string) => {
        const value = field(data, key);
        return typeof value === 'string' ? value : null;
      };
      return expect([200], 'valid profile update', { kind: 'profile', user, fullName: text('fullName'), phone: text('phone') });
    }
    default:
      throw new Error(`the hostile-input suite has no oracle for ${path}: add one in test/api/hostile/oracle.ts`);
  }
}

function cursorProblem(world: World, procedure: ProcedureInput, user: string | null, data: unknown): string | null {
  const cursor = field(data, 'cursor');
  if (cursor === null || cursor === undefined || procedure.input === null) return null;
  const origin = world.genuine.find((entry) => entry.cursor === cursor);
  if (origin === undefined) return 'a cursor the server never issued';
  if (origin.path !== procedure.path) return 'a cursor of another procedure';
  if (origin.user !== (PUBLIC_PATHS.has(procedure.path) ? null : user)) return "another user's cursor";
  if (!isDeepStrictEqual(filtersOf(procedure.input, origin.filters), filtersOf(procedure.input, data))) return 'a cursor of other filters';
  return null;
}

function expectCall(world: World, call: CallPlan, token: TokenPlan): CallExpectation {
  const procedure = world.procedures.find((candidate) => candidate.path === call.path);
  if (procedure === undefined) throw new Error(`unknown procedure ${call.path}`);
  // The input is read before any middleware runs: broken JSON is a 400 whoever sends it.
  const received = sentValue(call.input, procedure.type === 'mutation');
  if (received === null) return expect([400], 'input is not JSON');
  const user = token.kind === 'valid' ? token.user : null;
  if (!PUBLIC_PATHS.has(call.path) && user === null) return expect([401], `token: ${token.how}`);
  if (procedure.input === null) return domain(world, call.path, user, undefined);
  const sent = received.value;
  // The canonical-forms rule, stated here on its own rather than through the schema under test: an id field
  // is a decimal string without leading zeros, sign or spaces, within int8.
  const id = field(sent, 'alertId');
  if (typeof id === 'string' && (!/^[1-9]\d{0,18}$/.test(id) || BigInt(id) >= 2n ** 63n))
    return expect([400], 'an id not in canonical form');
  const parsed = safeParse(procedure.input, sent);
  if (!parsed.success) return expect([400], 'input the schema refuses');
  const problem = cursorProblem(world, procedure, user, parsed.data);
  if (problem !== null) return expect([400], problem);
  const outcome = domain(world, call.path, user, parsed.data);
  const cursor = field(parsed.data, 'cursor');
  return cursor === null || cursor === undefined ? outcome : { ...outcome, why: 'a next page, with a cursor of the same context' };
}

export function expectRequest(world: World, plan: RequestPlan): Expectation {
  switch (plan.kind) {
    case 'unknown':
      // 400 where the URL itself cannot be decoded.
      return { kind: 'whole', statuses: [400, 404], why: 'no such procedure' };
    case 'batch':
      if (plan.calls.length > MAX_BATCH_SIZE) return { kind: 'whole', statuses: [400], why: 'batch over the limit' };
      return { kind: 'batch', calls: plan.calls.map((call) => expectCall(world, call, plan.token)) };
    case 'single': {
      const type = world.procedures.find((procedure) => procedure.path === plan.call.path)?.type;
      if (plan.wrongMethod) {
        // A POST without a body has no content type either, and tRPC names that first.
        const bodyless = type === 'query' && plan.call.input.kind === 'absent';
        return { kind: 'whole', statuses: bodyless ? [405, 415] : [405], why: 'wrong method' };
      }
      const hasBody = type === 'mutation' && plan.call.input.kind !== 'absent';
      if (hasBody && (plan.contentType === 'application/x-www-form-urlencoded' || plan.contentType === 'none')) {
        return { kind: 'whole', statuses: [415], why: 'a body that is not JSON or text' };
      }
      const { statuses, why } = expectCall(world, plan.call, plan.token);
      return { kind: 'whole', statuses, why };
    }
  }
}

/**
 * Limits that apply before any route runs, whatever the request holds. A body over the body limit is a 400.
 * Node refuses a request whose request line and headers pass 16 KiB (431), so a long query URL gets that; near
 * the limit the exact count depends on header framing, so both answers are allowed there.
 */
export function withTransportLimits(expectation: Expectation, sent: Sent): Expectation {
  // The content type is judged first: a body of a type the server does not parse is a 415 whatever its size.
  const parsed = /^(application\/json|text\/plain)/.test(sent.headers['content-type'] ?? '');
  if (parsed && sent.body !== undefined && Buffer.byteLength(sent.body) > DEFAULT_BODY_LIMIT) {
    return { kind: 'whole', statuses: [400], why: 'body over the limit' };
  }
  const bytes =
    sent.method.length +
    sent.path.length +
    Object.entries(sent.headers).reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
  if (bytes > MAX_HEADER_BYTES + 512) return { kind: 'whole', statuses: [431], why: 'request line and headers over 16 KiB' };
  if (bytes < MAX_HEADER_BYTES - 512) return expectation;
  const statuses = expectation.kind === 'whole' ? expectation.statuses : [200, 207, 400, 401, 404];
  return { kind: 'whole', statuses: [...statuses, 431], why: 'near the 16 KiB header limit' };
}

/** The effect a single call may have (batches carry theirs per call). */
export function singleEffect(world: World, plan: RequestPlan): Effect | null {
  if (plan.kind !== 'single' || plan.wrongMethod) return null;
  const type = world.procedures.find((procedure) => procedure.path === plan.call.path)?.type;
  if (type !== 'mutation' || plan.contentType === 'application/x-www-form-urlencoded' || plan.contentType === 'none') return null;
  return expectCall(world, plan.call, plan.token).effect;
}
