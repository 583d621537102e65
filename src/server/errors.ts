// The one place where database failures become HTTP answers. Exhaustive: a new SqlboundError kind does not
// compile until it is given a status here.
import { TRPCError } from '@trpc/server';
import { match } from 'ts-pattern';
import type { SqlboundError } from 'sqlbound';

/** Seconds a client should wait before retrying a 503; the pool's connection timeout is of the same order. */
export const RETRY_AFTER_SECONDS = 5;

export function toTRPCError(error: SqlboundError): TRPCError {
  return (
    match(error)
      .with({ code: 'NOT_FOUND' }, (e) => new TRPCError({ code: 'NOT_FOUND', message: 'not found', cause: e }))
      .with(
        { code: 'INVALID_CURSOR' },
        (e) =>
          new TRPCError({
            code: 'BAD_REQUEST',
            message: 'invalid cursor: pass a nextCursor returned by this procedure, or null for the first page',
            cause: e,
          }),
      )
      // The database's own words (e.g. "value too long for type ...") are the clearest message here.
      .with(
        { code: 'INVALID_INPUT' },
        (e) => new TRPCError({ code: 'BAD_REQUEST', message: `invalid input: ${stripQueryName(e)}`, cause: e }),
      )
      .with(
        { code: 'POOL_TIMEOUT' },
        { code: 'UNAVAILABLE' },
        (e) => new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'the database is unavailable; retry later', cause: e }),
      )
      .with(
        { code: 'STATEMENT_TIMEOUT' },
        (e) => new TRPCError({ code: 'GATEWAY_TIMEOUT', message: 'the database did not answer in time', cause: e }),
      )
      .with(
        { code: 'UNIQUE_VIOLATION' },
        (e) => new TRPCError({ code: 'CONFLICT', message: 'conflicts with an existing record', cause: e }),
      )
      .with(
        { code: 'FOREIGN_KEY_VIOLATION' },
        (e) => new TRPCError({ code: 'CONFLICT', message: 'refers to a record that does not exist', cause: e }),
      )
      .with(
        { code: 'SERIALIZATION_FAILURE' },
        (e) => new TRPCError({ code: 'CONFLICT', message: 'a concurrent change conflicted; retry', cause: e }),
      )
      // A bug (TOO_MANY_ROWS defeats a codegen proof) or an unknown server error: no SQL details leave the server.
      .with(
        { code: 'TOO_MANY_ROWS' },
        { code: 'DATABASE_ERROR' },
        (e) => new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'internal server error', cause: e }),
      )
      .exhaustive()
  );
}

/** Runtime messages start with `<queryName>: `; clients need the reason, not our query names. */
function stripQueryName(error: SqlboundError): string {
  const prefix = error.queryName === undefined ? '' : `${error.queryName}: `;
  return prefix !== '' && error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/** Whether a tRPC error code asks the client to come back later (answered with Retry-After). */
export function isRetryLater(code: TRPCError['code']): boolean {
  return code === 'SERVICE_UNAVAILABLE';
}
