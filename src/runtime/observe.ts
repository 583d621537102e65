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
export function redactedMessage(error: SqlboundError, logParameters: boolean): string {
  if (logParameters) return error.message;
  const sqlState = error.sqlState ?? sqlStateOf(error.cause);
  if (sqlState !== undefined && !sqlState.startsWith('22')) return error.message;
  return error.message.replace(/"(?:[^"]|"")*"/g, '"[redacted]"');
}

export function createObserver(
  options: Pick<ResolvedOptions, 'slowQueryWarnMs' | 'slowQueryErrorMs' | 'logParameters' | 'onSlowQuery' | 'failureLogIntervalMs'>,
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
    const level = durationMs >= slowQueryErrorMs ? 'error' : durationMs >= slowQueryWarnMs ? 'warn' : call.error ? 'warn' : 'debug';
    if (level === 'debug') {
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
      return;
    }
    const slow = durationMs >= slowQueryWarnMs;
    const pool = stats();
    const site = callSite();
    // The request scope names the API procedure (`query alerts.list`) even where the stack cannot: a router that
    // returns a generated call's promise without awaiting it leaves no frame of its own.
    const scope = currentScope()?.name;
    const sqlState = call.error ? (call.error.sqlState ?? sqlStateOf(call.error.cause)) : undefined;
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
    if (!slow) {
      failures.hit(`${call.queryName} ${call.error?.code ?? ''} ${sqlState ?? ''}`, (suppressed) =>
        logger.warn(suppressed > 0 ? { ...line, suppressed } : line, `query ${call.queryName} failed`),
      );
      return;
    }
    const message = `slow query ${call.queryName}`;
    if (level === 'error') logger.error(line, message);
    else logger.warn(line, message);
    metrics.recordSlow(call.queryName, level === 'error' ? 'error' : 'warn');
    slowLog?.record({
      at: new Date(),
      queryName: call.queryName,
      level: level === 'error' ? 'error' : 'warn',
      durationMs: round(durationMs),
      poolWaitMs: round(waitMs),
      executionMs: round(call.executionMs),
      rows: call.rows,
      callSite: site,
      scope,
      sqlState,
      errorCode: call.error?.code,
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
        ...(logParameters ? { parameters: call.parameters } : {}),
      };
      try {
        onSlowQuery(event);
      } catch (error) {
        logger.error({ err: error, query: call.queryName }, 'onSlowQuery hook threw');
      }
    }
  };
}
