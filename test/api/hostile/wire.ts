// How a plan goes on the wire: JSON text (deep values written level by level), the URL or body, the headers.
import fc from 'fast-check';
import { MAX_BATCH_SIZE } from '../../../src/server/batch.js';
import type { Sent } from './harness.js';
import type { InputPlan, RequestPlan, TokenPlan } from './plans.js';

const DEEP = Symbol('deep');
type Deep = { [DEEP]: { depth: number; kind: 'array' | 'object' } };

/**
 * A value nested `depth` levels deep. It stays a marker until it is written as JSON text (jsonText below):
 * building and stringifying thousands of levels of JS objects would overflow the test's own stack first.
 */
export function nested(depth: number, kind: 'array' | 'object'): Deep {
  // fast-check prints a failing case through this method (JSON.stringify ignores symbol keys).
  return { [DEEP]: { depth, kind }, [fc.toStringMethod]: () => `<${kind} ${depth} deep>` } as Deep;
}

function isDeep(value: unknown): value is Deep {
  return typeof value === 'object' && value !== null && DEEP in value;
}

/** JSON.stringify's output, and deep markers written out level by level. */
export function jsonText(value: unknown): string | undefined {
  if (isDeep(value)) {
    const { depth, kind } = value[DEEP];
    return kind === 'array' ? `${'['.repeat(depth)}0${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;
  }
  if (Array.isArray(value)) return `[${value.map((item) => jsonText(item) ?? 'null').join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const fields = Object.keys(value).flatMap((key) => {
      const text = jsonText(Reflect.get(value, key));
      return text === undefined ? [] : [`${JSON.stringify(key)}:${text}`];
    });
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function percentEncoded(bytes: Buffer): string {
  return [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');
}

function inputText(input: InputPlan): string | undefined {
  return input.kind === 'json' ? jsonText(input.value) : undefined;
}

function authHeaders(token: TokenPlan): Record<string, string> {
  return token.kind === 'none' ? {} : { authorization: token.header };
}

/** The HTTP request a plan stands for. */
export function toRequest(plan: RequestPlan, procedureType: (path: string) => 'query' | 'mutation'): Sent {
  const headers = authHeaders(plan.token);
  if (plan.kind === 'unknown') {
    return plan.method === 'GET'
      ? { method: 'GET', path: `/trpc/${plan.path}?input=%7B%7D`, headers }
      : { method: 'POST', path: `/trpc/${plan.path}`, headers: { ...headers, 'content-type': 'application/json' }, body: '{}' };
  }
  if (plan.kind === 'batch') {
    const inputs = Object.fromEntries(
      plan.calls.flatMap((call, index) => (call.input.kind === 'json' ? [[String(index), call.input.value]] : [])),
    );
    const paths = plan.calls.map((call) => call.path).join(',');
    return plan.method === 'GET'
      ? { method: 'GET', path: `/trpc/${paths}?batch=1&input=${encodeURIComponent(jsonText(inputs) ?? '{}')}`, headers }
      : {
          method: 'POST',
          path: `/trpc/${paths}?batch=1`,
          headers: { ...headers, 'content-type': 'application/json' },
          body: jsonText(inputs) ?? '{}',
        };
  }
  const { call } = plan;
  const type = procedureType(call.path);
  const method = (type === 'query') !== plan.wrongMethod ? 'GET' : 'POST';
  if (method === 'GET') {
    const text = inputText(call.input);
    const search =
      call.input.kind === 'raw'
        ? `?input=${percentEncoded(call.input.bytes)}`
        : text === undefined
          ? ''
          : `?input=${encodeURIComponent(text)}`;
    return { method, path: `/trpc/${call.path}${search}`, headers };
  }
  const body = call.input.kind === 'raw' ? call.input.bytes : inputText(call.input);
  const contentType: Record<string, string> = plan.contentType === 'none' ? {} : { 'content-type': plan.contentType };
  return {
    method,
    path: `/trpc/${call.path}`,
    headers: { ...headers, ...(body === undefined ? {} : contentType) },
    ...(body === undefined ? {} : { body }),
  };
}

/** A short label for statistics: what kind of request this was. */
export function labelOf(plan: RequestPlan): string {
  if (plan.kind === 'unknown') return 'unknown procedure';
  if (plan.kind === 'batch')
    return plan.calls.length > MAX_BATCH_SIZE ? 'batch over the limit' : `batch of ${plan.method === 'GET' ? 'queries' : 'mutations'}`;
  if (plan.wrongMethod) return 'wrong method';
  if (plan.token.kind !== 'valid') return `token: ${plan.token.how}`;
  return plan.call.input.kind === 'absent' ? 'no input' : `input: ${plan.call.input.how.split(':')[0] ?? ''}`;
}
