// A request scope (AsyncLocalStorage) that counts statements by query name and call site, as Prosopite does:
// the same query from the same site more than `threshold` times in one scope is an N+1.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import { callSite } from './callsite.js';

export type ScopeMode = 'warn' | 'strict';

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
};

export type NPlusOne = { query: string; site: string; count: number };

export type QueryScope = {
  readonly name: string;
  /** Statements run in this scope. */
  readonly total: number;
  /** Statements by query name. */
  byQuery(): Record<string, number>;
  /** Statements by query name and call site. */
  bySite(): { query: string; site: string; count: number }[];
  readonly violations: readonly NPlusOne[];
};

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
  total: number;
  counts: Map<string, { query: string; site: string; count: number }>;
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
      for (const entry of state.counts.values()) totals[entry.query] = (totals[entry.query] ?? 0) + entry.count;
      return totals;
    },
    bySite: () => [...state.counts.values()].map((entry) => ({ ...entry })),
    get violations() {
      return state.violations;
    },
  };
}

/** Called by the runtime for every statement; a no-op outside a scope. */
export function recordStatement(queryName: string): void {
  const state = storage.getStore();
  if (state === undefined) return;
  state.total += 1;
  const site = callSite() ?? '(unknown site)';
  const key = `${queryName}\u0000${site}`;
  const entry = state.counts.get(key) ?? { query: queryName, site, count: 0 };
  entry.count += 1;
  state.counts.set(key, entry);
  if (entry.count === state.threshold + 1) {
    const violation = { query: queryName, site, count: entry.count };
    state.violations.push(violation);
    state.logger?.warn({ scope: state.name, query: queryName, callSite: site, count: entry.count }, `N+1: ${queryName} repeated from one call site`);
  } else if (entry.count > state.threshold + 1) {
    const violation = state.violations.find((v) => v.query === queryName && v.site === site);
    if (violation) violation.count = entry.count;
  }
}

/** The read-your-writes key of the running code: the scope's user, or '' outside a scope or without one. */
export function consistencyKey(): string {
  return storage.getStore()?.user ?? '';
}

export function currentScope(): QueryScope | undefined {
  const state = storage.getStore();
  return state === undefined ? undefined : view(state);
}

/** Runs `fn` in a fresh scope and returns its result with the scope's counts. */
export async function withQueryScope<T>(fn: () => Promise<T>, options: ScopeOptions = {}): Promise<{ result: T; scope: QueryScope }> {
  const state: ScopeState = {
    name: options.name ?? 'scope',
    threshold: options.threshold ?? 3,
    mode: options.mode ?? 'warn',
    logger: options.logger,
    user: options.user,
    total: 0,
    counts: new Map(),
    violations: [],
  };
  const result = await storage.run(state, fn);
  if (state.mode === 'strict' && state.violations.length > 0) throw new NPlusOneError(state.violations);
  return { result, scope: view(state) };
}
