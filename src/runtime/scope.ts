// A request scope (AsyncLocalStorage) that counts statements by query name and call site, as Prosopite does:
// the same query from the same site more than `threshold` times in one scope is an N+1.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import { callSite, captureStack, type CapturedStack } from './callsite.js';

type ScopeMode = 'warn' | 'strict';

/**
 * Options of withQueryScope. The threshold allows a few repetitions (a query run once per tab of a page), and
 * `strict` turns an N+1 into a failure, for tests.
 *
 * @example
 * ```ts
 * import type { ScopeOptions } from 'sqlbound';
 *
 * const inTests: ScopeOptions = { name: 'GET /dashboard', threshold: 1, mode: 'strict' };
 * ```
 */
export type ScopeOptions = {
  /** Name for logs, e.g. the route. */
  name?: string;
  /** Repetitions of one (query, site) allowed before it is an N+1. Default 3. */
  threshold?: number;
  /** warn logs each N+1 once; strict also makes the scope throw NPlusOneError when it ends (tests). */
  mode?: ScopeMode;
  logger?: Logger;
  /**
   * Whose request this is (the user id): with replicas, its reads after its own writes wait for a replica that has
   * replayed them, or go to the primary; other users' reads are not held back.
   */
  user?: string;
  /**
   * A WAL position the caller's client says it wrote at (the `formatLsn` text another instance returned to it):
   * with replicas, this scope's reads wait for a replica past it, or go to the primary. It carries read-your-writes
   * across instances that share no store.
   */
  readAfter?: bigint;
};

/**
 * One N+1: a query run more than the threshold allows from one call site (a cleaned stack frame), and how often.
 *
 * @example
 * ```ts
 * import type { NPlusOne } from 'sqlbound';
 *
 * const found: NPlusOne = { query: 'getExposure', site: 'src/routes/alerts.ts:42', count: 50 };
 * ```
 */
export type NPlusOne = { query: string; site: string; count: number };

/**
 * The counts of one scope: statements in total, by query, by query and call site, and the N+1s found. A count
 * that grows with the data, not with the request, is the bug to look for.
 *
 * @example
 * ```ts
 * import { withQueryScope, type QueryScope } from 'sqlbound';
 * import { listAlerts } from './generated/index.js';
 *
 * declare const userId: string;
 * const { scope }: { scope: QueryScope } = await withQueryScope(() => listAlerts(db, { userId, limit: 50, cursor: null }));
 * console.log(scope.total, scope.byQuery()); // 1 { listAlerts: 1 } (a cache hit runs no statement, and counts none)
 * ```
 */
export type QueryScope = {
  readonly name: string;
  /** Statements run in this scope. */
  readonly total: number;
  /** Statements by query name. */
  byQuery(): Record<string, number>;
  /** Statements by query name and call site. */
  bySite(): { query: string; site: string; count: number }[];
  readonly violations: readonly NPlusOne[];
  /**
   * With replicas, the highest WAL position this scope's writes reached, or its `readAfter` if higher; null when
   * neither: what an API returns to its client (a header) so the client's next request, to any instance, reads it.
   */
  readonly writePosition: bigint | null;
};

/**
 * Thrown when a `strict` scope ends with N+1s; the message names each query and call site, and the fix. The
 * scope's result is lost on purpose: a test must not pass on a page that runs a query per row.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict';
 * import { NPlusOneError, withQueryScope } from 'sqlbound';
 * import { listAlerts } from './generated/index.js';
 *
 * const userIds = ['1', '2', '3', '4', '5'];
 * await assert.rejects(
 *   withQueryScope(async () => {
 *     for (const userId of userIds) await listAlerts(db, { userId, limit: 5, cursor: null });
 *   }, { mode: 'strict' }),
 *   NPlusOneError,
 * );
 * ```
 */
export class NPlusOneError extends Error {
  override readonly name = 'NPlusOneError';
  readonly code = 'N_PLUS_ONE';
  constructor(readonly violations: readonly NPlusOne[]) {
    super(
      `N+1 queries: ${violations.map((v) => `${v.query} ran ${v.count} times from ${v.site}`).join('; ')}. ` +
        'Load related rows with an include (one statement) instead of a query per row.',
    );
  }
}

type ScopeState = {
  name: string;
  threshold: number;
  mode: ScopeMode;
  logger: Logger | undefined;
  user: string | undefined;
  position: bigint | null;
  total: number;
  /** Statements by query name, counted as they run. */
  byName: Map<string, number>;
  /** By query and call site: the stacks of `pending` are not in it yet. */
  counts: Map<string, { query: string; site: string; count: number }>;
  /**
   * Stacks captured and not yet read, in the order their statements ran. Reading a stack costs twice its capture,
   * and a scope whose queries each run at most `threshold` times cannot hold an N+1: its stacks are read only when
   * someone asks for the sites (bySite), or once a query runs more often than that (then every stack, from then
   * on as it comes, so an N+1 is found at the statement that makes it one, with exact counts).
   */
  pending: { query: string; stack: CapturedStack }[];
  eager: boolean;
  violations: NPlusOne[];
};

const storage = new AsyncLocalStorage<ScopeState>();

function view(state: ScopeState): QueryScope {
  return {
    name: state.name,
    get total() {
      return state.total;
    },
    byQuery() {
      const totals: Record<string, number> = {};
      for (const [query, count] of state.byName) totals[query] = count;
      return totals;
    },
    bySite: () => {
      readPending(state);
      return [...state.counts.values()].map((entry) => ({ ...entry }));
    },
    get violations() {
      return state.violations;
    },
    get writePosition() {
      return state.position;
    },
  };
}

/** One statement from one call site, counted; the statement that makes it an N+1 logs it. */
function countSite(state: ScopeState, queryName: string, stack: CapturedStack): void {
  const site = callSite(stack) ?? '(unknown site)';
  const key = `${queryName}\u0000${site}`;
  const entry = state.counts.get(key) ?? { query: queryName, site, count: 0 };
  entry.count += 1;
  state.counts.set(key, entry);
  if (entry.count === state.threshold + 1) {
    const violation = { query: queryName, site, count: entry.count };
    state.violations.push(violation);
    state.logger?.warn(
      { scope: state.name, query: queryName, callSite: site, count: entry.count },
      `N+1: ${queryName} repeated from one call site`,
    );
  } else if (entry.count > state.threshold + 1) {
    const violation = state.violations.find((v) => v.query === queryName && v.site === site);
    if (violation) violation.count = entry.count;
  }
}

/** Reads the stacks not read yet, in the order their statements ran. */
function readPending(state: ScopeState): void {
  const pending = state.pending;
  if (pending.length === 0) return;
  state.pending = [];
  for (const { query, stack } of pending) countSite(state, query, stack);
}

/** Called by the runtime for every statement; a no-op outside a scope. */
export function recordStatement(queryName: string): void {
  const state = storage.getStore();
  if (state === undefined) return;
  state.total += 1;
  const runs = (state.byName.get(queryName) ?? 0) + 1;
  state.byName.set(queryName, runs);
  const stack = captureStack(recordStatement);
  if (!state.eager && runs <= state.threshold) {
    state.pending.push({ query: queryName, stack });
    return;
  }
  state.eager = true;
  readPending(state);
  countSite(state, queryName, stack);
}

/** The read-your-writes key of the running code: the scope's user, or '' outside a scope or without one. */
export function consistencyKey(): string {
  return storage.getStore()?.user ?? '';
}

/** The position the running scope's reads must see (its client's `readAfter`, raised by its own writes), or null. */
export function scopePosition(): bigint | null {
  return storage.getStore()?.position ?? null;
}

/** Raises the running scope's position to `lsn` after a write; a no-op outside a scope. */
export function raiseScopePosition(lsn: bigint): void {
  const state = storage.getStore();
  if (state !== undefined && (state.position === null || lsn > state.position)) state.position = lsn;
}

/**
 * The scope the caller runs in, or undefined outside withQueryScope: for a log line or a response header at the
 * end of a request, without passing the scope down.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { currentScope } from 'sqlbound';
 *
 * const app = Fastify();
 * app.addHook('onSend', async (_request, reply) => {
 *   const scope = currentScope();
 *   if (scope !== undefined) reply.header('x-query-count', String(scope.total));
 * });
 * ```
 */
export function currentScope(): QueryScope | undefined {
  const state = storage.getStore();
  return state === undefined ? undefined : view(state);
}

/**
 * Runs `fn` in a fresh scope and returns its result with the scope's counts. The scope follows async calls
 * (AsyncLocalStorage), so every statement `fn` causes is counted, however deep; an N+1 is the same query from the
 * same call site more than `threshold` times, as Prosopite counts them.
 *
 * @example
 * ```ts
 * import { pino } from 'pino';
 * import { withQueryScope } from 'sqlbound';
 * import { getDashboard } from './generated/index.js';
 *
 * declare const userId: string;
 * const logger = pino();
 * const { result, scope } = await withQueryScope(() => getDashboard(db, { userId }), { name: 'dashboard', logger });
 * if (scope.violations.length > 0) logger.warn({ violations: scope.violations }, 'N+1 in dashboard');
 * ```
 */
export async function withQueryScope<T>(fn: () => Promise<T>, options: ScopeOptions = {}): Promise<{ result: T; scope: QueryScope }> {
  const state: ScopeState = {
    name: options.name ?? 'scope',
    threshold: options.threshold ?? 3,
    mode: options.mode ?? 'warn',
    logger: options.logger,
    user: options.user,
    position: options.readAfter ?? null,
    total: 0,
    byName: new Map(),
    counts: new Map(),
    pending: [],
    eager: false,
    violations: [],
  };
  const result = await storage.run(state, fn);
  if (state.mode === 'strict' && state.violations.length > 0) throw new NPlusOneError(state.violations);
  return { result, scope: view(state) };
}
