// `sqlbound`: the runtime. Application code uses createDb, the errors, Limit/Cursor/Page and the request scope;
// generated query modules use the rest ("for generated code" below), always through this one entry point.
export { createDb, type Db } from './db.js';
export type { ReplicaStatus, ReplicaHealth, FallbackReason } from './replicas.js';
export type { ReplicaConfig } from './options.js';
export { parseLsn, formatLsn } from './lsn.js';
export type { WritePositionStore } from './read-your-writes.js';
export {
  checkConnectionBudget,
  serverLimits,
  type ConnectionBudget,
  type ConnectionBudgetInput,
  type BudgetLine,
  type ServerLimits,
} from './budget.js';
export { optionsFromEnv, ENV_PREFIX } from './env.js';
export type { DbOptions, PoolStats, PoolPeaks, SlowQueryEvent, TimeoutsVia } from './options.js';
export type { SlowQueryEntry } from './slow-log.js';
export { InvalidOptionsError } from './options.js';
export type { EmptyDatabase } from './kysely.js';
export type { Transaction, TransactionOptions, IsolationLevel, AfterCommit } from './transaction.js';
export { applyRoleTimeouts, roleTimeoutStatements, type RoleTimeouts } from './role-timeouts.js';
export type { Queryable, Statement, Rows, CallOptions, CachePolicy, WriteEffect, TableTouch, CacheScope, RowShape } from './contract.js';
export { parseTimestamptz } from './timestamptz.js';
export { EVERY_TABLE } from './contract.js';
export { calendarDate, calendarDates, parseCalendarDate } from './calendar-date.js';
export {
  createQueryCache,
  cacheSerializer,
  noteUncachedStatement,
  type Derived,
  type QueryCache,
  type QueryCacheOptions,
  type CacheStats,
  type CacheStore,
} from './cache.js';
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
  CheckViolationError,
  NotNullViolationError,
  ExclusionViolationError,
  SerializationFailureError,
  DatabaseError,
  isSqlboundError,
  toSqlboundError,
  type SqlboundError,
  type SqlboundErrorCode,
  type InvalidCursorReason,
  type IntegrityFields,
  type ForeignKeySide,
} from './errors.js';
export { MAX_LIMIT, DEFAULT_LIMIT, isLimit, type Limit, type Cursor, type Page } from './pagination.js';
export { withQueryScope, currentScope, NPlusOneError, type QueryScope, type ScopeOptions, type NPlusOne } from './scope.js';
export type { JsonValue } from './json.js';
export { jsonDate, jsonList, jsonNumber, jsonString } from './json-text.js';

// For generated code: the shapes every generated function reduces to, and the zod blocks of its input schemas.
// `z` is re-exported so that generated schemas and these blocks share one zod instance.
export { runOne, runMaybe, runList, runExec, runStream, type ListStatements } from './run.js';
export type { ReviveSpec, ReviveField } from './revive.js';
export { int8Input, int4Input, numericInput, jsonInput, limitInput, cursorInput, clientType } from './input.js';
export { z } from 'zod';
// What the generator (@sqlbound/cli) shares with the runtime: how identifiers are spelled, the generated header.
export { quoteIdentifier, readableIdentifier } from './identifier.js';
export { GENERATED_HEADER_PREFIX } from './callsite.js';
// Helpers the runtime uses itself and an application may want for its own logs and shutdown.
export { createLogLimiter, type LogLimiter, type LogLimiterOptions } from './log-limit.js';
export { settlesWithin } from './settle.js';
// The version handshake of generated modules: they call generatedBy when imported; createDb checks it.
export { generatedBy, GeneratedCodeVersionError, SUPPORTED_MANIFEST_VERSIONS, type GeneratedModule } from './generated-code.js';
