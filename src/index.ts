// sqlbound's public runtime API.
export { createDb, type Db } from './runtime/db.js';
export type { DbOptions, PoolStats, SlowQueryEvent, TimeoutsVia } from './runtime/options.js';
export { InvalidOptionsError } from './runtime/options.js';
export type { Transaction, TransactionOptions, IsolationLevel, AfterCommit } from './runtime/transaction.js';
export { applyRoleTimeouts, roleTimeoutStatements, type RoleTimeouts } from './runtime/role-timeouts.js';
export type { Queryable, Statement, Rows, CallOptions } from './runtime/contract.js';
export {
  NotFoundError,
  TooManyRowsError,
  InvalidCursorError,
  InvalidInputError,
  PoolTimeoutError,
  StatementTimeoutError,
  UnavailableError,
  UniqueViolationError,
  ForeignKeyViolationError,
  SerializationFailureError,
  DatabaseError,
  isSqlboundError,
  toSqlboundError,
  type SqlboundError,
  type SqlboundErrorCode,
} from './runtime/errors.js';
export { MAX_LIMIT, DEFAULT_LIMIT, isLimit, type Limit, type Cursor, type Page } from './runtime/pagination.js';
export { withQueryScope, currentScope, NPlusOneError, type QueryScope, type ScopeOptions, type NPlusOne } from './runtime/scope.js';
export type { JsonValue } from './runtime/json.js';
