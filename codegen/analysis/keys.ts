// Which output columns are unique in a SELECT's result: the proof a keyset order needs. A unique key of a
// relation stays unique in the result only while no join repeats that relation's rows: the other side of each
// join must be at most one row per row (joined on its own unique key, or a single-row relation). A LEFT JOIN
// to a one-to-many side repeats the left rows as surely as an inner join does. A key that a join repeats is
// recorded with the join, so the check stage can name it.
import type { Node, SelectStmt } from '@pgsql/types';
import { match } from 'ts-pattern';
import { leaves, lookupInLevel, findEntry, visible, type FromItem, type Join, type Leaf, type Scope } from './scope.js';
import { conjuncts, names, nodeOf, stripCasts } from './tree.js';
import { NO_KEYS, type Keys, type Repeated, type RowOfTable } from './key-sets.js';
import { setReturningOutsideFrom } from './cardinality.js';

/** One side of an equality: a leaf's column, a value fixed for the whole evaluation, or anything else. */
type Side = { kind: 'column'; leaf: number; index: number } | { kind: 'fixed' } | { kind: 'other' };
type Equality = [Side[], Side[]];

/** An entry key (`leafId:index`, or a join's `joinId:using:name`) as the leaf columns it stands for. */
function keyColumns(key: string, items: FromItem[]): Side[] {
  const [first, second, name] = key.split(':');
  if (second !== 'using') return [{ kind: 'column', leaf: Number(first), index: Number(second) }];
  const join = findJoin(items, Number(first));
  if (join === null || name === undefined) return [];
  const left = findEntry(visible(join.left, false), name);
  const right = findEntry(visible(join.right, false), name);
  const sides = match(join.joinType)
    .with('JOIN_LEFT', () => [left])
    .with('JOIN_RIGHT', () => [right])
    .with('JOIN_FULL', () => [])
    .otherwise(() => [left, right]);
  return sides.flatMap((entry) => (entry === null || entry === undefined ? [] : keyColumns(entry.key, items)));
}

function findJoin(items: FromItem[], id: number): Join | null {
  for (const item of items) {
    if (item.kind === 'leaf') continue;
    if (item.id === id) return item;
    const inner = findJoin([item.left, item.right], id);
    if (inner !== null) return inner;
  }
  return null;
}

/** Resolves an expression against `items` (a join's inputs, or the whole level), then the enclosing levels. */
function sideOf(node: Node | undefined, items: FromItem[], scope: Scope): Side[] {
  const stripped = stripCasts(node);
  if (stripped === undefined) return [{ kind: 'other' }];
  if (nodeOf(stripped, 'A_Const') !== null || nodeOf(stripped, 'ParamRef') !== null) return [{ kind: 'fixed' }];
  const ref = nodeOf(stripped, 'ColumnRef');
  if (ref === null) return [{ kind: 'other' }];
  const fields = names(ref.fields);
  const here = lookupInLevel({ items, narrowed: new Set(), grouping: null }, fields);
  if (here !== null) return here.kind === 'column' ? keyColumns(here.key, items) : [{ kind: 'other' }];
  // A column of an enclosing query is one value per evaluation.
  for (let current = scope.parent; current !== null; current = current.parent) {
    const outer = lookupInLevel(current.level, fields);
    if (outer !== null) return [outer.kind === 'column' ? { kind: 'fixed' } : { kind: 'other' }];
  }
  return [{ kind: 'other' }];
}

function equalities(predicates: Node[], items: FromItem[], scope: Scope): Equality[] {
  const found: Equality[] = [];
  for (const predicate of predicates) {
    const expr = nodeOf(predicate, 'A_Expr');
    if (expr === null || (expr.kind ?? 'AEXPR_OP') !== 'AEXPR_OP') continue;
    const operator = names(expr.name);
    // A user's own = may mean anything; only pg_catalog's equality pins a value.
    if (operator.length !== 1 || operator[0] !== '=' || scope.ctx.catalog.routines.userOperators.has('=')) continue;
    found.push([sideOf(expr.lexpr, items, scope), sideOf(expr.rexpr, items, scope)]);
  }
  return found;
}

/** The equalities a join's own condition states: its ON conjuncts, or its USING (and NATURAL) columns. */
function joinEqualities(join: Join, scope: Scope): Equality[] {
  const own = equalities(conjuncts(join.quals), [join], scope);
  for (const name of join.using ?? []) {
    const left = findEntry(visible(join.left, false), name);
    const right = findEntry(visible(join.right, false), name);
    if (left !== null && right !== null) own.push([keyColumns(left.key, [join]), keyColumns(right.key, [join])]);
  }
  return own;
}

/** Equalities that hold on every row of the result: inner joins' conditions outside any outer join's nullable side. */
function preservedEqualities(item: FromItem, scope: Scope): Equality[] {
  if (item.kind === 'leaf') return [];
  return match(item.joinType)
    .with('JOIN_LEFT', () => preservedEqualities(item.left, scope))
    .with('JOIN_RIGHT', () => preservedEqualities(item.right, scope))
    .with('JOIN_FULL', () => [])
    .otherwise(() => [...joinEqualities(item, scope), ...preservedEqualities(item.left, scope), ...preservedEqualities(item.right, scope)]);
}

/** Is every row of `leaf` pinned: a unique key whose columns each equal a fixed value or a column of `known`? */
function leafPinned(leaf: Leaf, known: ReadonlySet<number>, eqs: Equality[]): boolean {
  if (leaf.singleRow) return true;
  const isPinning = (side: Side) => side.kind === 'fixed' || (side.kind === 'column' && known.has(side.leaf));
  const pinned = new Set<number>();
  for (const [left, right] of eqs) {
    for (const [mine, theirs] of [
      [left, right],
      [right, left],
    ] as const) {
      if (!theirs.some(isPinning)) continue;
      for (const side of mine) if (side.kind === 'column' && side.leaf === leaf.id) pinned.add(side.index);
    }
  }
  return leaf.keys.some((key) => key.every((index) => pinned.has(index)));
}

const ids = (item: FromItem) => leaves(item).map((leaf) => leaf.id);

/** Does `item` yield at most one row for each combination of rows of the `known` leaves? */
function atMostOnePer(item: FromItem, known: ReadonlySet<number>, eqs: Equality[], scope: Scope): boolean {
  if (item.kind === 'leaf') return leafPinned(item, known, eqs);
  const own = [...eqs, ...joinEqualities(item, scope)];
  const then = (first: FromItem, second: FromItem, firstEqs: Equality[]) =>
    atMostOnePer(first, known, firstEqs, scope) && atMostOnePer(second, new Set([...known, ...ids(first)]), own, scope);
  return (
    match(item.joinType)
      // An outer join's condition filters only its nullable side; the preserved side keeps every row.
      .with('JOIN_LEFT', () => then(item.left, item.right, eqs))
      .with('JOIN_RIGHT', () => then(item.right, item.left, eqs))
      // Unmatched rows of both sides: two rows even when each side is one.
      .with('JOIN_FULL', () => false)
      .otherwise(() => then(item.left, item.right, own) || then(item.right, item.left, own))
  );
}

/** Items, in order, that join a relation whose rows stay distinct only if each is at most one row per row. */
type Repeat = { join: string; other: string };

function label(item: FromItem): string {
  if (item.kind === 'leaf') {
    const name = item.table?.displayName ?? null;
    return name === null || name === item.alias ? item.alias : `${name} ${item.alias}`;
  }
  return `(${label(item.left)} ${joinWord(item)} ${label(item.right)})`;
}

function joinWord(join: Join): string {
  return match(join.joinType)
    .with('JOIN_LEFT', () => 'LEFT JOIN')
    .with('JOIN_RIGHT', () => 'RIGHT JOIN')
    .with('JOIN_FULL', () => 'FULL JOIN')
    .otherwise(() => (join.quals === undefined && (join.using ?? []).length === 0 ? 'CROSS JOIN' : 'JOIN'));
}

/** For each leaf: null when its rows appear at most once in `item`'s rows, else the join that repeats them. */
function repeats(item: FromItem, eqs: Equality[], scope: Scope): Map<number, Repeat | null> {
  if (item.kind === 'leaf') return new Map([[item.id, null]]);
  // Every row of the join pairs rows that satisfy its condition (or has no row of the other side at all).
  const own = [...eqs, ...joinEqualities(item, scope)];
  const result = new Map<number, Repeat | null>();
  const join = `${label(item.left)} ${joinWord(item)} ${label(item.right)}`;
  for (const [side, other] of [
    [item.left, item.right],
    [item.right, item.left],
  ] as const) {
    const once = atMostOnePer(other, new Set(ids(side)), own, scope);
    for (const [leaf, repeat] of repeats(side, eqs, scope)) result.set(leaf, repeat ?? (once ? null : { join, other: label(other) }));
  }
  return result;
}

/** FROM a, b, c: a row of one item repeats once per combination of the others' rows that survive WHERE. */
function fromRepeats(items: FromItem[], eqs: Equality[], scope: Scope): Map<number, Repeat | null> {
  const result = new Map<number, Repeat | null>();
  items.forEach((item, position) => {
    const known = new Set(ids(item));
    let rest = items.filter((_, index) => index !== position);
    let changed = true;
    while (changed) {
      changed = false;
      for (const other of rest) {
        if (!atMostOnePer(other, known, eqs, scope)) continue;
        for (const id of ids(other)) known.add(id);
        rest = rest.filter((candidate) => candidate !== other);
        changed = true;
      }
    }
    const first = rest[0];
    const repeat = first === undefined ? null : { join: `FROM ${items.map(label).join(', ')}`, other: label(first) };
    for (const [leaf, inner] of repeats(item, eqs, scope)) result.set(leaf, inner ?? repeat);
  });
  return result;
}

/** Whether every output item is a column of one table leaf's row; then which table, columns and keys (./key-sets.ts). */
function rowOfTable(items: FromItem[], refs: (string | null)[]): RowOfTable | null {
  const sides = refs.map((ref) => (ref === null ? [] : keyColumns(ref, items)));
  const columns: { leaf: number; index: number }[] = [];
  for (const side of sides) {
    const [only] = side;
    if (side.length !== 1 || only?.kind !== 'column') return null;
    columns.push(only);
  }
  const leafId = columns[0]?.leaf;
  if (leafId === undefined || columns.some((column) => column.leaf !== leafId)) return null;
  const leaf = items.flatMap(leaves).find((candidate) => candidate.id === leafId);
  if (leaf?.table === null || leaf === undefined) return null;
  const keys = leaf.keys.flatMap((key) => {
    const positions = key.map((index) => columns.findIndex((column) => column.index === index));
    return positions.every((position) => position >= 0) ? [positions] : [];
  });
  return { table: leaf.table.oid, columns: columns.map((column) => column.index), keys };
}

/**
 * A GROUP BY list without the columns a grouped key already determines: grouping by a table's key and others of its
 * columns (`GROUP BY m.id, m.display_name`, as PostgreSQL requires of a selected column) makes groups unique by that
 * key alone, so a list ordered by `id` is unique. Columns of other tables stay.
 */
function functionallyReduced(sides: Side[], relations: readonly { id: number; keys: number[][] }[]): Side[] {
  const grouped = (leaf: number, index: number) =>
    sides.some((side) => side.kind === 'column' && side.leaf === leaf && side.index === index);
  let reduced = sides;
  for (const relation of relations) {
    const key = relation.keys.find((candidate) => candidate.length > 0 && candidate.every((index) => grouped(relation.id, index)));
    if (key === undefined) continue;
    reduced = reduced.filter((side) => side.kind !== 'column' || side.leaf !== relation.id || key.includes(side.index));
  }
  return reduced;
}

/**
 * The keys of one SELECT (not a set operation or VALUES). `refs` holds, for each output item, the entry key
 * of the column it shows (null for an expression); `singleRow` is the cardinality proof.
 */
export function selectKeys(select: SelectStmt, scope: Scope, refs: (string | null)[], singleRow: boolean): Keys {
  const rowOf = rowOfTable(scope.level.items, refs);
  if (singleRow) return { unique: [[]], repeated: [], rowOf };
  // A set-returning function in the target list repeats its row once per element; grouping sets repeat keys.
  if (setReturningOutsideFrom(select, scope)) return NO_KEYS;
  const groupClause = select.groupClause ?? [];
  if (groupClause.some((node) => nodeOf(node, 'GroupingSet') !== null)) return NO_KEYS;
  const { items } = scope.level;
  const positions = (columns: Side[]): number[] | null => {
    const found: number[] = [];
    for (const column of columns) {
      if (column.kind !== 'column') return null;
      const position = refs.findIndex(
        (ref) =>
          ref !== null &&
          keyColumns(ref, items).some((side) => side.kind === 'column' && side.leaf === column.leaf && side.index === column.index),
      );
      if (position < 0) return null;
      found.push(position);
    }
    return found;
  };
  const unique: number[][] = [];
  const repeated: Repeated[] = [];
  const exprColumns = (nodes: Node[]): Side[] => nodes.flatMap((node) => sideOf(node, items, scope).slice(0, 1));
  if (groupClause.length > 0) {
    const key = positions(functionallyReduced(exprColumns(groupClause), items.flatMap(leaves)));
    if (key !== null) unique.push(key);
  }
  const distinct = select.distinctClause ?? [];
  if (distinct.length > 0) {
    // DISTINCT is a list holding one empty node; DISTINCT ON lists its expressions.
    const plain = distinct.length === 1 && Object.keys(distinct[0] ?? {}).length === 0;
    const key = plain ? (refs.length > 0 ? refs.map((_, index) => index) : null) : positions(exprColumns(distinct));
    if (key !== null) unique.push(key);
  }
  const whereEqs = equalities(conjuncts(select.whereClause), items, scope);
  const eqs = [...whereEqs, ...items.flatMap((item) => preservedEqualities(item, scope))];
  const leafRepeats = fromRepeats(items, eqs, scope);
  // A key column the WHERE pins to one value (`tenant_id = :tenantId`) is the same in every row: the rest of the
  // key is unique on its own.
  const pinned = new Set(
    whereEqs.flatMap(([left, right]) =>
      [
        [left, right],
        [right, left],
      ].flatMap(([column, value]) =>
        column?.length === 1 && column[0]?.kind === 'column' && value?.some((side) => side.kind === 'fixed') === true
          ? [`${column[0].leaf}:${column[0].index}`]
          : [],
      ),
    ),
  );
  for (const leaf of items.flatMap(leaves)) {
    const repeat = leafRepeats.get(leaf.id) ?? null;
    for (const key of leaf.keys) {
      const unpinned = key.filter((index) => !pinned.has(`${leaf.id}:${index}`));
      const columns = positions(unpinned.map((index) => ({ kind: 'column', leaf: leaf.id, index })));
      if (columns === null) continue;
      if (repeat === null) unique.push(columns);
      else repeated.push({ columns, relation: label(leaf), ...repeat });
    }
  }
  return { unique, repeated, rowOf };
}
