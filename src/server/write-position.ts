// Read-your-writes carried by the client: an answer after a write says, in the `x-sqlbound-lsn` header, the WAL
// position the write reached; a client that sends the header back on its next request reads that write through any
// worker or instance, with no shared store. The header is the position as PostgreSQL prints it ('0/16B3748').
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { formatLsn, parseLsn } from 'sqlbound';
import { trpcShapedError } from './http-errors.js';

export const WRITE_POSITION_HEADER = 'x-sqlbound-lsn';

/** One request's positions: what its client sent (`readAfter`) and what its procedures wrote (`written`). */
export type RequestPosition = { readAfter: bigint | null; written: bigint | null };

const positions = new WeakMap<IncomingMessage, RequestPosition>();

/** The request's record, shared by every procedure of a batch; made on first use. */
export function requestPosition(request: FastifyRequest): RequestPosition {
  let position = positions.get(request.raw);
  if (position === undefined) {
    position = { readAfter: null, written: null };
    positions.set(request.raw, position);
  }
  return position;
}

/** Raises `written` after a procedure: a batch's answer carries the highest position of its procedures. */
export function noteWritten(position: RequestPosition, lsn: bigint | null): void {
  if (lsn !== null && (position.written === null || lsn > position.written)) position.written = lsn;
}

/**
 * A request guard (app.ts): a malformed header is a 400 before any procedure runs (a guess would be a stale read
 * or a full table of primary reads); true says it answered.
 */
export function readWritePosition(request: FastifyRequest, reply: FastifyReply): boolean {
  const raw = request.headers[WRITE_POSITION_HEADER];
  if (raw === undefined) return false;
  const text = Array.isArray(raw) ? raw.join(', ') : raw;
  let lsn: bigint;
  try {
    lsn = parseLsn(text.trim());
  } catch {
    void reply
      .code(400)
      .send(
        trpcShapedError(
          'BAD_REQUEST',
          400,
          `${WRITE_POSITION_HEADER}: expected one WAL position as the API returned it (hex/hex, e.g. 0/16B3748)`,
        ),
      );
    return true;
  }
  requestPosition(request).readAfter = lsn;
  return false;
}

/**
 * onSend, callback style (no promise per response): the highest position the client must read after, whether it
 * sent it or this request wrote it.
 */
export function sendWritePosition(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (error: null, payload: unknown) => void,
): void {
  const position = positions.get(request.raw);
  if (position !== undefined) {
    const { readAfter, written } = position;
    const highest = readAfter === null ? written : written === null || readAfter >= written ? readAfter : written;
    if (highest !== null) void reply.header(WRITE_POSITION_HEADER, formatLsn(highest));
  }
  done(null, payload);
}
