// Sample parameters for each named query, drawn from the data rather than invented: typical owners and the
// heaviest owners (the config's `audit.owners` queries), with ids of their own rows for params the config names
// (`audit.samples`), fixed values for others (`audit.values`), and a cheap value by type for the rest. Optional
// params run once as null and once with a value; lists run their first page and a page after a keyset cursor
// taken from a real row, exactly as the generated function would.
import type pg from 'pg';
import type { Manifest, ParamModel, TsType } from '../manifest/manifest.js';

export type ManifestQuery = Manifest['queries'][number];

/** The page size the audit asks for: limit 50, sent as limit + 1 so the function can tell a next page exists. */
const AUDIT_PAGE_SIZE = 50;

export type SampleCase = {
  /** e.g. "heavy owner, optional set, after page". */
  label: string;
  text: string;
  /** Writes run inside BEGIN ... ROLLBACK. */
  write: boolean;
  /** Bound parameter values, positional; the runs cycle through them. */
  paramSets: unknown[][];
};

export type QuerySamples = { cases: SampleCase[]; unsampled: string[] };

export type OwnerPools = { typical: string[]; heavy: string[] };

/** How to fill params from the data; all of it comes from the project's config, nothing from a domain. */
export type SamplingRules = {
  /** The param that names the owner of the rows (the config's `cache.scopeParam`). */
  scopeParam: string;
  /** SQL that returns owner ids in a column `id`, `$1` = how many: typical ones, and the heaviest. */
  owners: { typical: string; heavy: string } | null;
  /** Params whose value is the id of one of the owner's rows: SQL returning one `id`, `$1` = the owner. */
  owned: Readonly<Record<string, string>>;
  /** Fixed values by param name (an enum label, a number...). */
  values: Readonly<Record<string, unknown>>;
};

type Profile = { label: string; owners: string[] };

export async function drawOwners(
  client: pg.ClientBase,
  counts: { typical: number; heavy: number },
  owners: SamplingRules['owners'],
): Promise<OwnerPools> {
  if (owners === null) return { typical: [], heavy: [] };
  const heavy = await ownerIds(client, 'heavy', owners.heavy, counts.heavy);
  const typical = await ownerIds(client, 'typical', owners.typical, counts.typical);
  if (heavy.length === 0) {
    throw new Error(
      'the audit.owners.heavy query of sqlbound.config.json found no owner in the database in DATABASE_URL: it holds no rows to measure\n' +
        '  fix: audit a database that holds data (production-like, or your seed), or point "audit": { "owners": { "heavy": ... } } at the table that holds the owners\' rows',
    );
  }
  return { typical: typical.length > 0 ? typical : heavy, heavy };
}

/** The owner ids one of the config's audit.owners queries returns; a failure names the config key and the fix. */
async function ownerIds(client: pg.ClientBase, key: 'typical' | 'heavy', sql: string, count: number): Promise<string[]> {
  const fix = `  fix: correct "audit": { "owners": { "${key}": ... } } in sqlbound.config.json (SQL returning owner ids as column id, $1 = how many), or audit the database that holds the schema`;
  let rows: Record<string, unknown>[];
  try {
    rows = (await client.query<Record<string, unknown>>(sql, [count])).rows;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the audit.owners.${key} query of sqlbound.config.json failed on the database in DATABASE_URL: ${reason}\n${fix}`, {
      cause: error,
    });
  }
  if (rows.length > 0 && !rows.every((row) => 'id' in row)) {
    throw new Error(`the audit.owners.${key} query of sqlbound.config.json returns no column named id\n${fix}`);
  }
  return rows.map((row) => String(row.id));
}

function enumLabels(ts: TsType): string[] | null {
  if (ts.kind === 'named') return enumLabels(ts.base);
  return ts.kind === 'enum' ? ts.labels : null;
}

export class Sampler {
  private readonly owned = new Map<string, string | null>();

  constructor(
    private readonly client: pg.ClientBase,
    private readonly pools: OwnerPools,
    private readonly rules: SamplingRules,
  ) {}

  private isScoped(param: ParamModel): boolean {
    return param.name === this.rules.scopeParam || param.name in this.rules.owned;
  }

  private async ownedId(param: string, owner: string): Promise<string | null> {
    const key = `${param}:${owner}`;
    if (this.owned.has(key)) return this.owned.get(key) ?? null;
    const sql = this.rules.owned[param];
    const row = sql === undefined ? undefined : (await this.client.query<{ id: string | number | null }>(sql, [owner])).rows[0];
    const id = row === undefined || row.id === null ? null : String(row.id);
    this.owned.set(key, id);
    return id;
  }

  /** A cheap, realistic value for a param that is not an owned id; undefined when the type is unknown. */
  private plainValue(param: ParamModel): unknown {
    if (param.name in this.rules.values) return this.rules.values[param.name];
    const labels = enumLabels(param.type.ts);
    if (labels !== null) return labels[Math.floor(labels.length / 2)];
    switch (param.type.name) {
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
    owner: string | null,
    optionalSet: boolean,
  ): Promise<{ ok: true; values: unknown[] } | { ok: false; param: string; missingRow: boolean }> {
    const values: unknown[] = [];
    for (const param of [...query.params].sort((a, b) => a.position - b.position)) {
      let value: unknown;
      if (param.optional && !optionalSet) value = null;
      else if (param.name === this.rules.scopeParam) {
        value = owner;
        if (value === null) return { ok: false, param: param.name, missingRow: false };
      } else if (param.name in this.rules.owned) {
        value = owner === null ? null : await this.ownedId(param.name, owner);
        if (value === null) return { ok: false, param: param.name, missingRow: owner !== null };
      } else {
        value = this.plainValue(param);
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
    const scoped = query.params.some((param) => this.isScoped(param));
    const profiles: Profile[] = scoped
      ? [
          { label: 'typical owner', owners: this.pools.typical },
          { label: 'heavy owner', owners: this.pools.heavy },
        ]
      : [{ label: 'any owner', owners: [] }];
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
        for (const owner of profile.owners.length > 0 ? profile.owners : [null]) {
          const built = await this.values(query, owner, variant.optionalSet);
          if (built.ok) sets.push(built.values);
          // An owner without such a row is no reason to fail; a param nobody knows how to fill is.
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
