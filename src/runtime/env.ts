// The one place the runtime reads environment variables, and only when asked: optionsFromEnv() turns SQLBOUND_*
// variables into createDb options. An invalid value is an InvalidOptionsError that names the variable.
import { pino } from 'pino';
import { InvalidOptionsError, type DbOptions, type TimeoutsVia } from './options.js';

/**
 * The prefix of every variable optionsFromEnv reads, so the runtime's settings cannot collide with an
 * application's own (`DATABASE_URL` is read as `SQLBOUND_DATABASE_URL`).
 *
 * @example
 * ```ts
 * import { ENV_PREFIX } from 'sqlbound';
 *
 * process.env[`${ENV_PREFIX}POOL_MAX`] = '10'; // SQLBOUND_POOL_MAX
 * ```
 */
export const ENV_PREFIX = 'SQLBOUND_';

type Env = Readonly<Record<string, string | undefined>>;

/** Variable (without the prefix) for each option read from the environment; documented in docs/runtime.md. */
const INTEGERS = {
  max: 'POOL_MAX',
  connectionTimeoutMillis: 'CONNECTION_TIMEOUT_MS',
  idleTimeoutMillis: 'IDLE_TIMEOUT_MS',
  maxLifetimeSeconds: 'MAX_LIFETIME_SECONDS',
  statementTimeoutMs: 'STATEMENT_TIMEOUT_MS',
  idleInTransactionTimeoutMs: 'IDLE_IN_TRANSACTION_TIMEOUT_MS',
  slowQueryWarnMs: 'SLOW_QUERY_WARN_MS',
  slowQueryErrorMs: 'SLOW_QUERY_ERROR_MS',
  slowQueryLogSize: 'SLOW_QUERY_LOG_SIZE',
  failureLogIntervalMs: 'FAILURE_LOG_INTERVAL_MS',
  slowQueryLogIntervalMs: 'SLOW_QUERY_LOG_INTERVAL_MS',
  transactionRetries: 'TRANSACTION_RETRIES',
  replicaMaxLagMs: 'REPLICA_MAX_LAG_MS',
  replicaCheckIntervalMs: 'REPLICA_CHECK_INTERVAL_MS',
  readYourWritesMs: 'READ_YOUR_WRITES_MS',
} as const satisfies Partial<Record<keyof DbOptions, string>>;

const BOOLEANS = {
  keepAlive: 'KEEP_ALIVE',
  preparedStatements: 'PREPARED_STATEMENTS',
  logParameters: 'LOG_PARAMETERS',
} as const satisfies Partial<Record<keyof DbOptions, string>>;

function read(env: Env, name: string): string | undefined {
  const value = env[`${ENV_PREFIX}${name}`]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string): number | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) throw new InvalidOptionsError(`${ENV_PREFIX}${name}=${raw}: expected an integer`);
  return Number(raw);
}

function boolean(env: Env, name: string): boolean | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (['1', 'true', 'on', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'off', 'no'].includes(raw.toLowerCase())) return false;
  throw new InvalidOptionsError(`${ENV_PREFIX}${name}=${raw}: expected true or false`);
}

/**
 * createDb options from `SQLBOUND_*` environment variables; a variable that is unset leaves its option to the
 * default. Spread it under your own options, which win.
 *
 * @example
 * ```ts
 * import { createDb, optionsFromEnv } from 'sqlbound';
 * import type { DB } from './generated/db.js';
 *
 * // SQLBOUND_DATABASE_URL=postgres://app@db/app SQLBOUND_POOL_MAX=10 node server.js
 * const db = createDb<DB>({ ...optionsFromEnv(), applicationName: 'api' });
 * ```
 */
export function optionsFromEnv(env: Env = process.env): DbOptions {
  const options: DbOptions = {};
  const url = read(env, 'DATABASE_URL');
  if (url !== undefined) options.connectionString = url;
  for (const [option, name] of Object.entries(INTEGERS) as [keyof typeof INTEGERS, string][]) {
    const value = integer(env, name);
    if (value !== undefined) options[option] = value;
  }
  for (const [option, name] of Object.entries(BOOLEANS) as [keyof typeof BOOLEANS, string][]) {
    const value = boolean(env, name);
    if (value !== undefined) options[option] = value;
  }
  const applicationName = read(env, 'APPLICATION_NAME');
  if (applicationName !== undefined) options.applicationName = applicationName;
  const timeoutsVia = read(env, 'TIMEOUTS_VIA');
  if (timeoutsVia !== undefined) {
    if (timeoutsVia !== 'startup' && timeoutsVia !== 'none') {
      throw new InvalidOptionsError(`${ENV_PREFIX}TIMEOUTS_VIA=${timeoutsVia}: expected startup or none`);
    }
    options.timeoutsVia = timeoutsVia satisfies TimeoutsVia;
  }
  // Comma-separated replica URLs; pools named replica1, replica2, ... in order.
  const replicaUrls = read(env, 'REPLICA_URLS');
  if (replicaUrls !== undefined) {
    options.replicas = replicaUrls
      .split(',')
      .map((url) => url.trim())
      .filter((url) => url !== '')
      .map((connectionString, index) => ({ connectionString, name: `replica${index + 1}` }));
  }
  const cursorSecret = read(env, 'CURSOR_SECRET');
  if (cursorSecret !== undefined) options.cursorSecret = cursorSecret;
  const level = read(env, 'LOG_LEVEL');
  if (level !== undefined) {
    if (!Object.hasOwn(pino.levels.values, level) && level !== 'silent') {
      throw new InvalidOptionsError(
        `${ENV_PREFIX}LOG_LEVEL=${level}: expected one of ${Object.keys(pino.levels.values).join(', ')}, silent`,
      );
    }
    options.logger = pino({ name: 'sqlbound', level });
  }
  const cache = read(env, 'CACHE');
  if (cache !== undefined && !['on', 'off'].includes(cache))
    throw new InvalidOptionsError(`${ENV_PREFIX}CACHE=${cache}: expected on or off`);
  const maxItems = integer(env, 'CACHE_MAX_ITEMS');
  const maxBytes = integer(env, 'CACHE_MAX_BYTES');
  if (cache === 'off') options.cache = false;
  else if (maxItems !== undefined || maxBytes !== undefined) {
    options.cache = { ...(maxItems === undefined ? {} : { maxItems }), ...(maxBytes === undefined ? {} : { maxBytes }) };
  }
  return options;
}
