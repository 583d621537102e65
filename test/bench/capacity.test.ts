// The load test's arithmetic: where a capacity series stops, what it reports, and how steal is read from /proc/stat.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { afterStep, capacities, capacityReport, parseRates, type CapacityStep } from '../../bench/capacity.js';
import { busyPercent, formatSteal, stealPercent } from '../../bench/proc-stat.js';

const step = (rate: number, p95Ms: number, errors = 0, endpoint = 'dashboard', workers = 1): CapacityStep => ({
  endpoint,
  workers,
  rate,
  achievedRate: rate,
  p95Ms,
  errors,
  requests: rate,
  apiCpuUsPerRequest: 500,
  dbCpuUsPerRequest: 400,
  stealPercent: 1,
  othersPercent: 2,
  generatorCpuPercent: 10,
});

describe('capacity', () => {
  test('is the highest rate with p95 under 200 ms and no errors, per endpoint and worker count', () => {
    const steps = [
      step(1000, 20),
      step(2000, 150),
      step(2500, 250),
      step(1000, 30, 0, 'alerts.list'),
      step(2000, 40, 3, 'alerts.list'),
      step(1000, 10, 0, 'dashboard', 2),
    ];
    assert.deepEqual(
      capacities(steps).map(({ endpoint, workers, rate, ceilingNotReached }) => ({ endpoint, workers, rate, ceilingNotReached })),
      [
        { endpoint: 'dashboard', workers: 1, rate: 2000, ceilingNotReached: false },
        { endpoint: 'alerts.list', workers: 1, rate: 1000, ceilingNotReached: false },
        { endpoint: 'dashboard', workers: 2, rate: 1000, ceilingNotReached: true },
      ],
    );
    const lines = capacityReport(steps, 2).filter((line) => line.startsWith('capacity:'));
    assert.match(lines[0] ?? '', /dashboard, 1 worker\(s\).*: 2000\/s at .*goal ≥ 2000\/s: met$/);
    assert.match(lines[1] ?? '', /alerts\.list, 1 worker\(s\).*: 1000\/s at .*: missed$/);
    assert.match(lines[2] ?? '', /≥ 1000\/s \(every step passed/);
  });

  test('a series whose first step failed has no capacity', () => {
    assert.equal(capacities([step(250, 900)])[0]?.rate, null);
    assert.match(capacityReport([step(250, 900)], 2).at(-1) ?? '', /none \(the lowest step, 250\/s, failed\).*missed$/);
  });

  test('a failed step is run once more: a stall that passes on its rerun does not end the series, and is named', () => {
    assert.equal(afterStep([step(1000, 20)]), 'next');
    assert.equal(afterStep([step(1000, 205)]), 'rerun');
    assert.equal(afterStep([step(1000, 205), step(1000, 30)]), 'next');
    assert.equal(afterStep([step(1000, 205), step(1000, 0, 2)]), 'stop');
    const steps = [step(500, 10), step(1000, 205), step(1000, 30), step(2000, 50), step(2500, 900), step(2500, 950)];
    const [capacity] = capacities(steps);
    assert.equal(capacity?.rate, 2000);
    assert.equal(capacity?.ceilingNotReached, false);
    assert.deepEqual(capacity?.passedOnRerun, [{ rate: 1000, firstP95Ms: 205 }]);
    assert.match(capacityReport(steps, 2).at(-1) ?? '', /: 2000\/s at .*met; passed only on a rerun: 1000\/s \(first run p95 205\.0 ms\)$/);
    // A rate that failed twice is not capacity, even below a rate that passed before it.
    assert.equal(capacities([step(500, 10), step(1000, 300), step(1000, 400)])[0]?.rate, 500);
  });

  test('rates are parsed, sorted and bounded', () => {
    assert.deepEqual(parseRates('500, 250'), [250, 500]);
    assert.throws(() => parseRates('250,x'), /--rates/);
    assert.throws(() => parseRates('9000'), /--rates/);
  });
});

describe('/proc/stat shares', () => {
  test('steal and busy are shares of all the time that passed, and steal above 5 % is labelled noisy', () => {
    const before = { total: 1000, idle: 500, steal: 10 };
    const after = { total: 2000, idle: 1100, steal: 80 };
    assert.equal(stealPercent(before, after)?.toFixed(6), '7.000000');
    assert.equal(busyPercent(before, after)?.toFixed(6), '33.000000');
    assert.equal(formatSteal(7), '7.0 % noisy');
    assert.equal(formatSteal(4.96), '5.0 %');
    assert.equal(stealPercent(null, after), null);
  });
});
