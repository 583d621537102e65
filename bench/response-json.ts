// The API's response text two ways over the same rows, interleaved in one process: JSON.stringify over the
// revived rows (what tRPC and the fast path did), and the writers codegen emits per result type (generated/*.json.ts).
// Rows are real: dashboards and first alert pages of the load test's seeded users, read through the SDK.
// Every writer's text is compared with JSON.stringify's before timing. Prints CPU per response and the ratio.
//   npx tsx bench/response-json.ts [--users 500] [--rounds 40] [--data-dir .data/loadtest]
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pino } from 'pino';
import pg from 'pg';
import { createDb } from 'sqlbound';
import { runCommand, startDatabase } from '../codegen/database/server.js';
import { projectRoot } from '../src/server/paths.js';
import { getDashboard, getDashboardJson, listAlerts, listAlertsPageJson } from '../generated/index.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '40' },
    'data-dir': { type: 'string', default: '.data/loadtest' },
  },
});
const userCount = Number(args.users);
const rounds = Number(args.rounds);

type Case = { name: string; values: unknown[]; writers: { name: string; write: (value: never) => string }[] };

function cpuPerCall(values: unknown[], write: (value: never) => string): number {
  const before = process.cpuUsage();
  let length = 0;
  for (const value of values) length += write(value as never).length;
  const used = process.cpuUsage(before);
  if (length === 0) throw new Error('nothing written');
  return (used.user + used.system) / values.length;
}

await runCommand(async () => {
  const server = await startDatabase({ kind: 'persistent', dataDir: resolve(projectRoot, args['data-dir']) });
  const probe = new pg.Client({ connectionString: server.url });
  await probe.connect();
  const picked = await probe.query<{ user_id: string }>('SELECT user_id FROM user_counters ORDER BY hashint8(user_id) LIMIT $1', [
    userCount,
  ]);
  await probe.end();
  const db = createDb({ connectionString: server.url, max: 10, cursorSecret: 'bench', cache: false, logger: pino({ level: 'silent' }) });
  const ids = picked.rows.map((row) => row.user_id);
  const dashboards = await Promise.all(ids.map((userId) => getDashboard(db, { userId })));
  const pages = await Promise.all(ids.map((userId) => listAlerts(db, { userId, limit: 50, cursor: null })));
  await db.close();
  const envelope = (data: string) => `{"result":{"data":${data}}}`;
  const cases: Case[] = [
    {
      name: 'dashboard.get',
      values: dashboards,
      writers: [
        { name: 'JSON.stringify', write: (row: (typeof dashboards)[number]) => JSON.stringify({ result: { data: row } }) },
        { name: 'emitted writer', write: (row: (typeof dashboards)[number]) => envelope(getDashboardJson(row)) },
      ],
    },
    {
      name: 'alerts.list (limit 50)',
      values: pages,
      writers: [
        { name: 'JSON.stringify', write: (page: (typeof pages)[number]) => JSON.stringify({ result: { data: page } }) },
        { name: 'emitted writer', write: (page: (typeof pages)[number]) => envelope(listAlertsPageJson(page)) },
      ],
    },
  ];
  for (const { name, values, writers } of cases) {
    for (const value of values) {
      const [reference, ...others] = writers.map((writer) => writer.write(value as never));
      for (const other of others) if (other !== reference) throw new Error(`${name}: the writers disagree:\n${reference}\n${other}`);
    }
  }
  const lines = [
    `${values(userCount)} users, ${rounds} interleaved rounds (writers in alternating order), CPU per response (µs)`,
    '',
    '| response | JSON.stringify | emitted writer | writer / JSON.stringify | bytes (median) |',
    '|---|---|---|---|---|',
  ];
  for (const { name, values: rows, writers } of cases) {
    const totals = new Map<string, number[]>();
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? writers : [...writers].reverse();
      for (const writer of order) totals.set(writer.name, [...(totals.get(writer.name) ?? []), cpuPerCall(rows, writer.write)]);
    }
    const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? Number.NaN;
    const base = median(totals.get('JSON.stringify') ?? []);
    const emitted = median(totals.get('emitted writer') ?? []);
    const bytes = rows.map((row) => (writers[0]?.write(row as never) ?? '').length).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
    lines.push(`| ${name} | ${base.toFixed(1)} | ${emitted.toFixed(1)} | ${(emitted / base).toFixed(2)} | ${bytes} |`);
  }
  console.log(lines.join('\n'));
  await server.stop();
});

function values(n: number): string {
  return n.toLocaleString('en-US');
}
