// Sample parameters for each named query, drawn from the data rather than invented: typical users (alert
// count near the median) and the heaviest users (most alerts), with ids of their own alerts, exposures and
// scans for params named like those. Optional params run once as null and once with a value; lists run their
// first page and a page after a keyset cursor taken from a real row, exactly as the generated function would.
import type pg from 'pg';
import type { Manifest } from '../../codegen/emit.js';

export type ManifestQuery = Manifest['queries'][number];
type Param = ManifestQuery['params'][number];

/** The page size the audit asks for: limit 50, sent as limit + 1 so the function can tell a next page exists. */
export const AUDIT_PAGE_SIZE = 50;

export type SampleCase = {
  /** e.g. "heavy user, optional set, after page". */
  label: string;
  text: string;
  /** Writes run inside BEGIN ... ROLLBACK. */
  write: boolean;
  /** Bound parameter values, positional; the runs cycle through them. */
  paramSets: unknown[][];
};

export type QuerySamples = { cases: SampleCase[]; unsampled: string[] };

export type UserPools = { typical: string[]; heavy: string[] };

type Profile = { label: string; users: string[] };

/** Params whose value is the id of one of the sampled user's rows: name → how to find one. */
const OWNED_IDS: Record<string, string> = {
  // An unread alert when there is one, so markAlertRead really updates a row.
  alertId: 'SELECT id::text AS id FROM alerts WHERE user_id = $1 ORDER BY (read_at IS NULL) DESC, created_at DESC, id DESC LIMIT 1',
  exposureId: 'SELECT id::text AS id FROM exposures WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1',
  scanId: 'SELECT id::text AS id FROM scans WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1',
  brokerId: 'SELECT broker_id::text AS id FROM exposures WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1',
};

/** Values for optional filters, by param name, used when the enum has that label (the cheap, common filters). */
const PREFERRED_LABELS: Record<string, string> = { severity: 'high', status: 'detected' };

const userScoped = (param: Param) => param.name === 'userId' || param.name in OWNED_IDS;

export async function drawUsers(client: pg.ClientBase, counts: { typical: number; heavy: number }): Promise<UserPools> {
  // user_counters.total_alerts is the alert count maintained by triggers: no scan of alerts is needed.
  const heavy = await client.query<{ id: string }>(
    'SELECT user_id::text AS id FROM user_counters ORDER BY total_alerts DESC, user_id LIMIT $1',
    [counts.heavy],
  );
  const typical = await client.query<{ id: string }>(
    `WITH m AS (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY total_alerts) AS median FROM user_counters)
     SELECT user_id::text AS id FROM user_counters, m
     WHERE user_id <> ALL ($2::int8[])
     ORDER BY abs(total_alerts - m.median), user_id LIMIT $1`,
    [counts.typical, heavy.rows.map((row) => row.id)],
  );
  if (heavy.rows.length === 0) throw new Error('the database has no users: seed it first (npm run audit seeds unless --no-seed)');
  return {
    typical: typical.rows.length > 0 ? typical.rows.map((row) => row.id) : heavy.rows.map((row) => row.id),
    heavy: heavy.rows.map((row) => row.id),
  };
}

export class Sampler {
  private readonly owned = new Map<string, string | null>();
  private enumLabels: Map<string, string[]> | null = null;

  constructor(
    private readonly client: pg.ClientBase,
    private readonly pools: UserPools,
  ) {}

  private async ownedId(param: string, user: string): Promise<string | null> {
    const key = `${param}:${user}`;
    if (this.owned.has(key)) return this.owned.get(key) ?? null;
    const sql = OWNED_IDS[param];
    const id = sql === undefined ? null : ((await this.client.query<{ id: string }>(sql, [user])).rows[0]?.id ?? null);
    this.owned.set(key, id);
    return id;
  }

  private async labels(type: string): Promise<string[] | null> {
    if (this.enumLabels === null) {
      const rows = await this.client.query<{ type: string; labels: string[] }>(
        `SELECT t.typname AS type, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
         FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid GROUP BY t.typname`,
      );
      this.enumLabels = new Map(rows.rows.map((row) => [row.type, row.labels]));
    }
    return this.enumLabels.get(type) ?? null;
  }

  /** A cheap, realistic value for a param that is not an owned id; undefined when the type is unknown. */
  private async plainValue(param: Param): Promise<unknown> {
    const labels = await this.labels(param.type);
    if (labels !== null) {
      const preferred = PREFERRED_LABELS[param.name];
      return preferred !== undefined && labels.includes(preferred) ? preferred : labels[Math.floor(labels.length / 2)];
    }
    switch (param.type) {
      case 'bool':
        return true;
      case 'int2':
      case 'int4':
      case 'int8':
      case 'numeric':
        return '1';
      case 'text':
      case 'varchar':
        return 'audit sample';
      default:
        return undefined;
    }
  }

  /** Positional values for one user and variant, or a reason it cannot be built. */
  private async values(
    query: ManifestQuery,
    user: string | null,
    optionalSet: boolean,
  ): Promise<{ ok: true; values: unknown[] } | { ok: false; param: string; missingRow: boolean }> {
    const values: unknown[] = [];
    for (const param of [...query.params].sort((a, b) => a.position - b.position)) {
      let value: unknown;
      if (param.optional && !optionalSet) value = null;
      else if (param.name === 'userId') value = user;
      else if (param.name in OWNED_IDS) {
        value = user === null ? null : await this.ownedId(param.name, user);
        if (value === null) return { ok: false, param: param.name, missingRow: true };
      } else {
        value = await this.plainValue(param);
        if (value === undefined) return { ok: false, param: param.name, missingRow: false };
      }
      values[param.position - 1] = value;
    }
    return { ok: true, values };
  }

  /** First-page rows for a list, to take a real keyset cursor from. */
  private async cursorFrom(text: string, values: unknown[], cursorColumns: string[]): Promise<unknown[] | null> {
    const rows = (await this.client.query<Record<string, unknown>>(text, [...values, AUDIT_PAGE_SIZE + 1])).rows;
    if (rows.length === 0) return null;
    // The generated function builds nextCursor from the last item it returns (row `limit`); a shorter page
    // has no next page, so its middle row stands in to still exercise the after statement.
    const row = rows.length > AUDIT_PAGE_SIZE ? rows[AUDIT_PAGE_SIZE - 1] : rows[Math.floor((rows.length - 1) / 2)];
    if (row === undefined) return null;
    return cursorColumns.map((column) => row[column]);
  }

  async samples(query: ManifestQuery): Promise<QuerySamples> {
    const scoped = query.params.some(userScoped);
    const profiles: Profile[] = scoped
      ? [
          { label: 'typical user', users: this.pools.typical },
          { label: 'heavy user', users: this.pools.heavy },
        ]
      : [{ label: 'any user', users: [] }];
    const hasOptional = query.params.some((param) => param.optional);
    const variants: { label: string | null; optionalSet: boolean }[] = hasOptional
      ? [
          { label: 'optional null', optionalSet: false },
          { label: 'optional set', optionalSet: true },
        ]
      : [{ label: null, optionalSet: false }];
    const write = query.kind === 'exec' || query.tables.written.length > 0;
    const cases: SampleCase[] = [];
    const unsampled = new Set<string>();
    for (const profile of profiles) {
      for (const variant of variants) {
        const base = [profile.label, ...(variant.label === null ? [] : [variant.label])];
        const sets: unknown[][] = [];
        for (const user of profile.users.length > 0 ? profile.users : [null]) {
          const built = await this.values(query, user, variant.optionalSet);
          if (built.ok) sets.push(built.values);
          // A user without an alert is no reason to fail; a param nobody knows how to fill is.
          else if (!built.missingRow) unsampled.add(built.param);
        }
        if (sets.length === 0) continue;
        const statements = query.statements;
        if (statements.kind === 'single') {
          cases.push({ label: base.join(', '), text: statements.text, write, paramSets: sets });
          continue;
        }
        cases.push({
          label: [...base, 'first page'].join(', '),
          text: statements.first,
          write,
          paramSets: sets.map((values) => [...values, AUDIT_PAGE_SIZE + 1]),
        });
        const after: unknown[][] = [];
        for (const values of sets) {
          const cursor = await this.cursorFrom(statements.first, values, statements.cursorColumns);
          if (cursor !== null) after.push([...values, ...cursor, AUDIT_PAGE_SIZE + 1]);
        }
        if (after.length > 0) cases.push({ label: [...base, 'after page'].join(', '), text: statements.after, write, paramSets: after });
      }
    }
    return { cases, unsampled: [...unsampled] };
  }
}
