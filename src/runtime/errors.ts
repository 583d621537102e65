// Typed errors: every failure a caller can handle has its own class, carrying the query name and SQLSTATE.

export type ErrorDetails = { queryName?: string | undefined; sqlState?: string | undefined; cause?: unknown };

abstract class SqlboundErrorBase extends Error {
  abstract readonly code: SqlboundErrorCode;
  readonly queryName: string | undefined;
  readonly sqlState: string | undefined;
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.queryName = details.queryName;
    this.sqlState = details.sqlState;
  }
}

/**
 * The discriminant of SqlboundError, one per class: match on it exhaustively (ts-pattern), so a new kind of
 * failure is a compile error where errors are handled.
 *
 * @example
 * ```ts
 * import type { SqlboundErrorCode } from 'sqlbound';
 *
 * const retryable: ReadonlySet<SqlboundErrorCode> = new Set(['POOL_TIMEOUT', 'UNAVAILABLE', 'SERIALIZATION_FAILURE']);
 * ```
 */
export type SqlboundErrorCode =
  | 'NOT_FOUND'
  | 'TOO_MANY_ROWS'
  | 'INVALID_CURSOR'
  | 'INVALID_INPUT'
  | 'POOL_TIMEOUT'
  | 'STATEMENT_TIMEOUT'
  | 'UNAVAILABLE'
  | 'UNIQUE_VIOLATION'
  | 'FOREIGN_KEY_VIOLATION'
  | 'CHECK_VIOLATION'
  | 'NOT_NULL_VIOLATION'
  | 'EXCLUSION_VIOLATION'
  | 'SERIALIZATION_FAILURE'
  | 'DATABASE_ERROR';

/**
 * A `:one` query found no row. A query that may legitimately find none is declared `:maybe` and returns null.
 *
 * @example
 * ```ts
 * import type { FastifyReply } from 'fastify';
 * import { NotFoundError } from 'sqlbound';
 * import { getProfile } from './generated/index.js';
 *
 * declare const userId: string, reply: FastifyReply;
 * try {
 *   await getProfile(db, { userId });
 * } catch (error) {
 *   if (error instanceof NotFoundError) reply.status(404).send({ error: 'no such user' });
 *   else throw error;
 * }
 * ```
 */
export class NotFoundError extends SqlboundErrorBase {
  readonly code = 'NOT_FOUND';
  override readonly name = 'NotFoundError';
}
/**
 * A `:one` or `:maybe` query returned more than one row: codegen's proof was defeated (a dropped unique index,
 * say), and picking a row silently would hide that bug. Treat it as a server error.
 *
 * @example
 * ```ts
 * import { TooManyRowsError } from 'sqlbound';
 *
 * const status = (error: unknown) => (error instanceof TooManyRowsError ? 500 : undefined);
 * ```
 */
export class TooManyRowsError extends SqlboundErrorBase {
  readonly code = 'TOO_MANY_ROWS';
  override readonly name = 'TooManyRowsError';
}
/**
 * Why a cursor was refused. `authentication` covers tampering and replay alike (another query, user, filters or
 * secret): the cursor is sealed, so which of them it was cannot be told, by design.
 *
 * @example
 * ```ts
 * import { InvalidCursorError, type InvalidCursorReason } from 'sqlbound';
 *
 * declare const error: unknown;
 * const reason: InvalidCursorReason | undefined = error instanceof InvalidCursorError ? error.reason : undefined;
 * ```
 */
export type InvalidCursorReason = 'malformed' | 'version' | 'authentication' | 'shape';

/**
 * A cursor that is malformed, truncated, tampered with, or issued for another query, user or filters. Thrown
 * before any SQL runs, so a client's bad cursor is a 400, never a database error.
 *
 * @example
 * ```ts
 * import { InvalidCursorError, type Cursor } from 'sqlbound';
 * import { listAlerts } from './generated/index.js';
 *
 * async function alertsPage(userId: string, cursor: Cursor<'listAlerts'> | null) {
 *   try {
 *     return await listAlerts(db, { userId, limit: 50, cursor });
 *   } catch (error) {
 *     if (error instanceof InvalidCursorError) throw new RangeError(`invalid cursor (${error.reason})`); // a 400
 *     throw error;
 *   }
 * }
 * ```
 */
export class InvalidCursorError extends SqlboundErrorBase {
  readonly code = 'INVALID_CURSOR';
  override readonly name = 'InvalidCursorError';
  readonly reason: InvalidCursorReason;
  constructor(message: string, details: ErrorDetails & { reason: InvalidCursorReason }) {
    super(message, details);
    this.reason = details.reason;
  }
}
/**
 * Input the database would reject (SQLSTATE class 22: a value too long, an invalid enum label) or that breaks a
 * query's contract (e.g. a limit outside 1..100). The caller's fault: a 400, not a 500.
 *
 * @example
 * ```ts
 * import { InvalidInputError } from 'sqlbound';
 * import { updateProfile } from './generated/index.js';
 *
 * declare const userId: string;
 * await updateProfile(db, { userId, fullName: 'x'.repeat(10_000) }).catch((error: unknown) => {
 *   if (error instanceof InvalidInputError) return null; // the column's length limit refused it
 *   throw error;
 * });
 * ```
 */
export class InvalidInputError extends SqlboundErrorBase {
  readonly code = 'INVALID_INPUT';
  override readonly name = 'InvalidInputError';
}
/**
 * No pooled connection became free within `connectionTimeoutMillis`: the pool, not the SQL, is saturated.
 * Shed load (503) rather than queue further.
 *
 * @example
 * ```ts
 * import { PoolTimeoutError } from 'sqlbound';
 *
 * const retryAfterSeconds = (error: unknown) => (error instanceof PoolTimeoutError ? 1 : undefined);
 * ```
 */
export class PoolTimeoutError extends SqlboundErrorBase {
  readonly code = 'POOL_TIMEOUT';
  override readonly name = 'PoolTimeoutError';
}
/**
 * The server cancelled the statement at statement_timeout (SQLSTATE 57014). Other cancellations with that code
 * (pg_cancel_backend) are DatabaseErrors: only the timeout means "too slow".
 *
 * @example
 * ```ts
 * import { StatementTimeoutError } from 'sqlbound';
 *
 * const status = (error: unknown) => (error instanceof StatementTimeoutError ? 504 : 500);
 * ```
 */
export class StatementTimeoutError extends SqlboundErrorBase {
  readonly code = 'STATEMENT_TIMEOUT';
  override readonly name = 'StatementTimeoutError';
}
/**
 * The database cannot be reached or dropped the connection (socket errors, SQLSTATE class 08, shutdowns, too
 * many connections); retry later. The connection it came from is destroyed, not returned to the pool.
 *
 * @example
 * ```ts
 * import { UnavailableError } from 'sqlbound';
 *
 * const ready = await db.execute({ name: 'ready', text: 'SELECT 1' }, []).then(
 *   () => true,
 *   (error: unknown) => (error instanceof UnavailableError ? false : Promise.reject(error)),
 * );
 * ```
 */
export class UnavailableError extends SqlboundErrorBase {
  readonly code = 'UNAVAILABLE';
  override readonly name = 'UnavailableError';
}
/**
 * Where an integrity violation happened, as PostgreSQL reports it (its error fields `constraint`, `schema`,
 * `table`, `column`): names only, never the values of the refused row, which stay in the driver's `detail` on
 * `cause`. A field the server did not send is undefined (a not-null violation names its column and table, not
 * always a constraint).
 *
 * @example
 * ```ts
 * import type { IntegrityFields } from 'sqlbound';
 *
 * const where: IntegrityFields = { constraint: 'users_email_key', schema: 'public', table: 'users', column: undefined };
 * ```
 */
export type IntegrityFields = {
  readonly constraint: string | undefined;
  readonly schema: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
};

/** The integrity classes share their fields; each is still its own class with its own `code`. */
abstract class IntegrityViolationBase extends SqlboundErrorBase implements IntegrityFields {
  readonly constraint: string | undefined;
  readonly schema: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  constructor(message: string, details: ErrorDetails & Partial<IntegrityFields> = {}) {
    super(message, details);
    this.constraint = details.constraint;
    this.schema = details.schema;
    this.table = details.table;
    this.column = details.column;
  }
}

/**
 * A unique constraint refused the write (SQLSTATE 23505): usually a conflict to report, e.g. an e-mail already
 * taken. `constraint` names the unique index or constraint; the duplicate value is not copied into the error.
 *
 * @example
 * ```ts
 * import { UniqueViolationError } from 'sqlbound';
 *
 * declare const error: unknown;
 * if (error instanceof UniqueViolationError && error.constraint === 'users_email_key') console.log('e-mail taken'); // a 409
 * ```
 */
export class UniqueViolationError extends IntegrityViolationBase {
  readonly code = 'UNIQUE_VIOLATION';
  override readonly name = 'UniqueViolationError';
}

/**
 * Which end of a foreign key a refused write was on. `referencing`: the written row refers to a row that does not
 * exist (an insert or update of the referencing table: the caller's input is wrong). `referenced`: a row that
 * others still refer to was deleted, or its key changed (a conflict with the state of the data).
 *
 * @example
 * ```ts
 * import { ForeignKeyViolationError, type ForeignKeySide } from 'sqlbound';
 *
 * declare const error: unknown;
 * const side: ForeignKeySide | undefined = error instanceof ForeignKeyViolationError ? error.side : undefined;
 * ```
 */
export type ForeignKeySide = 'referencing' | 'referenced';

/**
 * A foreign key refused the write (SQLSTATE 23503). `side` says whether the row refers to a missing row
 * (`referencing`) or is still referred to (`referenced`, on delete); `table` is the referencing table in both
 * cases, as PostgreSQL reports it.
 *
 * @example
 * ```ts
 * import { ForeignKeyViolationError } from 'sqlbound';
 *
 * const status = (error: unknown) => (error instanceof ForeignKeyViolationError ? (error.side === 'referenced' ? 409 : 400) : 500);
 * ```
 */
export class ForeignKeyViolationError extends IntegrityViolationBase {
  readonly code = 'FOREIGN_KEY_VIOLATION';
  override readonly name = 'ForeignKeyViolationError';
  readonly side: ForeignKeySide;
  constructor(message: string, details: ErrorDetails & Partial<IntegrityFields> & { side?: ForeignKeySide } = {}) {
    super(message, details);
    this.side = details.side ?? 'referencing';
  }
}

/**
 * A CHECK constraint refused the row (SQLSTATE 23514): a value outside what the table allows, the caller's fault.
 * `constraint` names the check; a domain's check reports the domain's constraint and no table.
 *
 * @example
 * ```ts
 * import { CheckViolationError } from 'sqlbound';
 *
 * const status = (error: unknown) => (error instanceof CheckViolationError ? 400 : 500);
 * ```
 */
export class CheckViolationError extends IntegrityViolationBase {
  readonly code = 'CHECK_VIOLATION';
  override readonly name = 'CheckViolationError';
}

/**
 * A NOT NULL column got a null (SQLSTATE 23502): `column` and `table` name it.
 *
 * @example
 * ```ts
 * import { NotNullViolationError } from 'sqlbound';
 *
 * declare const error: unknown;
 * if (error instanceof NotNullViolationError) console.log(`${error.table ?? '?'}.${error.column ?? '?'} is required`); // a 400
 * ```
 */
export class NotNullViolationError extends IntegrityViolationBase {
  readonly code = 'NOT_NULL_VIOLATION';
  override readonly name = 'NotNullViolationError';
}

/**
 * An exclusion constraint refused the row (SQLSTATE 23P01): it overlaps a row already there, e.g. two bookings
 * of one room whose `tstzrange`s intersect. A conflict, like a unique violation.
 *
 * @example
 * ```ts
 * import { ExclusionViolationError } from 'sqlbound';
 *
 * const status = (error: unknown) => (error instanceof ExclusionViolationError ? 409 : 500);
 * ```
 */
export class ExclusionViolationError extends IntegrityViolationBase {
  readonly code = 'EXCLUSION_VIOLATION';
  override readonly name = 'ExclusionViolationError';
}
/**
 * A serialization failure or deadlock (SQLSTATE 40001, 40P01). db.transaction already retries these
 * (`transactionRetries`); seeing one means the retries ran out, or the statement ran outside a transaction.
 *
 * @example
 * ```ts
 * import type { FastifyReply } from 'fastify';
 * import { SerializationFailureError, type Transaction } from 'sqlbound';
 * import type { DB } from './generated/db.js';
 *
 * declare const reply: FastifyReply, transfer: (tx: Transaction<DB>) => Promise<void>;
 * await db.transaction(transfer, { isolationLevel: 'serializable' }).catch((error: unknown) => {
 *   if (error instanceof SerializationFailureError) return reply.status(409).send({ error: 'busy; retry' });
 *   throw error;
 * });
 * ```
 */
export class SerializationFailureError extends SqlboundErrorBase {
  readonly code = 'SERIALIZATION_FAILURE';
  override readonly name = 'SerializationFailureError';
}
/**
 * Any other database error, with its SQLSTATE. Its message may hold SQL details: log it, do not send it to clients.
 *
 * @example
 * ```ts
 * import type { Logger } from 'pino';
 * import { DatabaseError } from 'sqlbound';
 *
 * declare const error: unknown, logger: Logger;
 * if (error instanceof DatabaseError) logger.error({ query: error.queryName, sqlState: error.sqlState, err: error }, 'query failed');
 * ```
 */
export class DatabaseError extends SqlboundErrorBase {
  readonly code = 'DATABASE_ERROR';
  override readonly name = 'DatabaseError';
}

/**
 * Every error the runtime throws from a query: a union discriminated by `code`, each with `queryName` and
 * `sqlState`, and the driver's error as `cause`.
 *
 * @example
 * ```ts
 * import type { SqlboundError } from 'sqlbound';
 * import { match } from 'ts-pattern';
 *
 * const httpStatus = (error: SqlboundError): number =>
 *   match(error)
 *     .with({ code: 'NOT_FOUND' }, () => 404)
 *     .with({ code: 'INVALID_CURSOR' }, { code: 'INVALID_INPUT' }, { code: 'CHECK_VIOLATION' }, { code: 'NOT_NULL_VIOLATION' }, () => 400)
 *     .with({ code: 'FOREIGN_KEY_VIOLATION', side: 'referencing' }, () => 400)
 *     .with({ code: 'FOREIGN_KEY_VIOLATION', side: 'referenced' }, () => 409)
 *     .with({ code: 'UNIQUE_VIOLATION' }, { code: 'EXCLUSION_VIOLATION' }, { code: 'SERIALIZATION_FAILURE' }, () => 409)
 *     .with({ code: 'POOL_TIMEOUT' }, { code: 'UNAVAILABLE' }, () => 503)
 *     .with({ code: 'STATEMENT_TIMEOUT' }, () => 504)
 *     .with({ code: 'TOO_MANY_ROWS' }, { code: 'DATABASE_ERROR' }, () => 500)
 *     .exhaustive();
 * ```
 */
export type SqlboundError =
  | NotFoundError
  | TooManyRowsError
  | InvalidCursorError
  | InvalidInputError
  | PoolTimeoutError
  | StatementTimeoutError
  | UnavailableError
  | UniqueViolationError
  | ForeignKeyViolationError
  | CheckViolationError
  | NotNullViolationError
  | ExclusionViolationError
  | SerializationFailureError
  | DatabaseError;

/**
 * Narrows an unknown thrown value to SqlboundError, for the catch blocks and error handlers that see every error.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { isSqlboundError } from 'sqlbound';
 *
 * const app = Fastify();
 * app.setErrorHandler((error, _request, reply) => {
 *   if (isSqlboundError(error) && error.code === 'NOT_FOUND') return reply.status(404).send({ error: 'not found' });
 *   return reply.status(500).send({ error: 'internal server error' });
 * });
 * ```
 */
export function isSqlboundError(error: unknown): error is SqlboundError {
  return error instanceof SqlboundErrorBase;
}

// ---------------------------------------------------------------------------------------------------------------
// Mapping driver errors (pg, pg-pool, node:net) to the typed errors above.

/** Node socket error codes that mean the server cannot be reached or dropped the connection. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Messages pg uses for connection failures that carry no code. */
const CONNECTION_ERROR_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection ended',
  'connect ECONNREFUSED',
];

const POOL_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';

function property(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

function stringProperty(value: unknown, key: string): string | undefined {
  const found = property(value, key);
  return typeof found === 'string' ? found : undefined;
}

/** The SQLSTATE of a server error, or undefined for client-side and socket errors. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = stringProperty(error, 'code');
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when the error is a socket error (also inside an AggregateError from dual-stack connects). */
function isSocketFailure(error: unknown): boolean {
  const code = stringProperty(error, 'code');
  if (code !== undefined && CONNECTION_ERROR_CODES.has(code)) return true;
  const nested = property(error, 'errors');
  return Array.isArray(nested) && nested.some((inner) => isSocketFailure(inner));
}

/** The names PostgreSQL attaches to an integrity error (pg copies its fields onto the error object). */
function integrityFields(error: unknown): IntegrityFields {
  return {
    constraint: stringProperty(error, 'constraint'),
    schema: stringProperty(error, 'schema'),
    table: stringProperty(error, 'table'),
    column: stringProperty(error, 'column'),
  };
}

/**
 * Which end of the key a 23503 came from. PostgreSQL sends no field for it, only the message: in English it starts
 * "insert or update on table" (referencing) or "update or delete on table" (referenced). In a translated message,
 * the referenced case names the referenced table first, while the `table` field is always the referencing one.
 */
function foreignKeySide(message: string, table: string | undefined): ForeignKeySide {
  if (message.startsWith('update or delete on table')) return 'referenced';
  if (message.startsWith('insert or update on table')) return 'referencing';
  const first = /"([^"]+)"/.exec(message)?.[1];
  return first !== undefined && table !== undefined && first !== table ? 'referenced' : 'referencing';
}

/** Class 23 (integrity constraint violation) by SQLSTATE; null for the codes without a class of their own. */
function integrityViolation(
  error: unknown,
  sqlState: string,
  serverMessage: string,
  message: string,
  details: ErrorDetails,
): SqlboundError | null {
  const fields = { ...details, ...integrityFields(error) };
  if (sqlState === '23505') return new UniqueViolationError(message, fields);
  if (sqlState === '23503') return new ForeignKeyViolationError(message, { ...fields, side: foreignKeySide(serverMessage, fields.table) });
  if (sqlState === '23514') return new CheckViolationError(message, fields);
  if (sqlState === '23502') return new NotNullViolationError(message, fields);
  if (sqlState === '23P01') return new ExclusionViolationError(message, fields);
  return null;
}

const STARTUP_PARAMETER_HINT =
  "a pooler such as PgBouncer refuses startup parameters: set timeoutsVia: 'none' (SQLBOUND_TIMEOUTS_VIA=none) and " +
  'put statement_timeout and idle_in_transaction_session_timeout on the role (ALTER ROLE ... SET)';

function isConnectionSqlState(sqlState: string): boolean {
  return (
    sqlState.startsWith('08') || // connection exception
    sqlState === '57P01' || // admin_shutdown (pg_terminate_backend, fast shutdown)
    sqlState === '57P02' || // crash_shutdown
    sqlState === '57P03' || // cannot_connect_now (starting up / shutting down)
    sqlState === '53300' // too_many_connections
  );
}

/**
 * True when the connection that raised this error can no longer be trusted and must be destroyed, not pooled:
 * socket errors, FATAL/PANIC server errors, and anything that is not a server error at all.
 */
export function isConnectionBroken(error: unknown): boolean {
  if (isSqlboundError(error)) {
    if (error instanceof UnavailableError) return true;
    return error.cause !== undefined && isConnectionBroken(error.cause);
  }
  const sqlState = sqlStateOf(error);
  if (sqlState === undefined) return true;
  if (isConnectionSqlState(sqlState)) return true;
  const severity = stringProperty(error, 'severity');
  return severity === 'FATAL' || severity === 'PANIC';
}

/**
 * Maps anything thrown by pg, pg-pool, pg-cursor or the socket to one typed error; already typed errors pass through.
 * The original error stays reachable as `cause`. The runtime applies it to every call; use it for a pg client of
 * your own, so its failures are handled like the rest.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { toSqlboundError } from 'sqlbound';
 *
 * const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
 * await client.connect();
 * try {
 *   await client.query("INSERT INTO users (email, full_name) VALUES ('a@b.c', 'A')");
 * } catch (error) {
 *   throw toSqlboundError(error, 'insertUser'); // e.g. UniqueViolationError, message 'insertUser: duplicate key ...'
 * }
 * ```
 */
export function toSqlboundError(error: unknown, queryName: string): SqlboundError {
  if (isSqlboundError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const sqlState = sqlStateOf(error);
  const details: ErrorDetails = { queryName, sqlState, cause: error };
  if (sqlState !== undefined) {
    if (sqlState.startsWith('23')) {
      const integrity = integrityViolation(error, sqlState, message, `${queryName}: ${message}`, details);
      if (integrity !== null) return integrity;
    }
    if (sqlState === '40001' || sqlState === '40P01') {
      return new SerializationFailureError(`${queryName}: ${message}`, details);
    }
    // 57014 is query_canceled: statement_timeout, but also pg_cancel_backend and user cancels.
    if (sqlState === '57014' && message.includes('statement timeout')) {
      return new StatementTimeoutError(`${queryName}: ${message}`, details);
    }
    if (message.includes('unsupported startup parameter')) {
      // PgBouncer in transaction mode refuses `options`; without this hint the 503 looks like an outage.
      return new UnavailableError(`${queryName}: ${message} (${STARTUP_PARAMETER_HINT})`, details);
    }
    if (isConnectionSqlState(sqlState)) return new UnavailableError(`${queryName}: ${message}`, details);
    if (sqlState.startsWith('22')) return new InvalidInputError(`${queryName}: ${message}`, details);
    return new DatabaseError(`${queryName}: ${message}`, details);
  }
  if (message.includes(POOL_TIMEOUT_MESSAGE)) {
    return new PoolTimeoutError(`${queryName}: no pooled connection became free in time (${message})`, details);
  }
  if (isSocketFailure(error) || CONNECTION_ERROR_MESSAGES.some((fragment) => message.includes(fragment))) {
    return new UnavailableError(`${queryName}: database unavailable (${message})`, details);
  }
  return new DatabaseError(`${queryName}: ${message}`, details);
}
