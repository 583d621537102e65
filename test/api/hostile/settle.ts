// After the run: every row that changed must be explained by a valid call, and every valid call's change must
// be there. Calls ran concurrently, so the settlement is order-free: a markRead of the caller's unread alert
// succeeds exactly once whatever the interleaving, and a profile ends with one of the values valid calls set.
import { changedColumns, diff, type Row, type Snapshot } from './snapshot.js';
import type { Effect } from './oracle.js';

export type Done = { effect: Effect; status: number };

function only(columns: string[], allowed: string[]): boolean {
  return columns.every((column) => allowed.includes(column));
}

function alertRow(snapshot: Snapshot, alertId: string): Row | undefined {
  return snapshot.get('alerts')?.get(`[${alertId}]`);
}

export function settle(before: Snapshot, after: Snapshot, done: Done[]): { problems: string[]; marked: number; updated: number } {
  const problems: string[] = [];
  const marks = done.filter((entry): entry is Done & { effect: Extract<Effect, { kind: 'markRead' }> } => entry.effect.kind === 'markRead');
  const updates = done.filter((entry): entry is Done & { effect: Extract<Effect, { kind: 'profile' }> } => entry.effect.kind === 'profile');

  // markRead: the caller's own alert, unread before the run, is read after it, with one 200 among its calls.
  const toRead = new Map<string, string>(); // alert id → owner
  for (const { effect } of marks) {
    const row = alertRow(before, effect.alertId);
    if (row !== undefined && String(row.user_id) === effect.user && row.read_at === null) toRead.set(effect.alertId, effect.user);
  }
  for (const alertId of new Set(marks.map(({ effect }) => effect.alertId))) {
    const calls = marks.filter(({ effect }) => effect.alertId === alertId);
    const successes = calls.filter(({ status }) => status === 200).length;
    const expected = toRead.has(alertId) ? 1 : 0;
    if (successes !== expected) problems.push(`alert ${alertId}: ${successes} successful markRead calls, expected ${expected}`);
    if (calls.some(({ status }) => status !== 200 && status !== 404))
      problems.push(`alert ${alertId}: markRead answered other than 200/404`);
  }
  const unreadDrop = new Map<string, number>();
  for (const owner of toRead.values()) unreadDrop.set(owner, (unreadDrop.get(owner) ?? 0) + 1);

  // profile.update: the last writer wins, so the final value is one that a successful call set.
  const profiles = new Map<string, { fullNames: Set<string>; phones: Set<string> }>();
  for (const { effect, status } of updates) {
    if (status !== 200) {
      problems.push(`a valid profile.update of user ${effect.user} answered ${status}`);
      continue;
    }
    const entry = profiles.get(effect.user) ?? { fullNames: new Set<string>(), phones: new Set<string>() };
    if (effect.fullName !== null) entry.fullNames.add(effect.fullName);
    if (effect.phone !== null) entry.phones.add(effect.phone);
    profiles.set(effect.user, entry);
  }

  const seen = new Set<string>();
  for (const change of diff(before, after)) {
    const columns = changedColumns(change);
    const where = `${change.table} ${change.key}`;
    if (change.before === undefined || change.after === undefined) {
      problems.push(`${where} was ${change.before === undefined ? 'added' : 'removed'}`);
      continue;
    }
    if (change.table === 'alerts') {
      const alertId = String(change.before.id);
      seen.add(`alert ${alertId}`);
      if (!toRead.has(alertId) || !only(columns, ['read_at']) || change.before.read_at !== null || change.after.read_at === null) {
        problems.push(`${where} changed (${columns.join(', ')}) without a valid markRead to explain it`);
      }
    } else if (change.table === 'user_counters') {
      const user = String(change.before.user_id);
      const drop = unreadDrop.get(user) ?? 0;
      seen.add(`counters ${user}`);
      if (!only(columns, ['unread_alerts']) || Number(change.before.unread_alerts) - Number(change.after.unread_alerts) !== drop) {
        problems.push(
          `${where}: ${JSON.stringify(change.before)} → ${JSON.stringify(change.after)}, expected unread_alerts down by ${drop}`,
        );
      }
    } else if (change.table === 'users') {
      const user = String(change.before.id);
      const entry = profiles.get(user);
      seen.add(`user ${user}`);
      if (entry === undefined || !only(columns, ['full_name', 'phone', 'updated_at'])) {
        problems.push(`${where} changed (${columns.join(', ')}) without a valid profile.update to explain it`);
        continue;
      }
      for (const [column, values] of [
        ['full_name', entry.fullNames],
        ['phone', entry.phones],
      ] as const) {
        const final = change.after[column];
        const ok = values.size === 0 ? final === change.before[column] : typeof final === 'string' && values.has(final);
        if (!ok)
          problems.push(`${where}: ${column} is ${JSON.stringify(final)}, not one a valid call set (${JSON.stringify([...values])})`);
      }
    } else {
      problems.push(`${where} changed (${columns.join(', ')}), and no call may change ${change.table}`);
    }
  }
  for (const alertId of toRead.keys()) if (!seen.has(`alert ${alertId}`)) problems.push(`alert ${alertId} should have been marked read`);
  for (const [user, drop] of unreadDrop)
    if (drop > 0 && !seen.has(`counters ${user}`)) problems.push(`user ${user}'s unread count should be down by ${drop}`);
  // updated_at = now() on every successful update, even one that sets the values already there.
  for (const user of profiles.keys()) if (!seen.has(`user ${user}`)) problems.push(`user ${user} was updated, but the row did not change`);
  return { problems, marked: toRead.size, updated: profiles.size };
}
