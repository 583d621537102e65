// The failure-log limiter, on an injected clock: one line per distinct key per interval, the rest counted and
// reported with the next line of that key or, if it stays quiet, by the flush.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogLimiter } from '../../src/runtime/log-limit.js';

test('one line per distinct key per interval; suppressed counts come with the next line', () => {
  let now = 0;
  const lines: { key: string; suppressed: number }[] = [];
  const limiter = createLogLimiter({ intervalMs: 1000, now: () => now });
  const hit = (key: string) => limiter.hit(key, (suppressed) => lines.push({ key, suppressed }));
  for (let i = 0; i < 500; i += 1) hit('a');
  hit('b');
  now = 999;
  hit('a');
  assert.deepEqual(lines, [
    { key: 'a', suppressed: 0 },
    { key: 'b', suppressed: 0 },
  ]);
  now = 1000;
  hit('a');
  assert.deepEqual(lines.at(-1), { key: 'a', suppressed: 500 });
  hit('a');
  assert.equal(lines.length, 3);
  limiter.close();
});

test('a key that goes quiet after being suppressed is reported by the flush, once', () => {
  let now = 0;
  const quiet: [string, number][] = [];
  const limiter = createLogLimiter({ intervalMs: 1000, now: () => now, onQuiet: (key, n) => quiet.push([key, n]) });
  const emit = () => undefined;
  limiter.hit('x', emit);
  limiter.hit('x', emit);
  limiter.hit('x', emit);
  limiter.hit('y', emit);
  now = 500;
  limiter.flush();
  assert.deepEqual(quiet, [], 'nothing is reported before the interval ends');
  now = 1000;
  limiter.flush();
  assert.deepEqual(quiet, [['x', 2]], 'y was never suppressed, so it is not reported');
  now = 5000;
  limiter.flush();
  assert.equal(quiet.length, 1);
  limiter.close();
});
