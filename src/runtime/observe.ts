// One place that turns a finished statement into a pino line, metrics and, when slow, the alert hook.
import type { Logger } from 'pino';
import { callSite } from './callsite.js';
import { sqlStateOf, type SqlboundError } from './errors.js';
import type { Metrics } from './metrics.js';
import type { PoolStats, ResolvedOptions, SlowQueryEvent } from './options.js';
import { createLogLimiter } from './log-limit.js';
import { currentScope, recordStatement } from './scope.js';
import type { SlowQueryLog } from './slow-log.js';

export type FinishedCall = {
  queryName: string;
  /** Time spent waiting for a pooled connection; null inside a transaction, which already holds one. */
  waitMs: number | null;
  executionMs: number;
  rows: number;
  error?: SqlboundError | undefined;
  parameters: readonly unknown[];
};

export type Observer = (call: FinishedCall) => void;

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Data exceptions (22xxx) quote the offending input in their message (`invalid input syntax for type bigint: "..."`):
 * without logParameters, quoted text is replaced so that a parameter value never reaches the log.
 */
function redactedMessage(error: SqlboundError, logParameters: boolean): string {
  if (logParameters) return error.message;
  const sqlState = error.sqlState ?? sqlStateOf(error.cause);
  if (sqlState !== undefined && !sqlState.startsWith('22')) return error.message;
  return error.message.replace(/"(?:[^"]|"")*"/g, '"[redacted]"');
}

export function createObserver(
  options: Pick<
    ResolvedOptions,
    'slowQueryWarnMs' | 'slowQueryErrorMs' | 'logParameters' | 'onSlowQuery' | 'failureLogIntervalMs' | 'slowQueryLogIntervalMs'
  >,
  logger: Logger,
  metrics: Metrics,
  stats: () => PoolStats,
  slowLog?: SlowQueryLog,
): Observer {
  const { slowQueryWarnMs, slowQueryErrorMs, logParameters, onSlowQuery } = options;
  // Failures are logged once per distinct (query, error, SQLSTATE) per interval; metrics still count every one.
  const failures = createLogLimiter({
    intervalMs: options.failureLogIntervalMs,
    onQuiet: (key, suppressed) => logger.warn({ failure: key, suppressed }, `${suppressed} more failures like this were not logged`),
  });
  // Slow calls likewise, once per (query, level) per interval. A burst makes every queued call slow at once (1000
  // dashboards through a pool of 20 wait up to a second): a stack capture, a pool snapshot and a log write for
  // each would make every call of the burst slower the more of them are slow. The held-back calls still count,
  // in sqlbound.slow_queries and sqlbound.slow_queries.unlogged, and in `suppressed` on the next line.
  const slowLines = createLogLimiter({
    intervalMs: options.slowQueryLogIntervalMs,
    onQuiet: (key, suppressed) => logger.warn({ slow: key, suppressed }, `${suppressed} more slow calls like this were not logged`),
  });

  /** The fields of a warn or error line; built only for a line that is written (a stack capture is not free). */
  const lineOf = (call: FinishedCall, durationMs: number, waitMs: number, sqlState: string | undefined) => {
    const pool = stats();
    const site = callSite();
    // The request scope names the API procedure (`query alerts.list`) even where the stack cannot: a router that
    // returns a generated call's promise without awaiting it leaves no frame of its own.
    const scope = currentScope()?.name;
    const line = {
      query: call.queryName,
      durationMs: round(durationMs),
      waitMs: round(waitMs),
      executionMs: round(call.executionMs),
      rows: call.rows,
      pool: { total: pool.total, idle: pool.idle, waiting: pool.waiting },
      callSite: site,
      ...(scope === undefined ? {} : { scope }),
      ...(call.error ? { sqlState, errorCode: call.error.code, error: redactedMessage(call.error, logParameters) } : {}),
      ...(logParameters ? { parameters: call.parameters } : {}),
    };
    return { line, pool, site, scope };
  };

  const logSlow = (call: FinishedCall, level: 'warn' | 'error', durationMs: number, waitMs: number, suppressed: number) => {
    const sqlState = call.error ? (call.error.sqlState ?? sqlStateOf(call.error.cause)) : undefined;
    const { line, pool, site, scope } = lineOf(call, durationMs, waitMs, sqlState);
    const message = `slow query ${call.queryName}`;
    const written = suppressed > 0 ? { ...line, suppressed } : line;
    if (level === 'error') logger.error(written, message);
    else logger.warn(written, message);
    slowLog?.record({
      at: new Date(),
      queryName: call.queryName,
      level,
      durationMs: round(durationMs),
      poolWaitMs: round(waitMs),
      executionMs: round(call.executionMs),
      rows: call.rows,
      callSite: site,
      scope,
      sqlState,
      errorCode: call.error?.code,
      suppressed,
    });
    if (level === 'error' && onSlowQuery !== undefined) {
      const event: SlowQueryEvent = {
        queryName: call.queryName,
        level: 'error',
        durationMs,
        poolWaitMs: waitMs,
        executionMs: call.executionMs,
        rows: call.rows,
        pool,
        callSite: site,
        sqlState,
        error: call.error ? redactedMessage(call.error, logParameters) : undefined,
        suppressed,
        ...(logParameters ? { parameters: call.parameters } : {}),
      };
      try {
        onSlowQuery(event);
      } catch (error) {
        logger.error({ err: error, query: call.queryName }, 'onSlowQuery hook threw');
      }
    }
  };

  return (call) => {
    recordStatement(call.queryName);
    const waitMs = call.waitMs ?? 0;
    const durationMs = waitMs + call.executionMs;
    metrics.recordCall({
      queryName: call.queryName,
      durationSeconds: durationMs / 1000,
      waitSeconds: call.waitMs === null ? null : call.waitMs / 1000,
      rows: call.rows,
      errorType: call.error?.code,
    });
    if (durationMs >= slowQueryWarnMs) {
      const level = durationMs >= slowQueryErrorMs ? 'error' : 'warn';
      metrics.recordSlow(call.queryName, level);
      let logged = false;
      slowLines.hit(level === 'error' ? `${call.queryName} error` : `${call.queryName} warn`, (suppressed) => {
        logged = true;
        logSlow(call, level, durationMs, waitMs, suppressed);
      });
      if (!logged) metrics.recordSlowUnlogged(call.queryName, level);
      return;
    }
    if (call.error) {
      const sqlState = call.error.sqlState ?? sqlStateOf(call.error.cause);
      failures.hit(`${call.queryName} ${call.error.code} ${sqlState ?? ''}`, (suppressed) => {
        const { line } = lineOf(call, durationMs, waitMs, sqlState);
        logger.warn(suppressed > 0 ? { ...line, suppressed } : line, `query ${call.queryName} failed`);
      });
      return;
    }
    if (!logger.isLevelEnabled('debug')) return;
    logger.debug(
      {
        query: call.queryName,
        durationMs: round(durationMs),
        waitMs: round(waitMs),
        executionMs: round(call.executionMs),
        rows: call.rows,
        ...(logParameters ? { parameters: call.parameters } : {}),
      },
      'query',
    );
  };
}
