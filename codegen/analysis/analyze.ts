// Stage 5b: what the parse tree proves about a statement: each output column's nullability and origin,
// whether it returns at most one row, and which tables it reads and writes.
//
// The statement is walked the way PostgreSQL's parse analysis walks it (./scope.ts), FROM item by FROM item
// (./from.ts). A * over a relation whose columns are not known leaves a gap that Describe's columns are
// matched around (./match-columns.ts). Rules for expressions live in ./expressions.ts, the proven builtins
// in ./nonnull.ts, narrowing in ./narrowing.ts, grouping sets in ./grouping.ts, row counts in ./cardinality.ts.
import type { DeleteStmt, InsertStmt, MergeStmt, Node, RangeVar, ReturningClause, SelectStmt, UpdateStmt, WithClause } from '@pgsql/types';
import { match } from 'ts-pattern';
import { aggregateWithoutGroup, exactlyOneRow, fromIsSingleRow, groupKeysPinned, limitIsOne } from './cardinality.js';
import type { Catalog } from './catalog.js';
import { outputName } from './colname.js';
import { isNullable, typeOf, type ExprEnv } from './expressions.js';
import { fromItem, opaqueLeaf, rangeVarLeaf } from './from.js';
import { NO_KEYS, type Keys, type RowOfTable } from './key-sets.js';
import { selectKeys } from './keys.js';
import { groupingOf } from './grouping.js';
import { narrow } from './narrowing.js';
import {
  allQuals,
  columnKey,
  emptyLevel,
  leaves,
  nextId,
  preservedQuals,
  resolveColumn,
  searchQualified,
  visible,
  type Context,
  type Derived,
  type Entry,
  type Leaf,
  type Level,
  type OutputItem,
  type Scope,
} from './scope.js';
import { canonical, conjuncts, items, names, nodeOf, tag, walkNodes } from './tree.js';

/** The tables a statement reads and writes, by display name (schema-qualified outside the search path). */
export type TableAccess = { read: string[]; written: string[] };

export type { OutputColumn, OutputItem } from './scope.js';

const STATEMENT_KINDS = ['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'] as const;

export type StatementAnalysis = {
  items: OutputItem[];
  singleRow: boolean;
  /** Output items unique across the rows, and keys a join repeats (for a keyset order's proof). */
  keys: Keys;
  tables: TableAccess;
  /** Why something was left nullable or unknown; shown by codegen --debug and in golden cases. */
  notes: string[];
};

function envFor(scope: Scope): ExprEnv {
  const { ctx } = scope;
  return {
    routines: ctx.catalog.routines,
    types: ctx.catalog.types,
    optionalParams: ctx.optionalParams,
    column: (ref) => {
      const { resolved } = resolveColumn(scope, ref);
      return resolved.kind === 'column'
        ? { kind: 'column', nullable: resolved.nullable, origin: resolved.origin, typeOid: resolved.typeOid }
        : resolved;
    },
    subquery: (select) => {
      const derived = analyzeSelect(select, scope, scope.ctes, ctx);
      const columns = derived.items.flatMap((item) => (item.kind === 'column' ? [{ nullable: item.column.nullable }] : []));
      return { columns: columns.length === derived.items.length ? columns : null, exactlyOne: derived.exactlyOne };
    },
    groupingNulled: (node) => {
      for (let current: Scope | null = scope; current !== null; current = current.parent) {
        const grouping = current.level.grouping;
        if (grouping !== null && grouping.exprs.size > 0 && grouping.exprs.has(canonical(node, (ref) => columnKey(scope, ref))))
          return true;
      }
      return false;
    },
    note: (message) => ctx.notes.push(message),
  };
}

// ---------------------------------------------------------------------------------------------------------
// SELECT

function targetItems(targets: Node[] | undefined, scope: Scope): OutputItem[] {
  return targetColumns(targets, scope).items;
}

/** The output items, and for each the entry key of the column it shows (null for an expression or a gap). */
function targetColumns(targets: Node[] | undefined, scope: Scope): { items: OutputItem[]; refs: (string | null)[] } {
  const env = envFor(scope);
  const out: OutputItem[] = [];
  const refs: (string | null)[] = [];
  const grouping = scope.level.grouping;
  (targets ?? []).forEach((node, index) => {
    const target = nodeOf(node, 'ResTarget');
    if (target === null) {
      out.push({ kind: 'opaque', reason: 'a target that is not a ResTarget' });
      refs.push(null);
      return;
    }
    const ref = target.val === undefined ? null : nodeOf(target.val, 'ColumnRef');
    const fields = ref === null ? [] : names(ref.fields);
    if (fields.at(-1) === '*') {
      const star = starItems(scope, fields.slice(0, -1));
      out.push(...star.map((item) => item.item));
      refs.push(...star.map((item) => item.ref));
      return;
    }
    const { name, known } = outputName(target.name, target.val);
    const groupedByName = grouping !== null && (grouping.positions.has(index + 1) || grouping.outputNames.has(name));
    const resolved = ref === null ? null : resolveColumn(scope, ref).resolved;
    out.push({
      kind: 'column',
      column: {
        name,
        nameKnown: known,
        nullable: groupedByName || isNullable(target.val, env),
        origin: resolved !== null && resolved.kind === 'column' ? resolved.origin : null,
        typeOid: typeOf(target.val, env),
      },
    });
    refs.push(resolved !== null && resolved.kind === 'column' ? resolved.key : null);
  });
  return { items: out, refs };
}

type StarItem = { item: OutputItem; ref: string | null };

function starItems(scope: Scope, qualifier: string[]): StarItem[] {
  // Under grouping sets every column of a * is treated as a possibly nulled key.
  const toItems = (entries: Entry[], level: Level, own: boolean): StarItem[] =>
    entries.map((entry) =>
      entry.kind === 'opaque'
        ? { item: { kind: 'opaque', reason: entry.reason }, ref: null }
        : {
            item: {
              kind: 'column',
              column: {
                name: entry.name,
                nameKnown: true,
                nullable: level.grouping !== null || (entry.nullable && !level.narrowed.has(entry.key)),
                origin: entry.origin,
                typeOid: entry.typeOid,
              },
            },
            // Only this level's columns can be keys of this level's rows.
            ref: own ? entry.key : null,
          },
    );
  if (qualifier.length === 0) {
    return scope.level.items.flatMap((item) =>
      item.kind === 'leaf' && item.qualifiedOnly ? [] : toItems(visible(item, false), scope.level, true),
    );
  }
  const name = qualifier.at(-1) ?? '';
  const schema = qualifier.length >= 2 ? (qualifier.at(-2) ?? null) : null;
  for (let current: Scope | null = scope; current !== null; current = current.parent) {
    for (const item of current.level.items) {
      const entries = searchQualified(item, schema, name, false);
      if (entries !== null) return toItems(entries, current.level, current === scope);
    }
  }
  return [{ item: { kind: 'opaque', reason: `${qualifier.join('.')}.* names no relation in scope` }, ref: null }];
}

function withCtes(
  withClause: WithClause | undefined,
  outer: Scope | null,
  ctes: ReadonlyMap<string, Derived>,
  ctx: Context,
): ReadonlyMap<string, Derived> {
  if (withClause === undefined) return ctes;
  const inner = new Map(ctes);
  for (const node of withClause.ctes ?? []) {
    const cte = nodeOf(node, 'CommonTableExpr');
    if (cte === null) continue;
    const name = cte.ctename ?? '';
    const rename = (derived: Derived): Derived => {
      const aliases = names(cte.aliascolnames);
      const items: OutputItem[] = derived.items.map((item, index) =>
        item.kind === 'column' && aliases[index] !== undefined
          ? { kind: 'column', column: { ...item.column, name: aliases[index], nameKnown: true } }
          : item,
      );
      // SEARCH and CYCLE add columns of their own.
      const extra: OutputItem[] =
        cte.search_clause !== undefined || cte.cycle_clause !== undefined ? [{ kind: 'opaque', reason: 'SEARCH or CYCLE columns' }] : [];
      return { ...derived, items: [...items, ...extra] };
    };
    const select = cte.ctequery === undefined ? null : nodeOf(cte.ctequery, 'SelectStmt');
    let derived: Derived;
    if (!(
      withClause.recursive === true &&
      select !== null &&
      select.op !== undefined &&
      select.op !== 'SETOP_NONE' &&
      select.larg !== undefined
    )) {
      derived = rename(analyzeStatementNode(cte.ctequery, outer, inner, ctx));
    } else {
      // The recursive term reads the CTE itself: start from the non-recursive term and repeat until the
      // nullability stops changing (it only ever grows).
      derived = rename(analyzeSelect(select.larg, outer, inner, ctx));
      let stable = false;
      for (let round = 0; round < 8 && !stable; round++) {
        inner.set(name, derived);
        const next = rename(analyzeSelect(select, outer, inner, ctx));
        stable = JSON.stringify(next.items) === JSON.stringify(derived.items);
        derived = next;
      }
      if (!stable) {
        ctx.notes.push(`recursive CTE ${name} did not settle: its columns are nullable`);
        derived = {
          ...derived,
          items: derived.items.map((item) =>
            item.kind === 'column' ? { kind: 'column', column: { ...item.column, nullable: true } } : item,
          ),
        };
      }
    }
    inner.set(name, derived);
  }
  return inner;
}

/** Both branches' rows are columns of one table's rows, the same column at each position: that table (else null). */
function sameRowOf(left: RowOfTable | null, right: RowOfTable | null): RowOfTable | null {
  if (left === null || right === null || left.table !== right.table) return null;
  const same = left.columns.length === right.columns.length && left.columns.every((column, k) => column === right.columns[k]);
  return same ? left : null;
}

function setOperation(select: SelectStmt, outer: Scope | null, ctes: ReadonlyMap<string, Derived>, ctx: Context): Derived {
  const left = select.larg === undefined ? null : analyzeSelect(select.larg, outer, ctes, ctx);
  const right = select.rarg === undefined ? null : analyzeSelect(select.rarg, outer, ctes, ctx);
  const singleRow = limitIsOne(select);
  if (left === null || right === null)
    return { items: [{ kind: 'opaque', reason: 'set operation' }], singleRow, exactlyOne: false, keys: NO_KEYS };
  const leftColumns = left.items.flatMap((item) => (item.kind === 'column' ? [item.column] : []));
  const rightColumns = right.items.flatMap((item) => (item.kind === 'column' ? [item.column] : []));
  const leftKnown = leftColumns.length === left.items.length;
  const rightKnown = rightColumns.length === right.items.length;
  if (!leftKnown || !rightKnown) {
    // Both branches have the same number of columns: a known branch tells how many, not how nullable.
    const known = leftKnown ? leftColumns : rightKnown ? rightColumns : null;
    if (known === null)
      return {
        items: [{ kind: 'opaque', reason: 'a set operation over relations whose columns are not known' }],
        singleRow,
        exactlyOne: false,
        keys: NO_KEYS,
      };
    return {
      items: known.map((column) => ({ kind: 'column', column: { ...column, nullable: true, origin: null, typeOid: null } })),
      singleRow,
      exactlyOne: false,
      keys: NO_KEYS,
    };
  }
  const op = select.op ?? 'SETOP_UNION';
  const items: OutputItem[] = leftColumns.map((column, index) => {
    const other = rightColumns[index];
    const nullable = match(op)
      .with('SETOP_UNION', 'SETOP_NONE', () => column.nullable || (other?.nullable ?? true))
      // INTERSECT keeps rows found in both branches: a value non-null in either is non-null.
      .with('SETOP_INTERSECT', () => column.nullable && (other?.nullable ?? true))
      .with('SETOP_EXCEPT', () => column.nullable)
      .exhaustive();
    const typeOid = column.typeOid === other?.typeOid ? column.typeOid : null;
    return { kind: 'column', column: { name: column.name, nameKnown: column.nameKnown, nullable, origin: null, typeOid } };
  });
  const rowOf = sameRowOf(left.keys.rowOf ?? null, right.keys.rowOf ?? null);
  // Without ALL, a set operation removes duplicate rows: the whole row is a key, and so is a key of the one table both
  // branches' rows come from (equal keys, the same table row, equal rows: merged into one).
  const keys: Keys =
    select.all === true
      ? { ...NO_KEYS, rowOf }
      : { unique: [items.map((_, index) => index), ...(op === 'SETOP_UNION' ? (rowOf?.keys ?? []) : [])], repeated: [], rowOf };
  return { items, singleRow, exactlyOne: false, keys };
}

function analyzeSelect(select: SelectStmt, outer: Scope | null, outerCtes: ReadonlyMap<string, Derived>, ctx: Context): Derived {
  const ctes = withCtes(select.withClause, outer, outerCtes, ctx);
  if (select.op !== undefined && select.op !== 'SETOP_NONE') return setOperation(select, outer, ctes, ctx);
  const valuesLists = select.valuesLists ?? [];
  if (valuesLists.length > 0) {
    const scope: Scope = { level: emptyLevel(), parent: outer, ctes, ctx };
    const env = envFor(scope);
    const rows = valuesLists.map((row) => items(row));
    const width = rows[0]?.length ?? 0;
    const columns: OutputItem[] = Array.from({ length: width }, (_, index) => ({
      kind: 'column',
      column: {
        name: `column${index + 1}`,
        nameKnown: true,
        nullable: rows.some((row) => isNullable(row[index], env)),
        origin: null,
        typeOid: null,
      },
    }));
    return {
      items: columns,
      singleRow: valuesLists.length === 1,
      exactlyOne: exactlyOneRow(select, scope),
      keys: valuesLists.length === 1 ? { unique: [[]], repeated: [] } : NO_KEYS,
    };
  }
  const level = emptyLevel();
  const scope: Scope = { level, parent: outer, ctes, ctx };
  // Non-lateral items see only the enclosing levels; lateral ones (and functions) also the items to their left.
  const outerScope: Scope = { level: emptyLevel(), parent: outer, ctes, ctx };
  for (const node of select.fromClause ?? []) level.items.push(fromItem(node, outerScope, [...level.items]));
  narrow(scope, [...conjuncts(select.whereClause), ...level.items.flatMap(preservedQuals)]);
  level.grouping = groupingOf(select.groupClause, scope);
  const { items: targets, refs } = targetColumns(select.targetList, scope);
  const all = level.items.flatMap(leaves);
  const predicates = [...conjuncts(select.whereClause), ...level.items.flatMap(allQuals)];
  const singleRow =
    limitIsOne(select) ||
    aggregateWithoutGroup(select, scope) ||
    groupKeysPinned(select, all, predicates) ||
    (select.groupClause === undefined && fromIsSingleRow(all, predicates, scope));
  return { items: targets, singleRow, exactlyOne: exactlyOneRow(select, scope), keys: selectKeys(select, scope, refs, singleRow) };
}

// ---------------------------------------------------------------------------------------------------------
// INSERT, UPDATE, DELETE, MERGE and RETURNING

type ModifyMode = 'insert' | 'update' | 'delete' | 'merge';

function targetLeaf(relation: RangeVar | undefined, scope: Scope, mode: ModifyMode): Leaf {
  const leaf = rangeVarLeaf(relation ?? {}, { ...scope, ctes: new Map() });
  if (leaf.table !== null && leaf.table.kind !== 'table' && leaf.table.kind !== 'partitioned') {
    // Through a view, RETURNING shows whatever the view's rules or INSTEAD OF triggers produce.
    scope.ctx.notes.push(`${mode} through view ${leaf.table.displayName}: RETURNING columns are nullable`);
    return { ...leaf, columns: leaf.columns.map((column) => ({ ...column, nullable: true })) };
  }
  if (leaf.table?.insteadOfTriggers === true) {
    // A table's INSTEAD rule replaces the statement: RETURNING comes from the rule's own statement.
    scope.ctx.notes.push(`${mode} on ${leaf.table.displayName}, which has an INSTEAD rule: RETURNING columns are nullable`);
    return { ...leaf, columns: leaf.columns.map((column) => ({ ...column, nullable: true })) };
  }
  return leaf;
}

function returningItems(clause: ReturningClause | undefined, scope: Scope, target: Leaf, mode: ModifyMode): OutputItem[] {
  if (clause === undefined) return [];
  const { ctx } = scope;
  let oldAlias = 'old';
  let newAlias = 'new';
  for (const option of clause.options ?? []) {
    const returningOption = nodeOf(option, 'ReturningOption');
    if (returningOption?.option === 'RETURNING_OPTION_OLD') oldAlias = returningOption.value ?? oldAlias;
    if (returningOption?.option === 'RETURNING_OPTION_NEW') newAlias = returningOption.value ?? newAlias;
  }
  // OLD is NULL for an inserted row, NEW for a deleted one; MERGE may do either.
  const pseudo = (alias: string, nulled: boolean): Leaf => ({
    ...target,
    id: nextId(ctx),
    alias,
    schema: null,
    qualifiedOnly: true,
    columns: target.columns.map((column) => ({ ...column, nullable: column.nullable || nulled })),
  });
  scope.level.items.push(pseudo(oldAlias, mode === 'insert' || mode === 'merge'), pseudo(newAlias, mode === 'delete' || mode === 'merge'));
  return targetItems(clause.exprs, scope);
}

function analyzeInsert(stmt: InsertStmt, outer: Scope | null, outerCtes: ReadonlyMap<string, Derived>, ctx: Context): Derived {
  const ctes = withCtes(stmt.withClause, outer, outerCtes, ctx);
  const scope: Scope = { level: emptyLevel(), parent: outer, ctes, ctx };
  const target = targetLeaf(stmt.relation, scope, 'insert');
  // RETURNING shows the stored row (inserted, or updated by ON CONFLICT DO UPDATE): its NOT NULLs hold.
  scope.level.items.push(target);
  const items = returningItems(stmt.returningClause, scope, target, 'insert');
  const source = stmt.selectStmt === undefined ? null : nodeOf(stmt.selectStmt, 'SelectStmt');
  // One VALUES row, or a SELECT proven to return at most one row (an aggregate, a key lookup, LIMIT 1), inserts
  // at most one row; ON CONFLICT can only make it fewer.
  const values = source?.valuesLists ?? [];
  const singleRow = values.length > 0 ? values.length === 1 : source !== null && analyzeSelect(source, outer, ctes, ctx).singleRow;
  return { items, singleRow, exactlyOne: false, keys: NO_KEYS };
}

function analyzeUpdateOrDelete(
  stmt: UpdateStmt | DeleteStmt,
  extraFrom: Node[],
  mode: 'update' | 'delete',
  outer: Scope | null,
  outerCtes: ReadonlyMap<string, Derived>,
  ctx: Context,
): Derived {
  const ctes = withCtes(stmt.withClause, outer, outerCtes, ctx);
  const scope: Scope = { level: emptyLevel(), parent: outer, ctes, ctx };
  const target = targetLeaf(stmt.relation, scope, mode);
  scope.level.items.push(target);
  for (const node of extraFrom) scope.level.items.push(fromItem(node, { ...scope, level: emptyLevel() }, [...scope.level.items]));
  // DELETE returns the rows its WHERE kept; UPDATE returns new values, which its WHERE says nothing about.
  if (mode === 'delete') narrow(scope, conjuncts(stmt.whereClause));
  const items = returningItems(stmt.returningClause, scope, target, mode);
  const singleRow = extraFrom.length === 0 && fromIsSingleRow([target], conjuncts(stmt.whereClause), scope);
  return { items, singleRow, exactlyOne: false, keys: NO_KEYS };
}

function analyzeMerge(stmt: MergeStmt, outer: Scope | null, outerCtes: ReadonlyMap<string, Derived>, ctx: Context): Derived {
  const ctes = withCtes(stmt.withClause, outer, outerCtes, ctx);
  const scope: Scope = { level: emptyLevel(), parent: outer, ctes, ctx };
  const target = targetLeaf(stmt.relation, scope, 'merge');
  const source =
    stmt.sourceRelation === undefined
      ? opaqueLeaf(ctx, '?', 'MERGE source')
      : fromItem(stmt.sourceRelation, { ...scope, level: emptyLevel() }, []);
  // WHEN NOT MATCHED BY SOURCE and BY TARGET leave either side missing: a FULL join nulls both.
  scope.level.items.push({
    kind: 'join',
    id: nextId(ctx),
    joinType: 'JOIN_FULL',
    alias: null,
    usingAlias: null,
    using: [],
    left: target,
    right: source,
    quals: undefined,
  });
  return {
    items: returningItems(
      stmt.returningClause,
      scope,
      { ...target, columns: target.columns.map((c) => ({ ...c, nullable: true })) },
      'merge',
    ),
    singleRow: false,
    exactlyOne: false,
    keys: NO_KEYS,
  };
}

function analyzeStatementNode(node: Node | undefined, outer: Scope | null, ctes: ReadonlyMap<string, Derived>, ctx: Context): Derived {
  return match(tag(node, STATEMENT_KINDS))
    .returnType<Derived>()
    .with({ kind: 'SelectStmt' }, ({ node: select }) => analyzeSelect(select, outer, ctes, ctx))
    .with({ kind: 'InsertStmt' }, ({ node: insert }) => analyzeInsert(insert, outer, ctes, ctx))
    .with({ kind: 'UpdateStmt' }, ({ node: update }) => analyzeUpdateOrDelete(update, update.fromClause ?? [], 'update', outer, ctes, ctx))
    .with({ kind: 'DeleteStmt' }, ({ node: del }) => analyzeUpdateOrDelete(del, del.usingClause ?? [], 'delete', outer, ctes, ctx))
    .with({ kind: 'MergeStmt' }, ({ node: merge }) => analyzeMerge(merge, outer, ctes, ctx))
    .with({ kind: 'other' }, ({ name }) => {
      ctx.notes.push(`statement ${name} is not analysed: its columns are nullable`);
      return { items: [{ kind: 'opaque', reason: `statement ${name}` }], singleRow: false, exactlyOne: false, keys: NO_KEYS };
    })
    .exhaustive();
}

// ---------------------------------------------------------------------------------------------------------
// Tables read and written

function tablesOf(statement: Node | undefined, catalog: Catalog): TableAccess {
  const read = new Set<string>();
  const written = new Set<string>();
  const cteNames = new Set<string>();
  const display = (relation: RangeVar | undefined) =>
    relation === undefined ? null : (catalog.resolveTable(relation.schemaname ?? null, relation.relname ?? '')?.displayName ?? null);
  walkNodes(statement, (node) => {
    const cte = nodeOf(node, 'CommonTableExpr');
    if (cte !== null) cteNames.add(cte.ctename ?? '');
  });
  walkNodes(statement, (node) => {
    // TRUNCATE's relations are its targets, not tables it reads (./relation-effects.ts counts the write).
    if (nodeOf(node, 'TruncateStmt') !== null) return false;
    const modify = nodeOf(node, 'InsertStmt') ?? nodeOf(node, 'UpdateStmt') ?? nodeOf(node, 'DeleteStmt') ?? nodeOf(node, 'MergeStmt');
    const target = modify === null ? null : display(modify.relation);
    if (target !== null) written.add(target);
    // Write targets are typed RangeVar fields (not wrapped nodes), so only FROM/USING/subquery relations count as read.
    const rangeVar = nodeOf(node, 'RangeVar');
    if (rangeVar === null) return;
    if (rangeVar.schemaname === undefined && cteNames.has(rangeVar.relname ?? '')) return;
    const name = display(rangeVar);
    if (name !== null) read.add(name);
  });
  return { read: [...read].sort(), written: [...written].sort() };
}

export function analyzeStatement(statement: Node | undefined, catalog: Catalog, optionalParams: ReadonlySet<number>): StatementAnalysis {
  const ctx: Context = {
    catalog,
    analyze: {
      select: (select, outer, ctes) => analyzeSelect(select, outer, ctes, ctx),
      statement: (node, outer, ctes) => analyzeStatementNode(node, outer, ctes, ctx),
    },
    optionalParams,
    notes: [],
    views: new Map(),
    viewStack: [],
    ids: { next: 0 },
  };
  const derived = analyzeStatementNode(statement, null, new Map(), ctx);
  return {
    items: derived.items,
    singleRow: derived.singleRow,
    keys: derived.keys,
    tables: tablesOf(statement, catalog),
    notes: [...new Set(ctx.notes)],
  };
}
