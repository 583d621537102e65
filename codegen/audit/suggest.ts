// The one place an index is suggested, for codegen's plan check, the plan audit and the schema audit alike.
// Derives the index a flagged plan node is missing from the node's own conditions: the columns compared for
// equality (Index Cond, Filter, Recheck Cond) lead, then the list's order columns, so one index both finds
// the user's rows and returns them in order. Only top-level AND conjuncts count: `a = $1` under an OR does not
// make `a` a usable index key. Every suggested CREATE INDEX is spelled by indexStatement, schema-qualified.

import type { OrderTerm } from '../manifest/manifest.js';
import { readableIdentifier } from 'sqlbound';

export type { OrderTerm };

/** Removes parentheses that wrap the whole expression, as EXPLAIN prints `((a = 1) AND (b = 2))`. */
function unwrap(expression: string): string {
  let current = expression.trim();
  while (current.startsWith('(') && closingParen(current, 0) === current.length - 1) current = current.slice(1, -1).trim();
  return current;
}

function closingParen(expression: string, open: number): number {
  let depth = 0;
  let quoted = false;
  for (let k = open; k < expression.length; k++) {
    const char = expression[k];
    if (char === "'") quoted = !quoted;
    if (quoted) continue;
    if (char === '(') depth++;
    if (char === ')' && --depth === 0) return k;
  }
  return -1;
}

/** Splits on AND at parenthesis depth 0, outside string literals. */
export function conjuncts(expression: string): string[] {
  const body = unwrap(expression);
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let k = 0; k < body.length; k++) {
    const char = body[k];
    if (char === "'") quoted = !quoted;
    if (quoted) continue;
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (depth === 0 && body.startsWith(' AND ', k)) {
      parts.push(unwrap(body.slice(start, k)));
      start = k + 5;
    }
  }
  parts.push(unwrap(body.slice(start)));
  return parts.filter((part) => part.length > 0);
}

// `col = $1`, `t.col = '42'::bigint`, `col = 7`: a column on the left, a parameter or constant on the right.
// A qualified column on the right (`user_id = u.id`) is a correlated value from an outer row: a nested loop
// turns it into a parameterized index lookup just like a parameter.
const equality =
  /^(?:"?[A-Za-z_][\w$]*"?\.)?"?([A-Za-z_][\w$]*)"? = (?:\$\d+|'(?:[^']|'')*'(?:::[\w" ]+(?:\[\])?)?|-?\d+(?:\.\d+)?|"?[A-Za-z_][\w$]*"?\."?[A-Za-z_][\w$]*"?)$/;

/** Columns compared for equality with a constant or parameter, in order of appearance, without repeats. */
export function equalityColumns(conditions: readonly (string | null)[]): string[] {
  const columns: string[] = [];
  for (const condition of conditions) {
    if (condition === null) continue;
    for (const part of conjuncts(condition)) {
      const column = equality.exec(part)?.[1];
      if (column !== undefined && !columns.includes(column)) columns.push(column);
    }
  }
  return columns;
}

/** One key of a suggested index: a column (with its order), or a key already spelled (quote_ident'ed by the catalog). */
export type IndexKey = { column: string; direction: 'ASC' | 'DESC' | null } | { expression: string };

function keyText(key: IndexKey): string {
  if ('expression' in key) return key.expression;
  return `${readableIdentifier(key.column)}${key.direction === 'DESC' ? ' DESC' : ''}`;
}

/**
 * A suggested `CREATE INDEX [name] ON table (keys)`: `table` as the caller spells it (qualified where it must be),
 * the name and the columns quoted where they need it.
 */
export function indexStatement(table: string, keys: readonly IndexKey[], name: string | null, method: string | null = null): string {
  const using = method === null ? '' : ` USING ${method}`;
  return `CREATE INDEX ${name === null ? '' : `${readableIdentifier(name)} `}ON ${table}${using} (${keys.map(keyText).join(', ')});`;
}

/**
 * The `ON <table> [USING method] (<keys>)` part of a CREATE INDEX, to compare two suggestions whatever their names
 * (a suggestion has none, the schema audit's fix has one) and whatever their trailing semicolon.
 */
export function indexTarget(statement: string): string | null {
  const target = /^CREATE INDEX (?:(?!ON )\S+ )?(ON .+?);?$/.exec(statement.trim())?.[1];
  return target ?? null;
}

/** An index that exists, as codegen's connection reads it from pg_index: keys as pg_get_indexdef prints them. */
export type ExistingIndex = {
  schema: string;
  table: string;
  name: string;
  method: string;
  keys: string[];
  /** Which keys are DESC, key by key (pg_index.indoption). */
  descending: boolean[];
  partial: boolean;
};

/** A table as a suggestion needs it: where it lives, and each column's type name (pg_type.typname). */
export type TableShape = { schema: string; name: string; columns: readonly { name: string; type: string }[] };

/** The access method whose default operator class serves a condition, by the operator and the column's type. */
type Method = 'btree' | 'gin' | 'gist';

const GEOMETRY = new Set(['point', 'box', 'polygon', 'circle', 'lseg', 'path', 'geometry', 'geography']);
const isRange = (type: string) => /(range|multirange)$/.test(type);

/**
 * The method a condition `column <operator> value` needs, or null when no default operator class serves it:
 * GIN for tsvector @@, jsonb @> <@ ? ?| ?&, array @> <@ &&; GiST for ranges and geometry; btree for comparisons.
 */
function methodFor(operator: string, type: string): Method | null {
  if (['=', '<', '<=', '>', '>='].includes(operator)) return type === 'tsvector' || type.startsWith('_') ? null : 'btree';
  if (type === 'tsvector') return operator === '@@' ? 'gin' : null;
  if (type === 'jsonb') return ['@>', '<@', '?', '?|', '?&'].includes(operator) ? 'gin' : null;
  if (type.startsWith('_')) return ['@>', '<@', '&&'].includes(operator) ? 'gin' : null;
  if (isRange(type) || GEOMETRY.has(type)) return ['@>', '<@', '&&', '<<', '>>', '-|-', '~=', '@', '~'].includes(operator) ? 'gist' : null;
  return null;
}

// `col op value` or `alias.col op value`, as EXPLAIN prints a condition.
const CONDITION = /^(?:"?[A-Za-z_][\w$]*"?\.)?"?([A-Za-z_][\w$]*)"? (=|<=|>=|<|>|@@|@>|<@|&&|\?\||\?&|\?|<<|>>|-\|-|~=) (.+)$/;

/** A condition of a scan node, read as the column it tests and the method an index on that column needs. */
type Served = { column: string; method: Method; equality: boolean };

function served(conditions: readonly string[], table: TableShape): Served[] {
  const found: Served[] = [];
  for (const condition of conditions) {
    for (const part of conjuncts(condition)) {
      const match = CONDITION.exec(part);
      const column = table.columns.find((candidate) => candidate.name === match?.[1]);
      if (match === null || column === undefined) continue;
      const operator = match[2] ?? '';
      // `a = b` or `a < b` compare two columns of one row: no index key finds them (`a = t.b` matches a joined row).
      if (/^"?[a-z_][\w$]*"?$/.test(match[3] ?? '')) continue;
      const method = methodFor(operator, column.type);
      if (method !== null && !found.some((seen) => seen.column === column.name && seen.method === method))
        found.push({ column: column.name, method, equality: operator === '=' });
    }
  }
  return found;
}

const qualifiedTable = (table: Pick<TableShape, 'schema' | 'name'>) =>
  `${readableIdentifier(table.schema)}.${readableIdentifier(table.name)}`;

/** A key of a suggestion: its column, its direction, and whether an equality pins it (then its direction is moot). */
type SuggestedKey = { column: string; direction: 'ASC' | 'DESC' | null; pinned: boolean };

/**
 * An index of `method` on `table` that already serves what `keys` would (so suggesting them would build it twice), if
 * any. A btree serves them when its leading columns are theirs in order, and the keys after the pinned ones run all
 * in its directions or all against them (a backward scan gives the reverse order). Another method serves them when
 * it has their columns.
 */
function existing(
  indexes: readonly ExistingIndex[],
  table: TableShape,
  method: Method,
  keys: readonly SuggestedKey[],
): ExistingIndex | null {
  const serves = (index: ExistingIndex): boolean => {
    const columns = keys.map((key) => readableIdentifier(key.column));
    if (method !== 'btree') return columns.every((column) => index.keys.includes(column));
    // Pinned keys lead in any order among themselves; the keys after them in order.
    const pinned = keys.filter((key) => key.pinned).length;
    const leading = index.keys.slice(0, pinned);
    if (!columns.every((column, k) => (k < pinned ? leading.includes(column) : index.keys[k] === column))) return false;
    const ordered = keys.flatMap((key, k) => (key.pinned ? [] : [(key.direction === 'DESC') === (index.descending[k] ?? false)]));
    return ordered.every((same) => same) || ordered.every((same) => !same);
  };
  return (
    indexes.find(
      (index) => index.schema === table.schema && index.table === table.name && index.method === method && !index.partial && serves(index),
    ) ?? null
  );
}

/** A suggested fix: a CREATE INDEX that does not exist yet, or why none is suggested. */
export type IndexSuggestion = { kind: 'create'; statement: string } | { kind: 'none'; reason: string };

/**
 * The index that finds the rows of a scan filtered by `conditions` (and returns them in `order`, when the order's
 * columns are the table's): a btree with the equality columns first, then the order columns; else a GIN or GiST
 * index on the column whose operator needs it; never a column list the operator cannot use, never an index that
 * exists.
 */
export function suggestIndex(
  table: TableShape,
  conditions: readonly string[],
  order: readonly OrderTerm[] | null,
  indexes: readonly ExistingIndex[],
): IndexSuggestion {
  const found = served(conditions, table);
  const ordered = (order ?? []).every((term) => table.columns.some((column) => column.name === term.column)) ? (order ?? []) : [];
  const equalities = found.filter((condition) => condition.method === 'btree' && condition.equality).map((condition) => condition.column);
  const ranges = found.filter((condition) => condition.method === 'btree' && !condition.equality).map((condition) => condition.column);
  const other = found.find((condition) => condition.method !== 'btree');
  let method: Method = 'btree';
  let keys: SuggestedKey[];
  if (equalities.length > 0 || (other === undefined && (ordered.length > 0 || ranges.length > 0))) {
    const orderKeys: SuggestedKey[] = ordered
      .filter((term, k) => !equalities.includes(term.column) && ordered.findIndex((earlier) => earlier.column === term.column) === k)
      .map((term) => ({ column: term.column, direction: term.direction === 'DESC' ? 'DESC' : null, pinned: false }));
    // A range comparison serves as a key only where no order follows it (the order would then be lost).
    const rangeKeys: SuggestedKey[] =
      orderKeys.length === 0 ? ranges.slice(0, 1).map((column) => ({ column, direction: null, pinned: false })) : [];
    keys = [...equalities.map((column): SuggestedKey => ({ column, direction: null, pinned: true })), ...orderKeys, ...rangeKeys];
  } else if (other !== undefined) {
    method = other.method;
    keys = [{ column: other.column, direction: null, pinned: false }];
  } else {
    keys = [];
  }
  if (keys.length === 0) {
    const condition = conditions[0];
    return {
      kind: 'none',
      reason:
        condition === undefined
          ? `the statement reads every row of ${qualifiedTable(table)} (nothing filters them, so no index can find them): filter by an indexed column`
          : `no index can find the rows of ${qualifiedTable(table)} by ${condition}: filter by an indexed column, or index the filtered expression`,
    };
  }
  const present = existing(indexes, table, method, keys);
  if (present !== null && found.length === 0) {
    return {
      kind: 'none',
      reason: `the statement reads every row of ${qualifiedTable(table)} (nothing filters them, so no index can find them): filter by an indexed column`,
    };
  }
  if (present !== null) {
    return {
      kind: 'none',
      reason: `the ${method} index ${qualifiedTable({ schema: present.schema, name: present.name })} on (${present.keys.join(', ')}) exists but the plan does not use it for this condition: check the operator class and the column's type, and whether the condition matches most of the table's rows`,
    };
  }
  return { kind: 'create', statement: indexStatement(qualifiedTable(table), keys, null, method === 'btree' ? null : method) };
}
