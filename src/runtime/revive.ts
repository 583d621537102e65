// Turns JSON-borne include values (and text-encoded arrays node-postgres does not parse) into declared types.
// Codegen emits a ReviveSpec per query listing only the fields that need it; everything else passes untouched.
import { parse as parseArray } from 'postgres-array';
import { parseJsonTimestamp } from './timestamptz.js';

/**
 * For generated code: which fields of a row need reviving after the database, by name. Only the fields that need
 * it are listed; the others pass through untouched.
 *
 * @example
 * ```ts
 * import type { ReviveSpec } from 'sqlbound';
 *
 * // An include's rows come back through JSON: their timestamps are strings until revived.
 * const revive: ReviveSpec = { recentAlerts: { many: { created_at: 'date', read_at: 'date' } } };
 * ```
 */
export type ReviveSpec = { readonly [field: string]: ReviveField };
/**
 * How one field is revived: JSON-borne timestamps to `Date`, text-encoded arrays to arrays, int8 or numeric text
 * to bigint or number (per the config's `types.int8`), and the nested rows of `:one` and `:many` includes.
 *
 * @example
 * ```ts
 * import type { ReviveField } from 'sqlbound';
 *
 * const latestScan: ReviveField = { one: { started_at: 'date', finished_at: 'date' } };
 * ```
 */
export type ReviveField =
  | 'date'
  | 'textArray'
  /** int8 (or numeric) text as a bigint: the config's `types.int8: "bigint"`. */
  | 'bigint'
  /** int8 or numeric text as a number: the config's `types.int8: "number"` (exact only below 2^53). */
  | 'number'
  | { readonly one: ReviveSpec }
  | { readonly many: ReviveSpec };

function reviveValue(field: ReviveField, value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (field === 'date') return typeof value === 'string' ? parseJsonTimestamp(value) : value;
  if (field === 'textArray') return typeof value === 'string' ? parseArray(value) : value;
  if (field === 'bigint') return typeof value === 'string' || typeof value === 'number' ? BigInt(value) : value;
  if (field === 'number') return typeof value === 'string' ? Number(value) : value;
  if ('one' in field) return reviveRow(field.one, value);
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    for (let k = 0; k < items.length; k++) items[k] = reviveRow(field.many, items[k]);
  }
  return value;
}

/**
 * Revives the listed fields of a row in place and returns it. Rows are the caller's own: fresh from pg (and
 * JSON.parse) for each call, or a copy (a cache hit is deserialized; a collapsed miss is cloned per waiter).
 * In place, because a dashboard's nested rows are a dozen objects a copy would allocate again. Reviving twice is
 * harmless: each step leaves an already revived value as it is.
 */
export function reviveRow<Row>(spec: ReviveSpec, raw: unknown): Row {
  if (typeof raw !== 'object' || raw === null) return raw as Row;
  const row = raw as Record<string, unknown>;
  for (const name in spec) {
    const field = spec[name];
    if (field !== undefined) row[name] = reviveValue(field, row[name]);
  }
  return row as Row;
}

export function hasRevival(spec: ReviveSpec | undefined): spec is ReviveSpec {
  if (spec === undefined) return false;
  for (const _name in spec) return true;
  return false;
}
