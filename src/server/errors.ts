// The one place where database failures become HTTP answers. Exhaustive: a new SqlboundError kind does not
// compile until it is given a status here.
import { TRPCError } from '@trpc/server';
import { match } from 'ts-pattern';
import type { IntegrityFields, SqlboundError } from 'sqlbound';

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
      // Integrity violations name the constraint (never the refused values): a client can tell which rule it broke.
      // A conflict with the data as it stands is a 409; a row the caller should not have sent, a 400.
      .with(
        { code: 'UNIQUE_VIOLATION' },
        (e) => new TRPCError({ code: 'CONFLICT', message: `conflicts with an existing record${named('unique constraint', e)}`, cause: e }),
      )
      .with(
        { code: 'EXCLUSION_VIOLATION' },
        (e) => new TRPCError({ code: 'CONFLICT', message: `overlaps an existing record${named('exclusion constraint', e)}`, cause: e }),
      )
      .with(
        { code: 'FOREIGN_KEY_VIOLATION', side: 'referenced' },
        (e) => new TRPCError({ code: 'CONFLICT', message: `other records still refer to this one${named('foreign key', e)}`, cause: e }),
      )
      .with(
        { code: 'FOREIGN_KEY_VIOLATION', side: 'referencing' },
        (e) =>
          new TRPCError({ code: 'BAD_REQUEST', message: `refers to a record that does not exist${named('foreign key', e)}`, cause: e }),
      )
      .with(
        { code: 'CHECK_VIOLATION' },
        (e) => new TRPCError({ code: 'BAD_REQUEST', message: `invalid value${named('check constraint', e)}`, cause: e }),
      )
      .with(
        { code: 'NOT_NULL_VIOLATION' },
        (e) => new TRPCError({ code: 'BAD_REQUEST', message: `missing value${column(e)}${named('constraint', e)}`, cause: e }),
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

/** ` (unique constraint users_email_key)`: the constraint PostgreSQL named, or nothing when it named none. */
function named(what: string, error: IntegrityFields): string {
  return error.constraint === undefined ? '' : ` (${what} ${error.constraint})`;
}

/** ` for users.full_name`: the column a not-null violation names. */
function column(error: IntegrityFields): string {
  if (error.column === undefined) return '';
  return error.table === undefined ? ` for ${error.column}` : ` for ${error.table}.${error.column}`;
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
