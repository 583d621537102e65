// The batch limit. One HTTP request of a tRPC batch (`?batch=1`) runs one statement per call, all at once: an
// unbounded batch lets one request take every pooled connection, so batches are bounded. tRPC's httpBatchLink
// sends every call made in the same tick in one batch unless told `maxItems`, so the refusal names the fix.
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * At most this many calls per batch. 20 is the pool's default size: one request never needs more than one
 * pool's worth of connections, and a dashboard page makes a handful of calls.
 */
export const MAX_BATCH_SIZE = 20;

function batchLimitMessage(calls: number): string {
  return `batch of ${calls} calls exceeds the limit of ${MAX_BATCH_SIZE} calls per request: send at most ${MAX_BATCH_SIZE} (httpBatchLink's maxItems: ${MAX_BATCH_SIZE})`;
}

/** The number of calls a request to `<prefix>/<a>,<b>,...?batch=1` carries, or null when it is not a batch. */
function batchCalls(prefix: string, url: string): number | null {
  if (!url.startsWith(`${prefix}/`)) return null;
  const query = url.indexOf('?');
  if (query === -1 || new URLSearchParams(url.slice(query + 1)).get('batch') !== '1') return null;
  // A percent-encoded comma separates calls too once the router has decoded the path.
  return url.slice(prefix.length + 1, query).split(/,|%2c/i).length;
}

/** A request guard (app.ts): a batch over the limit costs nothing but this answer (true: answered). */
export function batchGuard(prefix: string, request: FastifyRequest, reply: FastifyReply): boolean {
  const calls = batchCalls(prefix, request.url);
  if (calls === null || calls <= MAX_BATCH_SIZE) return false;
  void reply.code(400).send(batchRefusal(calls));
  return true;
}

/** Past this many calls an over-limit batch gets one error object, so a tiny request cannot ask for a big answer. */
const MAX_ERRORS_PER_REFUSAL = 10 * MAX_BATCH_SIZE;

/**
 * The 400 body for an over-limit batch: one tRPC error per call, as httpBatchLink expects of a batch, so that
 * every caller gets this message (a lone error object reads as "Unable to transform response from server").
 */
function batchRefusal(calls: number): unknown {
  const error = { message: batchLimitMessage(calls), code: -32600, data: { code: 'BAD_REQUEST', httpStatus: 400 } };
  return calls <= MAX_ERRORS_PER_REFUSAL ? Array.from({ length: calls }, () => ({ error })) : { error };
}
