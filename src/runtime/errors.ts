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
/** A cursor that is malformed, truncated, tampered with or issued by another query. */
export class InvalidCursorError extends SqlboundErrorBase {
  readonly code = 'INVALID_CURSOR';
  override readonly name = 'InvalidCursorError';
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
