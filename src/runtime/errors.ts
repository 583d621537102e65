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
  | 'SERIALIZATION_FAILURE'
  | 'DATABASE_ERROR';

/** A `:one` query found no row. */
export class NotFoundError extends SqlboundErrorBase {
  readonly code = 'NOT_FOUND';
  override readonly name = 'NotFoundError';
}
/** A `:one` or `:maybe` query returned more than one row: codegen's proof was defeated, never picked silently. */
export class TooManyRowsError extends SqlboundErrorBase {
  readonly code = 'TOO_MANY_ROWS';
  override readonly name = 'TooManyRowsError';
}
/**
 * Why a cursor was refused. `authentication` covers tampering and replay alike (another query, user, filters or
 * secret): the cursor is sealed, so which of them it was cannot be told, by design.
 */
export type InvalidCursorReason = 'malformed' | 'version' | 'authentication' | 'shape';

/** A cursor that is malformed, truncated, tampered with, or issued for another query, user or filters. */
export class InvalidCursorError extends SqlboundErrorBase {
  readonly code = 'INVALID_CURSOR';
  override readonly name = 'InvalidCursorError';
  readonly reason: InvalidCursorReason;
  constructor(message: string, details: ErrorDetails & { reason: InvalidCursorReason }) {
    super(message, details);
    this.reason = details.reason;
  }
}
/** Input the database would reject or that breaks a query's contract (e.g. a limit outside 1..100). */
export class InvalidInputError extends SqlboundErrorBase {
  readonly code = 'INVALID_INPUT';
  override readonly name = 'InvalidInputError';
}
/** No pooled connection became free within the connection timeout. */
export class PoolTimeoutError extends SqlboundErrorBase {
  readonly code = 'POOL_TIMEOUT';
  override readonly name = 'PoolTimeoutError';
}
/** The server cancelled the statement at statement_timeout (SQLSTATE 57014). */
export class StatementTimeoutError extends SqlboundErrorBase {
  readonly code = 'STATEMENT_TIMEOUT';
  override readonly name = 'StatementTimeoutError';
}
/** The database cannot be reached or dropped the connection; retry later. */
export class UnavailableError extends SqlboundErrorBase {
  readonly code = 'UNAVAILABLE';
  override readonly name = 'UnavailableError';
}
export class UniqueViolationError extends SqlboundErrorBase {
  readonly code = 'UNIQUE_VIOLATION';
  override readonly name = 'UniqueViolationError';
}
export class ForeignKeyViolationError extends SqlboundErrorBase {
  readonly code = 'FOREIGN_KEY_VIOLATION';
  override readonly name = 'ForeignKeyViolationError';
}
export class SerializationFailureError extends SqlboundErrorBase {
  readonly code = 'SERIALIZATION_FAILURE';
  override readonly name = 'SerializationFailureError';
}
/** Any other database error, with its SQLSTATE. */
export class DatabaseError extends SqlboundErrorBase {
  readonly code = 'DATABASE_ERROR';
  override readonly name = 'DatabaseError';
}

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
  | SerializationFailureError
  | DatabaseError;

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
 * The original error stays reachable as `cause`.
 */
export function toSqlboundError(error: unknown, queryName: string): SqlboundError {
  if (isSqlboundError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const sqlState = sqlStateOf(error);
  const details: ErrorDetails = { queryName, sqlState, cause: error };
  if (sqlState !== undefined) {
    if (sqlState === '23505') return new UniqueViolationError(`${queryName}: ${message}`, details);
    if (sqlState === '23503') return new ForeignKeyViolationError(`${queryName}: ${message}`, details);
    if (sqlState === '40001' || sqlState === '40P01') {
      return new SerializationFailureError(`${queryName}: ${message}`, details);
    }
    // 57014 is query_canceled: statement_timeout, but also pg_cancel_backend and user cancels.
    if (sqlState === '57014' && message.includes('statement timeout')) {
      return new StatementTimeoutError(`${queryName}: ${message}`, details);
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
