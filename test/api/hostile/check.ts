// The per-response properties: never a 5xx, every 4xx a JSON error with a message, and the status the oracle
// allows (per call inside a batch).
import type { Received } from './harness.js';
import type { CallExpectation, Expectation } from './oracle.js';

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function get(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? Reflect.get(node, key) : undefined), value);
}

/** tRPC's error envelope, `{ error: { message } }`, with a message a person can act on. */
function hasMessage(item: unknown): boolean {
  const message = get(item, 'error', 'message');
  return typeof message === 'string' && message.trim() !== '';
}

function itemStatus(item: unknown): number | null {
  if (get(item, 'result') !== undefined) return 200;
  const status = get(item, 'error', 'data', 'httpStatus');
  return typeof status === 'number' ? status : null;
}

function checkCalls(calls: CallExpectation[], received: Received, body: unknown): string[] {
  if (!Array.isArray(body) || body.length !== calls.length) return [`a batch of ${calls.length} answered ${received.text.slice(0, 200)}`];
  const problems: string[] = [];
  const statuses = body.map(itemStatus);
  statuses.forEach((status, index) => {
    const expected = calls[index];
    if (expected === undefined || status === null || !expected.statuses.includes(status)) {
      problems.push(`call ${index}: expected ${String(expected?.statuses)} (${expected?.why ?? '?'}), got ${String(status)}`);
    }
    if (status !== null && status >= 400 && !hasMessage(body[index])) problems.push(`call ${index}: ${status} without a message`);
  });
  // tRPC's rule: one status when every call agrees, 207 when they differ.
  const overall = statuses.every((status) => status === statuses[0]) ? statuses[0] : 207;
  if (received.status !== overall) problems.push(`batch status ${received.status}, calls say ${String(overall)}`);
  return problems;
}

export function problemsOf(expectation: Expectation, received: Received): string[] {
  const problems: string[] = [];
  if (received.status >= 500) problems.push(`${received.status}: ${received.text.slice(0, 300)}`);
  const body = parse(received.text);
  if (received.status >= 400) {
    const items = Array.isArray(body) ? body : [body];
    if (body === undefined || items.length === 0 || !items.every(hasMessage))
      problems.push(`${received.status} without a JSON error message: ${received.text.slice(0, 200)}`);
  }
  if (expectation.kind === 'batch') return [...problems, ...checkCalls(expectation.calls, received, body)];
  if (!expectation.statuses.includes(received.status)) {
    problems.push(
      `expected ${expectation.statuses.join(' or ')} (${expectation.why}), got ${received.status}: ${received.text.slice(0, 200)}`,
    );
  }
  return problems;
}

/** The status of each call a response answered, for effects: the whole status for a single call. */
export function callStatuses(received: Received): number[] {
  const body = parse(received.text);
  return Array.isArray(body) ? body.map((item) => itemStatus(item) ?? 0) : [received.status];
}
