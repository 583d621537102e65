// The postmaster is killed with SIGKILL under load and started again: requests answer 503 with Retry-After and
// never 500, the process stays up, every request succeeds within 5 s of the server being back, the pool returns to
// normal without a leaked client, and the outage is logged in a few lines rather than one per request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LEVEL } from '../runtime/support.js';
import { countBy, eventually, ownServer, report, sleep, startApiOn, startLoad } from './support.js';

const external = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '';

test(
  'postmaster SIGKILL under load: 503 + Retry-After only, recovery within 5 s, no leak, logs rate-limited',
  { skip: external ? 'DATABASE_URL is set: this case kills an embedded server it owns' : false, timeout: 120_000 },
  async () => {
    const server = await ownServer();
    const api = await startApiOn(server.current().url, { max: 20, connectionTimeoutMillis: 1000, failureLogIntervalMs: 2000 });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const load = startLoad(api.base, 20);
      await sleep(1000);
      const pid = server.current().pid;
      assert.ok(pid !== null);
      const linesBefore = api.log.lines.length;
      const killedAt = performance.now();
      process.kill(pid, 'SIGKILL');
      // The outage lasts about three seconds of load.
      await sleep(3000);
      await server.restart();
      const backAt = performance.now();
      await sleep(6000);
      await load.stop();

      const statuses = countBy(load.answers, (answer) => answer.status);
      const failures = load.answers.filter((answer) => answer.status !== 200);
      // Answers to requests sent after the server was back; the last failure tells the recovery time.
      const lastFailure = failures.reduce((latest, answer) => Math.max(latest, answer.doneAt), 0);
      const recoveryMs = Math.max(0, lastFailure - backAt);
      const afterWindow = load.answers.filter((answer) => answer.sentAt >= backAt + 5000);
      const outageLines = api.log.lines.slice(linesBefore).filter((line) => line.level >= LEVEL.warn);
      const figures = {
        requests: load.answers.length,
        statuses,
        outageMs: Math.round(backAt - killedAt),
        recoveryMsAfterRestart: Math.round(recoveryMs),
        requestsAfterRecoveryWindow: afterWindow.length,
        warnOrErrorLogLines: outageLines.length,
        failedRequests: failures.length,
        pool: api.db.poolStats(),
      };
      report('postmaster-sigkill', figures);

      assert.equal(uncaught.length, 0, `uncaught: ${uncaught.map(String).join('; ')}`);
      assert.ok(failures.length > 0, 'the outage was seen');
      for (const answer of failures) {
        assert.equal(answer.status, 503, `${answer.path} answered ${answer.status} during the outage`);
        assert.equal(answer.retryAfter, '5');
      }
      assert.ok(recoveryMs <= 5000, `requests still failed ${Math.round(recoveryMs)} ms after the server was back`);
      assert.ok(afterWindow.length > 0 && afterWindow.every((answer) => answer.status === 200));
      await eventually(
        () => api.db.poolStats().waiting === 0 && api.db.poolStats().total === api.db.poolStats().idle,
        'the pool to settle',
      );
      assert.ok(api.db.poolStats().total <= 20);
      // Rate-limited: one line per distinct failure per 2 s interval (below), not one per failed request.
      const failureLines = outageLines.filter((line) => line.msg.includes('failed'));
      assert.ok(failureLines.length > 0);
      // At most one line per distinct failure per interval, however long the outage lasted on this machine.
      const intervals = Math.ceil((lastFailure - killedAt) / 2000) + 1;
      const perFailure = countBy(
        failureLines.filter((line) => line.msg.startsWith('query ')),
        (line) => `${String(line.query)} ${String(line.errorCode)} ${String(line.sqlState)}`,
      );
      for (const [failure, lines] of Object.entries(perFailure)) {
        assert.ok(lines <= intervals, `${failure}: ${lines} lines in ${intervals} intervals`);
      }
      for (const line of failureLines.filter((l) => l.msg.startsWith('query '))) {
        assert.match(
          String(line.scope),
          /^query (dashboard\.get|alerts\.list|exposures\.list|profile\.get)$/,
          'the log names the procedure',
        );
      }
      assert.ok(
        outageLines.some((line) => typeof line.suppressed === 'number' && line.suppressed > 0),
        'suppressed lines are counted',
      );
      // Nothing in the outage logs carries a stack: an outage is not a bug.
      assert.ok(
        outageLines.every((line) => !JSON.stringify(line).includes('    at ')),
        'no stack traces',
      );
    } finally {
      process.off('uncaughtException', onUncaught);
      await api.close();
    }
  },
);
