// The dashboard three ways, shared by bench:dashboard and npm run bench: the generated single statement (includes
// and counters), a naive N+1 loop, and several queries in parallel. Each returns the same data for a user.
import { getDashboard } from '../generated/index.js';
import type { Db, Statement } from 'sqlbound';

const statement = (name: string, text: string): Statement => ({ name, text });
const q = {
  profile: statement('bench.profile', 'SELECT id, email, full_name, phone, created_at FROM users WHERE id = $1'),
  subscription: statement('bench.subscription', 'SELECT plan, status, current_period_end FROM subscriptions WHERE user_id = $1'),
  counters: statement('bench.counters', 'SELECT * FROM user_counters WHERE user_id = $1'),
  recentAlerts: statement(
    'bench.recentAlerts',
    'SELECT id, kind, severity, title, created_at, read_at, exposure_id FROM alerts WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 5',
  ),
  exposure: statement('bench.exposure', 'SELECT id, status, data_types, created_at, removed_at, broker_id FROM exposures WHERE id = $1'),
  broker: statement('bench.broker', 'SELECT id, name, domain, opt_out_url FROM data_brokers WHERE id = $1'),
  latestScan: statement('bench.latestScan', 'SELECT * FROM scans WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1'),
  recentWithRelations: statement(
    'bench.recentWithRelations',
    `SELECT a.id, a.kind, a.severity, a.title, a.created_at, a.read_at, e.id AS exposure_id, e.status, b.name AS broker
     FROM (SELECT * FROM alerts WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 5) a
     LEFT JOIN exposures e ON e.id = a.exposure_id LEFT JOIN data_brokers b ON b.id = e.broker_id
     ORDER BY a.created_at DESC, a.id DESC`,
  ),
};

export type Strategy = { name: string; load: (db: Db, userId: string) => Promise<unknown> };

export const strategies: Strategy[] = [
  { name: 'one statement (generated)', load: (db, userId) => getDashboard(db, { userId }, { bypassCache: true }) },
  {
    name: 'naive N+1 loop',
    load: async (db, userId) => {
      const profile = await db.execute(q.profile, [userId]);
      const subscription = await db.execute(q.subscription, [userId]);
      const counters = await db.execute(q.counters, [userId]);
      const alerts = await db.execute<{ exposure_id: string | null }>(q.recentAlerts, [userId]);
      const related = [];
      for (const alert of alerts.rows) {
        if (alert.exposure_id === null) continue;
        const exposure = await db.execute<{ broker_id: string }>(q.exposure, [alert.exposure_id]);
        const brokerId = exposure.rows[0]?.broker_id;
        related.push(exposure, brokerId === undefined ? null : await db.execute(q.broker, [brokerId]));
      }
      const scan = await db.execute(q.latestScan, [userId]);
      return { profile, subscription, counters, alerts, related, scan };
    },
  },
  {
    name: '5 queries in parallel',
    load: (db, userId) =>
      Promise.all([
        db.execute(q.profile, [userId]),
        db.execute(q.subscription, [userId]),
        db.execute(q.counters, [userId]),
        db.execute(q.recentWithRelations, [userId]),
        db.execute(q.latestScan, [userId]),
      ]),
  },
];
