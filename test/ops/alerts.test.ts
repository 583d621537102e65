// promtool over ops/: the rules load, their unit tests (ops/prometheus/alerts.test.yml) pass, those tests fail
// when a threshold or window is moved (so they really pin each alert), and every dashboard query parses as PromQL.
// promtool comes from Debian's prometheus package (.ci/run installs it); without it this file says so loudly.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { alertRules, alertsPath, alertsTestPath, dashboardQueries } from './ops-files.js';

async function findOnPath(command: string): Promise<string | null> {
  for (const directory of (process.env.PATH ?? '').split(delimiter).filter((entry) => entry !== '')) {
    const candidate = join(directory, command);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return null;
}

type Run = { code: number; output: string };

function run(file: string, args: string[]): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(file, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolveRun({ code, output: `${stdout}${stderr}` });
    });
  });
}

const promtool = await findOnPath('promtool');
// One line on stdout, so a CI log shows that these checks did not run.
if (promtool === null) console.log('SKIPPED: promtool not installed (apt-get install prometheus)');
const skip = promtool === null ? 'promtool not installed (apt-get install prometheus)' : false;
const promtoolRun = (args: string[]) => {
  if (promtool === null) throw new Error('promtool not installed');
  return run(promtool, args);
};

const scratch = await mkdtemp(join(tmpdir(), 'sqlbound-ops-'));
after(() => rm(scratch, { recursive: true, force: true }));

/**
 * Each alert's threshold, window or signal moved a little. The unit tests must fail on every one: a test that still
 * passes with the threshold moved does not pin it.
 */
const MUTATIONS: { alert: string; from: string; to: string }[] = [
  { alert: 'SqlboundSlowQuery', from: '[5m]))\n            > 0', to: '[5m]))\n            > 1' },
  { alert: 'SqlboundSlowQuery', from: 'le=~"1(\\\\.0)?"', to: 'le="1"' },
  { alert: 'SqlboundQueryOverBudget', from: '(sqlbound_query_budget)', to: '(sqlbound_query_budget) * 3' },
  { alert: 'SqlboundQueryOverBudget', from: 'for: 5m', to: 'for: 3m' },
  { alert: 'SqlboundPoolWaiters', from: 'pending_requests) > 0', to: 'pending_requests) > 3' },
  { alert: 'SqlboundPoolWaiters', from: 'pending_requests) > 0\n        for: 1m', to: 'pending_requests) > 0\n        for: 15s' },
  { alert: 'SqlboundDatabaseUnreachable', from: 'unless on', to: 'or on' },
  { alert: 'SqlboundDatabaseUnreachable', from: 'error_type=~"UNAVAILABLE|POOL_TIMEOUT"', to: 'error_type="UNAVAILABLE"' },
  { alert: 'SqlboundDatabaseUnreachable', from: '[2m])) > 0\n        for: 1m', to: '[2m])) > 0\n        for: 0s' },
  { alert: 'SqlboundReplicaLag', from: '(sqlbound_replica_lag) > 10', to: '(sqlbound_replica_lag) > 5' },
  { alert: 'SqlboundReplicaLag', from: '(sqlbound_replica_lag) > 10', to: '(sqlbound_replica_lag) > 40' },
  { alert: 'SqlboundReplicaLag', from: '(sqlbound_replica_lag) > 10\n        for: 1m', to: '(sqlbound_replica_lag) > 10\n        for: 0s' },
];

describe('Prometheus alert rules', { skip }, () => {
  test('promtool check rules: every rule loads', async () => {
    const result = await promtoolRun(['check', 'rules', alertsPath]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, new RegExp(`SUCCESS: ${(await alertRules()).length} rules found`));
  });

  test('promtool test rules: each alert fires above its threshold and stays quiet below it', async () => {
    const result = await promtoolRun(['test', 'rules', alertsTestPath]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /SUCCESS/);
  });

  test('the unit tests expect every alert both firing and quiet', async () => {
    const file: unknown = parse(await readFile(alertsTestPath, 'utf8'));
    const tests = (file as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }).tests;
    const expectations = tests.flatMap((unit) => unit.alert_rule_test ?? []);
    for (const { alert } of await alertRules()) {
      const mine = expectations.filter((expectation) => expectation.alertname === alert);
      assert.ok(
        mine.some((expectation) => (expectation.exp_alerts ?? []).length > 0),
        `${alert} is never expected to fire`,
      );
      assert.ok(
        mine.some((expectation) => (expectation.exp_alerts ?? []).length === 0),
        `${alert} is never expected to be quiet`,
      );
    }
  });

  test('moving any threshold or window makes the unit tests fail', async () => {
    const rules = await readFile(alertsPath, 'utf8');
    const alerts = (await alertRules()).map((rule) => rule.alert);
    for (const alert of alerts)
      assert.ok(
        MUTATIONS.some((mutation) => mutation.alert === alert),
        `no mutation for ${alert}`,
      );
    const suite = await readFile(alertsTestPath, 'utf8');
    assert.match(suite, /^ {2}- alerts\.yml$/m);
    for (const [index, mutation] of MUTATIONS.entries()) {
      assert.equal(rules.split(mutation.from).length, 2, `"${mutation.from}" occurs exactly once in alerts.yml`);
      // The suite's copy names the mutated rules; rule_files paths are relative to the suite.
      await writeFile(join(scratch, `alerts-${index}.yml`), rules.replace(mutation.from, mutation.to));
      const suitePath = join(scratch, `alerts-${index}.test.yml`);
      await writeFile(suitePath, suite.replace(/^ {2}- alerts\.yml$/m, `  - alerts-${index}.yml`));
      const result = await promtoolRun(['test', 'rules', suitePath]);
      assert.notEqual(result.code, 0, `${mutation.alert}: the tests still pass with "${mutation.from}" -> "${mutation.to}"`);
      assert.match(result.output, /FAILED/, result.output);
    }
  });
});

describe('Grafana dashboard', { skip }, () => {
  test('every query parses as PromQL (promtool check rules over them as recording rules)', async () => {
    const queries = await dashboardQueries();
    // Grafana fills these in before it sends a query: use values of the same shape.
    const expand = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.*');
    const rules = {
      groups: [
        { name: 'dashboard', rules: queries.map((query, index) => ({ record: `dashboard_query_${index}`, expr: expand(query.expr) })) },
      ],
    };
    const path = join(scratch, 'dashboard-rules.yml');
    await writeFile(path, stringify(rules));
    const result = await promtoolRun(['check', 'rules', path]);
    assert.equal(
      result.code,
      0,
      `${result.output}\n${queries.map((query, index) => `dashboard_query_${index}: ${query.where}`).join('\n')}`,
    );
    assert.match(result.output, new RegExp(`SUCCESS: ${queries.length} rules found`));
  });
});
