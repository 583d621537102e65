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
