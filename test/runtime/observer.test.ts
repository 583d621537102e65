// The observer and the request scope, driven with exact durations and call sites instead of the wall clock:
// the default slow-query thresholds pinned on both sides, and the N+1 rule keyed by query name and call site.
// No database: a finished call is plain data, so these hold on a loaded machine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { metrics as otel } from '@opentelemetry/api';
import type { SlowQueryEvent } from '../../src/runtime/options.js';
import { NPlusOneError, withQueryScope } from '../../src/runtime/scope.js';
import { createMetrics } from '../../src/runtime/metrics.js';
import { createObserver, type FinishedCall, type Observer } from '../../src/runtime/observe.js';
import { resolveOptions, type DbOptions } from '../../src/runtime/options.js';
import { LEVEL, capturingLogger, type CapturedLogger } from './support.js';

const stats = () => ({ total: 1, idle: 1, waiting: 0, max: 20 });

function observerWith(options: Partial<DbOptions> = {}): { observe: Observer; captured: CapturedLogger; events: SlowQueryEvent[] } {
  const captured = capturingLogger('debug');
  const events: SlowQueryEvent[] = [];
  const meterProvider = otel.getMeterProvider();
  const resolved = resolveOptions(
    { connectionString: 'postgres://unused/none', cursorSecret: 's', logger: captured.logger, onSlowQuery: (event) => events.push(event), ...options },
    { meterProvider },
  );
  const observe = createObserver(resolved, captured.logger, createMetrics(meterProvider.getMeter('test'), 'test', stats), stats);
  return { observe, captured, events };
}

const call = (queryName: string, executionMs: number, waitMs: number | null = 0): FinishedCall => ({ queryName, waitMs, executionMs, rows: 1, parameters: [] });

describe('slow-query thresholds', () => {
  test('defaults: 450 ms is debug, 550 ms warns; 950 ms warns without the hook, 1050 ms is an error and calls the hook', () => {
    const { observe, captured, events } = observerWith();
    for (const [name, ms] of [['q450', 450], ['q550', 550], ['q950', 950], ['q1050', 1050]] as const) observe(call(name, ms));
    const level = (name: string) => captured.lines.find((line) => line.query === name)?.level;
    assert.equal(level('q450'), LEVEL.debug);
    assert.equal(level('q550'), LEVEL.warn);
    assert.equal(level('q950'), LEVEL.warn);
    assert.equal(level('q1050'), LEVEL.error);
    assert.deepEqual(events.map((event) => event.queryName), ['q1050']);
    assert.equal(events[0]?.durationMs, 1050);
    assert.equal(events[0]?.level, 'error');
  });

  test('the thresholds themselves are slow: 500 ms warns, 1000 ms is an error', () => {
    const { observe, captured, events } = observerWith();
    observe(call('at500', 500));
    observe(call('at1000', 1000));
    assert.equal(captured.lines.find((line) => line.query === 'at500')?.level, LEVEL.warn);
    assert.equal(captured.lines.find((line) => line.query === 'at1000')?.level, LEVEL.error);
    assert.deepEqual(events.map((event) => event.queryName), ['at1000']);
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
    assert.deepEqual(events.map((event) => event.queryName), ['q250']);
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
    assert.deepEqual(sites.map((site) => site.count), [3, 3]);
    assert.ok(sites.every((site) => /observer\.test\.ts:\d+:\d+/.test(site.site)), JSON.stringify(sites));
    assert.deepEqual(scope.violations, []);
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
      withQueryScope(async () => {
        for (let i = 0; i < 4; i++) fromSiteB();
      }, { mode: 'strict' }),
      (error: unknown) => error instanceof NPlusOneError && error.violations.length === 1 && /listThings ran 4 times from .*observer\.test\.ts/.test(error.message),
    );
  });
});
