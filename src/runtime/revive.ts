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
  /**
   * A timestamptz the composed SQL sent inside JSON as whole epoch milliseconds (a JSON number): `new Date(n)`,
   * without parsing text. A string (infinity travels as one) is read as 'date' reads it.
   */
  | 'epochMs'
  | 'textArray'
  /** int8 (or numeric) text as a bigint: the config's `types.int8: "bigint"`. */
  | 'bigint'
  /** int8 or numeric text as a number: the config's `types.int8: "number"` (exact only below 2^53). */
  | 'number'
  | { readonly one: ReviveSpec }
  | { readonly many: ReviveSpec };

/** Revives one field's value; null and undefined read as null. */
type Reviver = (value: unknown) => unknown;
/** Revives a row's listed fields in place. */
type RowReviver = (row: Record<string, unknown>) => void;

const reviveDate: Reviver = (value) => (typeof value === 'string' ? parseJsonTimestamp(value) : value);
const reviveEpochMs: Reviver = (value) =>
  typeof value === 'number' ? new Date(value) : typeof value === 'string' ? parseJsonTimestamp(value) : value;
const reviveTextArray: Reviver = (value) => (typeof value === 'string' ? parseArray(value) : value);
const reviveBigint: Reviver = (value) => (typeof value === 'string' || typeof value === 'number' ? BigInt(value) : value);
const reviveNumber: Reviver = (value) => (typeof value === 'string' ? Number(value) : value);

function reviverOf(field: ReviveField): Reviver {
  if (field === 'date') return reviveDate;
  if (field === 'epochMs') return reviveEpochMs;
  if (field === 'textArray') return reviveTextArray;
  if (field === 'bigint') return reviveBigint;
  if (field === 'number') return reviveNumber;
  if ('one' in field) {
    const inner = compiled(field.one);
    return (value) => {
      if (typeof value === 'object' && value !== null) inner(value as Record<string, unknown>);
      return value;
    };
  }
  const inner = compiled(field.many);
  return (value) => {
    if (Array.isArray(value)) {
      const items: unknown[] = value;
      for (let k = 0; k < items.length; k++) {
        const item = items[k];
        if (typeof item === 'object' && item !== null) inner(item as Record<string, unknown>);
      }
    }
    return value;
  };
}

/**
 * A spec turned into closures once (remembered per spec object): a dashboard revives 23 fields over a dozen nested
 * rows per call, and walking the spec with for-in and type tests per field cost about as much as the dates did.
 */
const compiledSpecs = new WeakMap<ReviveSpec, RowReviver>();
function compiled(spec: ReviveSpec): RowReviver {
  let revive = compiledSpecs.get(spec);
  if (revive === undefined) {
    const names: string[] = [];
    const revivers: Reviver[] = [];
    for (const name in spec) {
      const field = spec[name];
      if (field === undefined) continue;
      names.push(name);
      revivers.push(reviverOf(field));
    }
    revive = (row) => {
      for (let k = 0; k < names.length; k++) {
        const name = names[k]!;
        const value = row[name];
        row[name] = value === null || value === undefined ? null : revivers[k]!(value);
      }
    };
    compiledSpecs.set(spec, revive);
  }
  return revive;
}

/**
 * Revives the listed fields of a row in place and returns it. Rows are the caller's own: fresh from pg (and
 * JSON.parse) for each call, or a copy (a cache hit is deserialized; a collapsed miss is cloned per waiter).
 * In place, because a dashboard's nested rows are a dozen objects a copy would allocate again. Reviving twice is
 * harmless: each step leaves an already revived value as it is.
 */
export function reviveRow<Row>(spec: ReviveSpec, raw: unknown): Row {
  if (typeof raw !== 'object' || raw === null) return raw as Row;
  compiled(spec)(raw as Record<string, unknown>);
  return raw as Row;
}

export function hasRevival(spec: ReviveSpec | undefined): spec is ReviveSpec {
  if (spec === undefined) return false;
  for (const _name in spec) return true;
  return false;
}
