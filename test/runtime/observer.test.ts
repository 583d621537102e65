// The observer and the request scope, driven with exact durations and call sites instead of the wall clock:
// the default slow-query thresholds pinned on both sides, and the N+1 rule keyed by query name and call site.
// No database: a finished call is plain data, so these hold on a loaded machine.
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { metrics as otel } from '@opentelemetry/api';
import type { SlowQueryEvent } from '../../src/runtime/options.js';
import { currentScope, NPlusOneError, withQueryScope } from '../../src/runtime/scope.js';
import { InvalidInputError } from '../../src/runtime/errors.js';
import { createMetrics, type Metrics } from '../../src/runtime/metrics.js';
import { createObserver, type FinishedCall, type Observer } from '../../src/runtime/observe.js';
import { resolveOptions, type DbOptions } from '../../src/runtime/options.js';
import { createSlowQueryLog, type SlowQueryLog } from '../../src/runtime/slow-log.js';
import { LEVEL, capturingLogger, type CapturedLogger } from './support.js';

let statsTaken = 0;
const stats = () => {
  statsTaken += 1;
  return { total: 1, idle: 1, waiting: 0, max: 20 };
};

type Observed = {
  observe: Observer;
  captured: CapturedLogger;
  events: SlowQueryEvent[];
  slow: [string, string][];
  unlogged: [string, string][];
  ring: SlowQueryLog;
};

function observerWith(options: Partial<DbOptions> = {}): Observed {
  const captured = capturingLogger('debug');
  const events: SlowQueryEvent[] = [];
  const slow: [string, string][] = [];
  const unlogged: [string, string][] = [];
  const meterProvider = otel.getMeterProvider();
  const resolved = resolveOptions(
    {
      connectionString: 'postgres://unused/none',
      cursorSecret: 's',
      logger: captured.logger,
      onSlowQuery: (event) => events.push(event),
      ...options,
    },
    { meterProvider },
  );
  const real = createMetrics(meterProvider.getMeter('test'), 'test', stats);
  // The slow-query counter's labels, as the metrics see them.
  const metrics: Metrics = {
    ...real,
    recordSlow: (name, level) => slow.push([name, level]),
    recordSlowUnlogged: (name, level) => unlogged.push([name, level]),
  };
  const ring = createSlowQueryLog(100);
  const observe = createObserver(resolved, captured.logger, metrics, stats, ring);
  return { observe, captured, events, slow, unlogged, ring };
}

const call = (queryName: string, executionMs: number, waitMs: number | null = 0): FinishedCall => ({
  queryName,
  waitMs,
  executionMs,
  rows: 1,
  parameters: [],
});

describe('slow-query thresholds', () => {
  test('defaults: 450 ms is debug, 550 ms warns; 950 ms warns without the hook, 1050 ms is an error and calls the hook', () => {
    const { observe, captured, events } = observerWith();
    for (const [name, ms] of [
      ['q450', 450],
      ['q550', 550],
      ['q950', 950],
      ['q1050', 1050],
    ] as const)
      observe(call(name, ms));
    const level = (name: string) => captured.lines.find((line) => line.query === name)?.level;
    assert.equal(level('q450'), LEVEL.debug);
    assert.equal(level('q550'), LEVEL.warn);
    assert.equal(level('q950'), LEVEL.warn);
    assert.equal(level('q1050'), LEVEL.error);
    assert.deepEqual(
      events.map((event) => event.queryName),
      ['q1050'],
    );
    assert.equal(events[0]?.durationMs, 1050);
    assert.equal(events[0]?.level, 'error');
    assert.equal(captured.lines.find((line) => line.query === 'q550')?.msg, 'slow query q550');
    assert.equal(captured.lines.find((line) => line.query === 'q1050')?.msg, 'slow query q1050');
  });

  test('the slow-query counter is labelled warn or error by level; fast calls are not counted', () => {
    const { observe, slow } = observerWith();
    for (const [name, ms] of [
      ['q450', 450],
      ['q550', 550],
      ['q1050', 1050],
    ] as const)
      observe(call(name, ms));
    assert.deepEqual(slow, [
      ['q550', 'warn'],
      ['q1050', 'error'],
    ]);
  });

  test('without onSlowQuery an error-level call logs the slow line and nothing about a hook', () => {
    const { observe, captured } = observerWith({ onSlowQuery: undefined });
    observe(call('q1050', 1050));
    assert.deepEqual(
      captured.lines.map((line) => line.msg),
      ['slow query q1050'],
    );
  });

  test('a failed call warns once per interval and reports how many it held back', () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    try {
      const { observe, captured } = observerWith({ failureLogIntervalMs: 10_000 });
      const failing = { ...call('failing', 1), error: new InvalidInputError('bad input', { queryName: 'failing' }) };
      observe(failing);
      observe(failing);
      observe(failing);
      mock.timers.tick(10_001);
      observe(failing);
      const lines = captured.lines.filter((line) => line.query === 'failing');
      assert.deepEqual(
        lines.map((line) => [line.level, line.msg, line.suppressed]),
        [
          [LEVEL.warn, 'query failing failed', undefined],
          [LEVEL.warn, 'query failing failed', 2],
        ],
      );
      assert.equal(lines[0]?.errorCode, 'INVALID_INPUT');
    } finally {
      mock.timers.reset();
    }
  });

  test('the thresholds themselves are slow: 500 ms warns, 1000 ms is an error', () => {
    const { observe, captured, events } = observerWith();
    observe(call('at500', 500));
    observe(call('at1000', 1000));
    assert.equal(captured.lines.find((line) => line.query === 'at500')?.level, LEVEL.warn);
    assert.equal(captured.lines.find((line) => line.query === 'at1000')?.level, LEVEL.error);
    assert.deepEqual(
      events.map((event) => event.queryName),
      ['at1000'],
    );
  });

  test('pool wait counts: 300 ms waiting plus 250 ms running warns, and the line shows both parts', () => {
    const { observe, captured } = observerWith();
    observe(call('waited', 250, 300));
    const line = captured.lines.find((entry) => entry.query === 'waited');
    assert.equal(line?.level, LEVEL.warn);
    assert.equal(line?.durationMs, 550);
    assert.equal(line?.waitMs, 300);
    assert.equal(line?.executionMs, 250);
  });

  test('configured thresholds replace the defaults', () => {
    const { observe, captured, events } = observerWith({ slowQueryWarnMs: 100, slowQueryErrorMs: 200 });
    observe(call('q99', 99));
    observe(call('q150', 150));
    observe(call('q250', 250));
    assert.deepEqual(
      ['q99', 'q150', 'q250'].map((name) => captured.lines.find((line) => line.query === name)?.level),
      [LEVEL.debug, LEVEL.warn, LEVEL.error],
    );
    assert.deepEqual(
      events.map((event) => event.queryName),
      ['q250'],
    );
  });
});

describe('slow calls in a burst', () => {
  test('a thousand slow calls at once: one line, one hook call, one pool snapshot per query and level; every call counted', () => {
    mock.timers.enable({ apis: ['Date'], now: 2_000_000 });
    try {
      const { observe, captured, events, slow, unlogged, ring } = observerWith();
      const before = statsTaken;
      for (let k = 0; k < 1000; k++) observe(call('burstWarn', 600));
      for (let k = 0; k < 1000; k++) observe(call('burstError', 1200));
      const slowLines = captured.lines.filter((line) => line.msg.startsWith('slow query'));
      assert.deepEqual(
        slowLines.map((line) => [line.query, line.level, line.suppressed]),
        [
          ['burstWarn', LEVEL.warn, undefined],
          ['burstError', LEVEL.error, undefined],
        ],
      );
      // The line still names its call site: the capture is made for the line that is written.
      assert.match(String(slowLines[0]?.callSite), /observer\.test\.ts:\d+:\d+/);
      assert.equal(statsTaken - before, 2, 'a pool snapshot per written line, not per slow call');
      assert.deepEqual(
        events.map((event) => [event.queryName, event.suppressed]),
        [['burstError', 0]],
      );
      assert.equal(ring.recent().length, 2);
      // Metrics count every slow call, and the held-back ones apart.
      assert.equal(slow.filter(([name]) => name === 'burstWarn').length, 1000);
      assert.equal(slow.filter(([name, level]) => name === 'burstError' && level === 'error').length, 1000);
      assert.equal(unlogged.filter(([name, level]) => name === 'burstWarn' && level === 'warn').length, 999);
      assert.equal(unlogged.filter(([name, level]) => name === 'burstError' && level === 'error').length, 999);

      // After the interval the next slow call is logged with the count held back, and so is its hook call.
      mock.timers.tick(1001);
      observe(call('burstWarn', 600));
      observe(call('burstError', 1200));
      const next = captured.lines.filter((line) => line.msg.startsWith('slow query')).slice(2);
      assert.deepEqual(
        next.map((line) => [line.query, line.suppressed]),
        [
          ['burstWarn', 999],
          ['burstError', 999],
        ],
      );
      assert.deepEqual(
        events.map((event) => event.suppressed),
        [0, 999],
      );
      assert.deepEqual(
        ring.recent().map((entry) => [entry.queryName, entry.suppressed]),
        [
          ['burstError', 999],
          ['burstWarn', 999],
          ['burstError', 0],
          ['burstWarn', 0],
        ],
      );
    } finally {
      mock.timers.reset();
    }
  });

  test('the rate limit is per query and level: other queries and the other level are logged at once', () => {
    const { observe, captured } = observerWith();
    for (const [name, ms] of [
      ['a', 600],
      ['a', 600],
      ['b', 600],
      ['a', 1200],
      ['b', 1200],
      ['b', 1200],
    ] as const)
      observe(call(name, ms));
    assert.deepEqual(
      captured.lines.filter((line) => line.msg.startsWith('slow query')).map((line) => [line.query, line.level]),
      [
        ['a', LEVEL.warn],
        ['b', LEVEL.warn],
        ['a', LEVEL.error],
        ['b', LEVEL.error],
      ],
    );
  });

  test('slowQueryLogIntervalMs 0 logs every slow call', () => {
    const { observe, captured, events, unlogged } = observerWith({ slowQueryLogIntervalMs: 0 });
    for (let k = 0; k < 5; k++) observe(call('every', 1200));
    assert.equal(captured.lines.filter((line) => line.msg === 'slow query every').length, 5);
    assert.equal(events.length, 5);
    assert.deepEqual(unlogged, []);
  });

  test('failures held back by their rate limit take no pool snapshot either', () => {
    const { observe, captured } = observerWith();
    const before = statsTaken;
    const failing = { ...call('failingBurst', 1), error: new InvalidInputError('bad input', { queryName: 'failingBurst' }) };
    for (let k = 0; k < 100; k++) observe(failing);
    assert.equal(captured.lines.filter((line) => line.query === 'failingBurst').length, 1);
    assert.equal(statsTaken - before, 1);
  });
});

describe('N+1 scope', () => {
  // Two call sites: each function is one line of this file, so each is one site.
  const { observe } = observerWith();
  const fromSiteA = () => observe(call('listThings', 1));
  const fromSiteB = () => observe(call('listThings', 1));

  test('the same query from two call sites, each at the threshold (3), is not an N+1', async () => {
    const { scope } = await withQueryScope(
      async () => {
        for (let i = 0; i < 3; i++) fromSiteA();
        for (let i = 0; i < 3; i++) fromSiteB();
      },
      { mode: 'strict' },
    );
    assert.equal(scope.total, 6);
    assert.deepEqual(scope.byQuery(), { listThings: 6 });
    const sites = scope.bySite();
    assert.equal(sites.length, 2, JSON.stringify(sites));
    assert.deepEqual(
      sites.map((site) => site.count),
      [3, 3],
    );
    assert.ok(
      sites.every((site) => /observer\.test\.ts:\d+:\d+/.test(site.site)),
      JSON.stringify(sites),
    );
    assert.deepEqual(scope.violations, []);
  });

  test('a violation counts every repetition, each query and site apart', async () => {
    const captured = capturingLogger('debug');
    const { scope } = await withQueryScope(
      async () => {
        for (let i = 0; i < 6; i++) observe(call('first', 1));
        for (let i = 0; i < 5; i++) observe(call('second', 1));
      },
      { logger: captured.logger, name: 'route' },
    );
    assert.equal(scope.name, 'route');
    assert.deepEqual(
      scope.violations.map((v) => [v.query, v.count]),
      [
        ['first', 6],
        ['second', 5],
      ],
    );
    // One warn line per violation, when it crosses the threshold.
    const warns = captured.lines.filter((line) => line.level === LEVEL.warn);
    assert.deepEqual(
      warns.map((line) => [line.msg, line.scope, line.query, line.count]),
      [
        ['N+1: first repeated from one call site', 'route', 'first', 4],
        ['N+1: second repeated from one call site', 'route', 'second', 4],
      ],
    );
    assert.match(String(warns[0]?.callSite), /observer\.test\.ts:\d+:\d+/);
  });

  test('violations sharing a site or a query are counted apart, and a strict scope names them all', async () => {
    const fromOneSite = (name: string) => observe(call(name, 1));
    const { scope } = await withQueryScope(async () => {
      for (let i = 0; i < 6; i++) fromOneSite('first');
      for (let i = 0; i < 5; i++) fromOneSite('second');
      for (let i = 0; i < 5; i++) fromSiteA();
      for (let i = 0; i < 6; i++) fromSiteB();
    });
    assert.deepEqual(
      scope.violations.map((v) => [v.query, v.count]),
      [
        ['first', 6],
        ['second', 5],
        ['listThings', 5],
        ['listThings', 6],
      ],
    );
    await assert.rejects(
      withQueryScope(
        async () => {
          for (let i = 0; i < 4; i++) fromOneSite('first');
          for (let i = 0; i < 4; i++) fromOneSite('second');
        },
        { mode: 'strict' },
      ),
      (error: unknown) =>
        error instanceof NPlusOneError && /^N\+1 queries: first ran 4 times from [^;]+; second ran 4 times from /.test(error.message),
    );
  });

  test('stacks read late (a scope reads them when asked, or once a query passes the threshold) keep call order and exact counts', async () => {
    const fromOneSite = (name: string) => observe(call(name, 1));
    const { scope } = await withQueryScope(async () => {
      fromSiteA(); // read only when someone asks: no query has passed the threshold yet
      fromOneSite('other');
      for (let i = 0; i < 5; i++) fromOneSite('repeated'); // the 4th reads every stack so far, then each as it comes
      fromSiteB();
      fromSiteB();
    });
    assert.deepEqual(
      scope.bySite().map((site) => [site.query, site.count]),
      [
        ['listThings', 1],
        ['other', 1],
        ['repeated', 5],
        ['listThings', 2],
      ],
    );
    assert.deepEqual(
      scope.violations.map((v) => [v.query, v.count]),
      [['repeated', 5]],
    );
    assert.deepEqual(scope.byQuery(), { listThings: 3, other: 1, repeated: 5 });
    assert.equal(new Set(scope.bySite().map((site) => site.site)).size, 3, 'site A, site B and the one site of the loop');
  });

  test('currentScope is the running scope (default name "scope"), and undefined outside any', async () => {
    assert.equal(currentScope(), undefined);
    await withQueryScope(async () => {
      fromSiteA();
      const scope = currentScope();
      assert.equal(scope?.name, 'scope');
      assert.equal(scope?.total, 1);
    });
  });

  test('a statement with no caller outside the runtime is counted under "(unknown site)"', async () => {
    const { scope } = await withQueryScope(async () => {
      // Called by Node's timers: no frame of this file on the stack (and no async frame either).
      await new Promise<void>((resolve) => {
        setImmediate(observe, call('orphan', 1));
        setImmediate(resolve);
      });
    });
    assert.deepEqual(scope.bySite(), [{ query: 'orphan', site: '(unknown site)', count: 1 }]);
  });

  test('the same query from one call site over the threshold is an N+1 naming that site', async () => {
    const { scope } = await withQueryScope(async () => {
      for (let i = 0; i < 4; i++) fromSiteA();
      fromSiteB();
    });
    assert.equal(scope.violations.length, 1);
    assert.equal(scope.violations[0]?.count, 4);
    const siteA = scope.bySite().find((site) => site.count === 4)?.site;
    assert.equal(scope.violations[0]?.site, siteA);
    await assert.rejects(
      withQueryScope(
        async () => {
          for (let i = 0; i < 4; i++) fromSiteB();
        },
        { mode: 'strict' },
      ),
      (error: unknown) =>
        error instanceof NPlusOneError &&
        error.name === 'NPlusOneError' &&
        error.code === 'N_PLUS_ONE' &&
        error.violations.length === 1 &&
        /^N\+1 queries: listThings ran 4 times from .*observer\.test\.ts:\d+:\d+\)?\. Load related rows with an include \(one statement\) instead of a query per row\.$/.test(
          error.message,
        ),
    );
  });
});
