// The one place an index is suggested, for codegen's plan check, the plan audit and the schema audit alike.
// Derives the index a flagged plan node is missing from the node's own conditions: the columns compared for
// equality (Index Cond, Filter, Recheck Cond) lead, then the list's order columns, so one index both finds
// the user's rows and returns them in order. Only top-level AND conjuncts count: `a = $1` under an OR does not
// make `a` a usable index key. Every suggested CREATE INDEX is spelled by indexStatement.

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
export function indexStatement(table: string, keys: readonly IndexKey[], name: string | null): string {
  return `CREATE INDEX ${name === null ? '' : `${readableIdentifier(name)} `}ON ${table} (${keys.map(keyText).join(', ')})`;
}

/** `CREATE INDEX <table>_<cols>_idx ON <table> (eq..., order...)`, or null when there is no key to index. */
export function createIndexFor(table: string, equalities: readonly string[], order: readonly OrderTerm[]): string | null {
  const keys = [...equalities.map((column) => ({ column, direction: null })), ...order.filter((term) => !equalities.includes(term.column))];
  if (keys.length === 0) return null;
  const name = `${table}_${keys.map((key) => key.column).join('_')}_idx`.slice(0, 63);
  return indexStatement(readableIdentifier(table), keys, name);
}

/** The `ON <table> (<keys>)` part of a CREATE INDEX, to compare two suggestions whatever their names. */
export function indexTarget(statement: string): string | null {
  return /^CREATE INDEX \S+ (ON .+)$/.exec(statement)?.[1] ?? null;
}
