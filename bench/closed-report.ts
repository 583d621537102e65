// The closed-model section of `npm run loadtest`: wrk's runs against the API and the ceiling server as one table,
// then each goal of issue 30 as a ratio or a figure beside its target and a verdict. Plain data in, lines out.
import type { WrkSummary } from './wrk.js';

export type ClosedResult = {
  label: string;
  target: 'api' | 'ceiling';
  /** null for the ceiling, which has no cache: it writes prepared bytes. */
  cache: 'on' | 'bypassed' | null;
  users: number;
  workers: number;
  summary: WrkSummary;
  /** CPU time per request, µs: the server's process tree (workers included) and the postmaster tree. */
  apiCpuUsPerRequest: number;
  dbCpuUsPerRequest: number;
  /** CPU, % of all cores: the server tree, the postmaster tree, wrk itself. */
  serverCpuPercent: number;
  dbCpuPercent: number;
  wrkCpuPercent: number;
  stealPercent: number | null;
  othersPercent: number | null;
};

export type Goal = { goal: string; measured: string; target: string; met: boolean | null };

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');
const verdict = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'missed');
const steal = (percent: number | null) => (percent === null ? 'n/a' : `${percent.toFixed(1)} %${percent > 5 ? ' noisy' : ''}`);

function find(results: ClosedResult[], target: ClosedResult['target'], users: number, cache: ClosedResult['cache'], workers = 1) {
  return results.find((r) => r.target === target && r.users === users && r.cache === cache && r.workers === workers) ?? null;
}

/** The goals the runs can answer: only those whose runs are present. */
export function closedGoals(results: ClosedResult[], userCounts: number[], workerCount: number): Goal[] {
  const goals: Goal[] = [];
  const [fewest] = [...userCounts].sort((a, b) => a - b);
  const most = Math.max(...userCounts);
  for (const users of [...new Set(userCounts)].sort((a, b) => a - b)) {
    const ceiling = find(results, 'ceiling', users, null);
    const p95Limit = users === fewest ? 200 : 500;
    for (const cache of ['on', 'bypassed'] as const) {
      const api = find(results, 'api', users, cache);
      if (api === null) continue;
      const name = `${users} users, cache ${cache}`;
      if (ceiling !== null) {
        const share = api.summary.throughput / ceiling.summary.throughput;
        // The ceiling share is the goal for the warm cache; cache-bypassed loads pay the database, so theirs is shown.
        const goalShare = cache === 'on' && users === fewest;
        goals.push({
          goal: `${name}: throughput / ceiling's`,
          measured: `${ratio(share)} (${fixed(api.summary.throughput)} / ${fixed(ceiling.summary.throughput)} req/s)`,
          target: goalShare ? '≥ 0.60×' : '(shown)',
          met: goalShare ? share >= 0.6 : null,
        });
      }
      if (cache === 'on' && users === most && users !== fewest) {
        goals.push({
          goal: `${name}: throughput in req/s`,
          measured: `${fixed(api.summary.throughput)} req/s`,
          target: '≥ 2500 req/s',
          met: api.summary.throughput >= 2500,
        });
      }
      goals.push({
        goal: `${name}: p95`,
        measured: `${fixed(api.summary.p95Ms, 1)} ms (ceiling ${ceiling === null ? 'n/a' : fixed(ceiling.summary.p95Ms, 1)} ms)`,
        target: `< ${p95Limit} ms`,
        met: api.summary.p95Ms < p95Limit,
      });
    }
  }
  const one = fewest === undefined ? null : find(results, 'api', fewest, 'on', 1);
  const many = fewest === undefined ? null : find(results, 'api', fewest, 'on', workerCount);
  if (workerCount > 1 && one !== null && many !== null) {
    const gain = many.summary.throughput / one.summary.throughput;
    goals.push({
      goal: `${workerCount} workers / 1 worker, ${fewest} users, cache on: throughput`,
      measured: `${ratio(gain)} (${fixed(many.summary.throughput)} / ${fixed(one.summary.throughput)} req/s; wrk ${fixed(many.wrkCpuPercent)} % of the cores)`,
      target: '≥ 1.60×',
      met: gain >= 1.6,
    });
  }
  return goals;
}

export function closedReport(options: {
  results: ClosedResult[];
  userCounts: number[];
  workerCount: number;
  connections: number;
  threads: number;
  seconds: number;
  cores: number;
  wrkVersion: string;
}): string[] {
  const { results, cores } = options;
  const ceilingOf = (r: ClosedResult) => find(results, 'ceiling', r.users, null);
  const rows = results.map((r) => {
    const ceiling = ceilingOf(r);
    const s = r.summary;
    const share = r.target === 'ceiling' || ceiling === null ? '' : ratio(s.throughput / ceiling.summary.throughput);
    return `| ${r.label} | ${s.requests} | ${fixed(s.throughput)} | ${fixed(s.p50Ms, 1)} | ${fixed(s.p95Ms, 1)} | ${share} | ${fixed(s.p99Ms, 1)} / ${fixed(s.maxMs, 1)} | ${s.socket.connect} / ${s.socket.read} / ${s.socket.write} / ${s.socket.timeout} | ${s.non2xx} | ${fixed(r.apiCpuUsPerRequest)} / ${r.target === 'ceiling' ? '-' : fixed(r.dbCpuUsPerRequest)} | ${fixed(r.serverCpuPercent)} / ${fixed(r.dbCpuPercent)} / ${fixed(r.wrkCpuPercent)} | ${steal(r.stealPercent)} | ${r.othersPercent === null ? 'n/a' : fixed(r.othersPercent)} |`;
  });
  const goals = closedGoals(results, options.userCounts, options.workerCount);
  return [
    '',
    `Closed model: ${options.wrkVersion}, ${options.connections} connections on ${options.threads} threads, ${options.seconds} s per run, --timeout 10s; every request carries the next user's token (a Lua script rotating through the run's users); latency is wrk's, from each request's write to its response (the connect phase apart: its failures are the socket-error column). wrk shares the ${cores} cores with the server and PostgreSQL.`,
    '',
    `| closed-model run (dashboard) | requests | throughput (req/s) | p50 (ms) | p95 (ms) | × ceiling's throughput | p99 / max (ms) | socket errors: connect / read / write / timeout | non-2xx | CPU µs/request: server / DB | CPU % of ${cores} cores: server / DB / wrk | steal % | other processes, CPU % |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '| closed-model goal | measured | target | verdict |',
    '|---|---|---|---|',
    ...goals.map((g) => `| ${g.goal} | ${g.measured} | ${g.target} | ${verdict(g.met)} |`),
  ];
}
