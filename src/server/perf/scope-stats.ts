// Statements per request, from the N+1 scope every procedure runs in (ScopeReport): per procedure, and per named
// query over the requests that ran it. Keys are procedure paths and query names, both bounded by the code.
import type { ScopeReport } from '../trpc.js';

type Tally = { requests: number; statements: number; max: number };

export type PerRequest = { requests: number; average: number; max: number };

export type ScopeStats = {
  record(report: ScopeReport): void;
  byProcedure(): Map<string, PerRequest>;
  byQuery(): Map<string, PerRequest>;
};

function add(map: Map<string, Tally>, key: string, statements: number): void {
  const tally = map.get(key) ?? { requests: 0, statements: 0, max: 0 };
  tally.requests += 1;
  tally.statements += statements;
  tally.max = Math.max(tally.max, statements);
  map.set(key, tally);
}

function view(map: Map<string, Tally>): Map<string, PerRequest> {
  return new Map([...map].map(([key, t]) => [key, { requests: t.requests, average: t.statements / t.requests, max: t.max }]));
}

export function createScopeStats(): ScopeStats {
  const procedures = new Map<string, Tally>();
  const queries = new Map<string, Tally>();
  return {
    record(report) {
      add(procedures, report.path, report.total);
      for (const [query, count] of Object.entries(report.byQuery)) add(queries, query, count);
    },
    byProcedure: () => view(procedures),
    byQuery: () => view(queries),
  };
}
