// The closed-model goals of `npm run loadtest`: each issue-30 target applied to the right run, with its verdict.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closedGoals, type ClosedResult } from '../../bench/closed-report.js';
import { parseWrkOutput, type WrkSummary } from '../../bench/wrk.js';

function summary(throughput: number, p95Ms: number): WrkSummary {
  return {
    requests: throughput * 10,
    seconds: 10,
    throughput,
    bytes: 0,
    p50Ms: p95Ms / 2,
    p90Ms: p95Ms,
    p95Ms,
    p99Ms: p95Ms,
    maxMs: p95Ms,
    socket: { connect: 0, read: 0, write: 0, timeout: 0 },
    non2xx: 0,
  };
}

function run(target: ClosedResult['target'], cache: ClosedResult['cache'], users: number, throughput: number, p95Ms: number, workers = 1) {
  return {
    label: `${target} ${String(cache)} ${users} ${workers}`,
    target,
    cache,
    users,
    workers,
    summary: summary(throughput, p95Ms),
    apiCpuUsPerRequest: 100,
    dbCpuUsPerRequest: 10,
    serverCpuPercent: 50,
    dbCpuPercent: 5,
    wrkCpuPercent: 10,
    stealPercent: 0,
    othersPercent: 0,
  } satisfies ClosedResult;
}

const verdicts = (results: ClosedResult[]) =>
  Object.fromEntries(closedGoals(results, [1000, 20000], 2).map((goal) => [goal.goal, goal.met]));

test('each goal is judged against its own target and run', () => {
  const results = [
    run('ceiling', null, 1000, 10_000, 100),
    run('api', 'bypassed', 1000, 1000, 150),
    run('api', 'on', 1000, 6000, 199),
    run('ceiling', null, 20000, 9000, 100),
    run('api', 'bypassed', 20000, 1000, 800),
    run('api', 'on', 20000, 2500, 499),
    run('api', 'on', 1000, 9600, 150, 2),
  ];
  assert.deepEqual(verdicts(results), {
    "1000 users, cache on: throughput / ceiling's": true, // 0.60× exactly
    '1000 users, cache on: p95': true,
    "1000 users, cache bypassed: throughput / ceiling's": null, // shown, no target
    '1000 users, cache bypassed: p95': true,
    "20000 users, cache on: throughput / ceiling's": null,
    '20000 users, cache on: throughput in req/s': true,
    '20000 users, cache on: p95': true,
    "20000 users, cache bypassed: throughput / ceiling's": null,
    '20000 users, cache bypassed: p95': false,
    '2 workers / 1 worker, 1000 users, cache on: throughput': true, // 1.60×
  });
  const missed = [
    run('ceiling', null, 1000, 10_000, 100),
    run('api', 'on', 1000, 5999, 200),
    run('api', 'on', 20000, 2499, 500),
    run('api', 'on', 1000, 9598, 150, 2),
  ];
  assert.deepEqual(verdicts(missed), {
    "1000 users, cache on: throughput / ceiling's": false,
    '1000 users, cache on: p95': false,
    '20000 users, cache on: throughput in req/s': false,
    '20000 users, cache on: p95': false,
    '2 workers / 1 worker, 1000 users, cache on: throughput': false,
  });
});

test("wrk's summary line is parsed into milliseconds and rates; anything else is an error naming the output", () => {
  const line =
    'WRK_SUMMARY {"requests":5000,"durationUs":2000000,"bytes":100,"connect":1,"read":2,"write":3,"status":4,"timeout":5,"p50Us":1500,"p90Us":2000,"p95Us":2500,"p99Us":9000,"maxUs":12000,"meanUs":1700.5}';
  const parsed = parseWrkOutput(`Running 2s test @ http://127.0.0.1:1/\n${line}\n`);
  assert.equal(parsed.throughput, 2500);
  assert.equal(parsed.p95Ms, 2.5);
  assert.deepEqual(parsed.socket, { connect: 1, read: 2, write: 3, timeout: 5 });
  assert.equal(parsed.non2xx, 4);
  assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused'), /no summary line:\nunable to connect/);
  assert.throws(() => parseWrkOutput(line.replace('"requests":5000', '"requests":-1')));
});
