// The PromQL name extraction and the exposition reader that metric-names.test.ts relies on: if they were wrong,
// that test could pass on a dashboard that names nothing real.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelValues, parseExposition } from './exposition.js';
import { promqlReferences } from './promql.js';

const sorted = (names: Set<string>) => [...names].sort();

describe('promqlReferences', () => {
  test('metric names are the selectors; label names come from matchers and grouping lists', () => {
    const refs = promqlReferences(
      'histogram_quantile(0.95, sum by (job, le) (rate(request_seconds_bucket{route="/a", method=~"GET|POST"}[5m])))',
    );
    assert.deepEqual(sorted(refs.metrics), ['request_seconds_bucket']);
    assert.deepEqual(sorted(refs.labels), ['job', 'le', 'method', 'route']);
  });

  test('vector matching: on, ignoring, group_left with and without a label list', () => {
    const refs = promqlReferences('a > on (job, query) group_left (team) b or ignoring(instance) c * on(x) group_right d');
    assert.deepEqual(sorted(refs.metrics), ['a', 'b', 'c', 'd']);
    assert.deepEqual(sorted(refs.labels), ['instance', 'job', 'query', 'team', 'x']);
  });

  test('keywords, numbers, durations, offsets and trailing grouping clauses are not metrics', () => {
    const refs = promqlReferences('sum(rate(x_total[5m] offset 1h)) without (instance) > bool 1e3 and y unless z * 0x1f + Inf - NaN');
    assert.deepEqual(sorted(refs.metrics), ['x_total', 'y', 'z']);
    assert.deepEqual(sorted(refs.labels), ['instance']);
  });

  test('words inside strings and Grafana variables are neither metrics nor labels', () => {
    const refs = promqlReferences(
      'label_replace(up{job=~"$job", note="has sum_total and \\"quotes\\""}, "dst", "$1", "src", `raw (.*)`)[${window}:$__interval]',
    );
    assert.deepEqual(sorted(refs.metrics), ['up']);
    assert.deepEqual(sorted(refs.labels), ['job', 'note']);
  });

  test('a recording-rule name with colons is a metric; a function call is not', () => {
    const refs = promqlReferences('abs(job:latency_seconds:p95 - scalar(limits))');
    assert.deepEqual(sorted(refs.metrics), ['job:latency_seconds:p95', 'limits']);
  });

  test('what it cannot read is an error, never an empty answer', () => {
    assert.throws(() => promqlReferences('sum(x{a="b"'), /unclosed group/);
    assert.throws(() => promqlReferences('x # y'), /cannot read PromQL/);
    assert.throws(() => promqlReferences('{__name__="hidden"}'), /__name__/);
  });
});

describe('parseExposition', () => {
  const text = [
    '# HELP db_op Duration.',
    '# TYPE db_op histogram',
    'db_op_bucket{query="a",le="0.5"} 3',
    'db_op_bucket{query="a",le="+Inf"} 4',
    'db_op_count{query="a"} 4',
    'hits_total{note="a \\"quoted\\", {braced} value",query="b"} 2 1700000000000',
    'up 1',
    '',
  ].join('\n');

  test('every sample name with the label names it carries', () => {
    const exposition = parseExposition(text);
    assert.deepEqual([...exposition.keys()].sort(), ['db_op_bucket', 'db_op_count', 'hits_total', 'up']);
    assert.deepEqual(sorted(exposition.get('db_op_bucket') ?? new Set()), ['le', 'query']);
    assert.deepEqual(sorted(exposition.get('hits_total') ?? new Set()), ['note', 'query']);
    assert.deepEqual(sorted(exposition.get('up') ?? new Set()), []);
  });

  test('label values of one label', () => {
    assert.deepEqual(sorted(labelValues(text, 'db_op_bucket', 'le')), ['+Inf', '0.5']);
    assert.deepEqual(sorted(labelValues(text, 'hits_total', 'query')), ['b']);
  });

  test('a line that is not a sample is an error', () => {
    assert.throws(() => parseExposition('db_op{query="a" 3'), /not a sample line/);
  });
});
