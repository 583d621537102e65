// Stage check: the rules that make the generated API safe. Every violation names file, line and query, with the fix.
import { utilityStatement } from '../analysis/statement-kind.js';
import type { SelectStmt } from '@pgsql/types';
import { match } from 'ts-pattern';
import { nodeOf } from '../analysis/tree.js';
import type { Described } from './describe.js';
import { failed, ok, type CodegenError, type StageResult } from '../diagnostics.js';
import type { DescribedColumn, IncludeAnnotation, ParsedQuery } from './pipeline-data.js';

function checkList(described: Described): CodegenError[] {
  const { query } = described;
  const error = (message: string, fix: string): CodegenError => ({ location: query.location, query: query.name, message, fix });
  const order = query.annotations.order;
  if (order === null) {
    return [
      error(
        `:list query ${query.name} has no "-- order:"`,
        'add "-- order: created_at DESC, id DESC" (any order ending in a unique, non-null column)',
      ),
    ];
  }
  const select = nodeOf(described.ast, 'SelectStmt');
  // DISTINCT ON keeps the first row of each group in its own ORDER BY: that ORDER BY is part of what it selects. The
  // list wraps the query (SELECT ... FROM (query) AS q), so the page's ORDER BY and keyset apply to its result.
  const distinctOn = (select?.distinctClause ?? []).some((item) => Object.keys(item).length > 0);
  const ownOrder = select !== null && select.sortClause !== undefined && !distinctOn;
  if (select !== null && (ownOrder || select.limitCount !== undefined)) {
    return [
      error(
        `:list query ${query.name} has its own ORDER BY or LIMIT`,
        'remove them: the generator adds ORDER BY from "-- order:" and LIMIT from the page size',
      ),
    ];
  }
  const errors: CodegenError[] = [];
  const columns = order.map((term) => query.columns.find((column) => column.name === term.column));
  order.forEach((term, index) => {
    const column = columns[index];
    if (column === undefined) {
      errors.push(
        error(
          `order column ${term.column} is not an output column of ${query.name}`,
          `select ${term.column}, or order by one of: ${query.columns.map((c) => c.name).join(', ')}`,
        ),
      );
    } else if (column.nullable) {
      errors.push(
        error(
          `order column ${term.column} is nullable; keyset pagination cannot order NULLs reliably`,
          `order by NOT NULL columns only (or wrap it: coalesce(${term.column}, ...) AS ${term.column}_key)`,
        ),
      );
    }
  });
  if (errors.length > 0) return errors;
  // The order is unique when its columns hold a key of the result: a join that repeats a table's rows
  // repeats its primary key too, and a keyset walk over repeated values skips rows.
  const positions = new Set(order.map((term) => query.columns.findIndex((column) => column.name === term.column)));
  const covers = (key: number[]) => key.every((position) => positions.has(position));
  if (described.keys.unique.some(covers)) return [];
  const orderText = order.map((t) => `${t.column} ${t.direction}`).join(', ');
  const repeated = described.keys.repeated.find((key) => covers(key.columns));
  if (repeated !== undefined) {
    const key = repeated.columns.map((position) => query.columns[position]?.name ?? '?').join(', ');
    return [
      error(
        `the order ${orderText} is not unique: ${key} is a key of ${repeated.relation}, but ${repeated.join} repeats each of its rows once per matching row of ${repeated.other}`,
        `join ${repeated.other} on its own unique key (at most one row per row), move it into an include or a LATERAL subquery with LIMIT 1, or aggregate it with GROUP BY ${key}`,
      ),
    ];
  }
  const lastTerm = order[order.length - 1];
  const tree = select === null ? null : recursiveSource(select);
  errors.push(
    tree === null
      ? error(
          `the last order column ${lastTerm?.column ?? '?'} does not make the order unique`,
          `end the order with a primary key or a column of a unique index${orderExample(described, lastTerm?.direction ?? 'DESC')}`,
        )
      : error(
          `the last order column ${lastTerm?.column ?? '?'} does not make the order unique: the rows come from the recursive CTE ${tree}, ` +
            'and a walk with UNION ALL (or one that selects more than one table row) can yield a row once per path to it',
          `read the rows by key outside the walk, ordered by the table's key: SELECT ... FROM <table> t WHERE t.id IN (SELECT id FROM ${tree}); ` +
            `or walk with UNION (it removes repeated rows) selecting only columns of the one table, its key included`,
        ),
  );
  return errors;
}

/** The recursive CTE the query's FROM reads directly, by name (null when there is none). */
function recursiveSource(select: SelectStmt): string | null {
  if (select.withClause?.recursive !== true) return null;
  const names = new Set((select.withClause.ctes ?? []).flatMap((node) => nodeOf(node, 'CommonTableExpr')?.ctename ?? []));
  for (const item of select.fromClause ?? []) {
    const name = nodeOf(item, 'RangeVar')?.relname;
    if (name !== undefined && names.has(name)) return name;
  }
  return null;
}

/**
 * An order the author can paste: theirs, then the columns of a unique key of the result that it lacks. Never a column
 * it already has; no example at all when no key of the result is known and `id` is already in it.
 */
function orderExample(described: Described, direction: string): string {
  const { query } = described;
  const order = query.annotations.order ?? [];
  const present = new Set(order.map((term) => term.column));
  const orderText = order.map((term) => `${term.column} ${term.direction}`).join(', ');
  const keys = described.keys.unique.map((key) => key.map((position) => query.columns[position]?.name));
  const key = keys.find((names): names is string[] => names.length > 0 && names.every((name) => name !== undefined));
  const missing = key === undefined ? (present.has('id') ? [] : ['id']) : key.filter((name) => !present.has(name));
  return missing.length === 0 ? '' : `, e.g. "-- order: ${orderText}, ${missing.map((name) => `${name} ${direction}`).join(', ')}"`;
}

function checkSingleRow(described: Described): CodegenError[] {
  const { query } = described;
  if (described.singleRow) return [];
  return [
    {
      location: query.location,
      query: query.name,
      message: `:${query.kind} query ${query.name} is not provably at most one row`,
      fix: 'filter by equality on every column of a unique index or primary key, add LIMIT 1, aggregate without GROUP BY, or declare it :list',
    },
  ];
}

function checkCache(described: Described): CodegenError[] {
  const { query } = described;
  if (query.annotations.cache === null || ['one', 'maybe', 'list'].includes(query.kind)) return [];
  return [
    {
      location: query.location,
      query: query.name,
      message: `"-- cache:" on :${query.kind} query ${query.name}: only :one, :maybe and :list results are cached`,
      fix: 'remove the cache annotation; writes invalidate cached reads by themselves',
    },
  ];
}

/** Only a read the manifest proves read-only may go to a replica (which would refuse a write anyway). */
function checkReplica(described: Described): CodegenError[] {
  const { query } = described;
  if (!query.annotations.replica || isReadOnly(query.kind, query.tables.written)) return [];
  const what = query.kind === 'exec' ? `:exec query ${query.name}` : `${query.name}, which writes ${query.tables.written.join(', ')},`;
  return [
    {
      location: query.location,
      query: query.name,
      message: `"-- replica: ok" on ${what} cannot run on a read-only replica`,
      fix: 'remove the replica annotation: writes and their RETURNING always run on the primary',
    },
  ];
}

/** A read the manifest proves writes nothing: not :exec, and no table written (by the statement or its triggers). */
export function isReadOnly(kind: string, written: readonly string[]): boolean {
  return kind !== 'exec' && written.length === 0;
}

export function checkQuery(described: Described): CodegenError[] {
  const utility = utilityStatement(described.ast);
  if (utility !== null && described.query.kind !== 'exec') {
    return [
      {
        location: described.query.location,
        query: described.query.name,
        message: `${described.query.name} is :${described.query.kind}, but ${utility} is a utility statement: it returns no rows to type`,
        fix: `declare it "-- name: ${described.query.name} :exec"`,
      },
    ];
  }
  const cacheErrors = [...checkCache(described), ...checkReplica(described)];
  if (cacheErrors.length > 0) return cacheErrors;
  return match(described.query.kind)
    .with('list', () => checkList(described))
    .with('one', 'maybe', () => checkSingleRow(described))
    .with('exec', 'stream', () => [])
    .exhaustive();
}

/** A query with includes must be a kind whose rows the includes attach to. */
export function checkIncludesAllowed(query: ParsedQuery, includeCount: number): CodegenError[] {
  if (includeCount === 0 || (query.kind !== 'exec' && query.kind !== 'stream')) return [];
  return [
    {
      location: query.location,
      query: query.name,
      message: `includes attach to :one, :maybe and :list queries, not :${query.kind}`,
      fix: 'join the related rows in the statement itself',
    },
  ];
}

/**
 * The rules for one include, in the order a reader fixes them: its field name, its SQL (the probe's describe
 * result), then its cardinality and order. Returns the described probe when every rule holds.
 */
export function checkInclude(
  query: ParsedQuery,
  include: IncludeAnnotation,
  parentColumns: DescribedColumn[],
  probe: StageResult<Described>,
): StageResult<Described> {
  const error = (message: string, fix: string) => failed<Described>({ location: query.location, query: query.name, message, fix });
  if (parentColumns.some((column) => column.name === include.name)) {
    return error(`include field ${include.name} collides with a column of ${include.parent}`, 'rename the include');
  }
  if (probe.kind === 'error') return probe;
  const described = probe.value;
  if (include.cardinality === 'one' && !described.singleRow) {
    return error(
      `include ${query.name} :one is not provably at most one row per parent`,
      'match a unique key of the related table to a parent column (WHERE b.id = parent.broker_id), add LIMIT 1, or declare it :many limit N',
    );
  }
  const order = query.annotations.order;
  if (include.cardinality === 'many') {
    if (order === null) {
      return error(
        `include ${query.name} :many has no "-- order:"`,
        'add "-- order: created_at DESC, id DESC" so every parent gets the same, newest rows',
      );
    }
    const missing = order.find((term) => !described.query.columns.some((column) => column.name === term.column));
    if (missing) {
      return error(
        `order column ${missing.column} is not an output column of include ${query.name}`,
        `select ${missing.column} in the include`,
      );
    }
  }
  return ok(described);
}
