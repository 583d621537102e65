// Which fields of a row generated code must revive: values that travel as text (inside an include's JSON, or an
// array node-postgres does not parse) or whose declared type is not what node-postgres returns (int8 as bigint).
// Read from the model only.
import type { ReviveField, ReviveSpec } from 'sqlbound';
import type { ColumnModel, IncludeModel, TsType, TypeModel } from '../manifest/manifest.js';
import { PG_PARSED_ARRAYS } from '../analysis/catalog.js';

/** The type a value has once revived: a named override revives as its base. */
function runtimeOf(ts: TsType): TsType {
  return ts.kind === 'named' ? runtimeOf(ts.base) : ts;
}

function fieldFor(type: TypeModel, inJson: boolean): ReviveField | null {
  const ts = runtimeOf(type.ts);
  // compose.ts sends a timestamptz inside JSON as epoch milliseconds; other JSON-borne dates travel as text.
  if (ts.kind === 'primitive' && ts.ts === 'Date' && inJson) return type.name === 'timestamptz' ? 'epochMs' : 'date';
  // int8 arrives as text (node-postgres's default, and the JSON of includes): a bigint or number override converts it.
  if (ts.kind === 'primitive' && ts.ts === 'bigint') return 'bigint';
  if (ts.kind === 'primitive' && ts.ts === 'number' && (type.name === 'int8' || type.name === 'numeric')) return 'number';
  // Arrays node-postgres does not parse (enums, domains, composites) arrive as text.
  if (ts.kind === 'array' && !inJson && (ts.element.kind === 'enum' || !PG_PARSED_ARRAYS.has(type.name))) return 'textArray';
  return null;
}

export function reviveSpec(columns: ColumnModel[], includes: IncludeModel[], inJson: boolean): ReviveSpec {
  const spec: Record<string, ReviveField> = {};
  for (const column of columns) {
    const field = fieldFor(column.type, inJson);
    if (field !== null) spec[column.name] = field;
  }
  for (const include of includes) {
    const inner = reviveSpec(include.columns, include.includes, true);
    if (Object.keys(inner).length === 0) continue;
    spec[include.name] = include.cardinality === 'one' ? { one: inner } : { many: inner };
  }
  return spec;
}
