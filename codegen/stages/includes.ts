// Stage includes: the include blocks grouped under their parents, and the probe statements the describe stage
// asks the server about. An include's SQL names its parent row `parent`; a probe joins the include laterally to one
// row of its parent (for a nested include, to one row of the probe above), so Describe gives the include's columns
// and params as they are inside the composed statement. Everything here is pure: the describe stage sends the probes.
import type { Node } from '@pgsql/types';
import { parseSync, scanSync } from 'libpg-query';
import { match } from 'ts-pattern';
import { names, nodeOf } from '../analysis/tree.js';
import type { Catalog } from '../analysis/catalog.js';
import { failed, ok, type CodegenError, type StageResult } from '../diagnostics.js';
import type { Described } from './describe.js';
import { checkInclude } from './check.js';
import type { DescribedColumn, DescribedInclude, ParsedQuery } from './pipeline-data.js';
import { rewriteParams } from './params.js';

export type IncludeTree = { query: ParsedQuery; children: IncludeTree[] };

/** The alias of the row at one nesting level: p0 is the query's own row, p1 an include's, p2 a nested include's. */
export const rowAlias = (depth: number) => `p${depth}`;

/** Renames `parent.` references to the alias of the parent's level, using the real scanner. */
export function renameParent(source: string, to: string): string {
  const bytes = Buffer.from(source, 'utf8');
  const tokens = scanSync(source).tokens;
  const pieces: string[] = [];
  let copied = 0;
  tokens.forEach((token, index) => {
    const next = tokens[index + 1];
    const text = bytes.subarray(token.start, token.end).toString('utf8');
    if (
      text.toLowerCase() === 'parent' &&
      next !== undefined &&
      next.start === token.end &&
      bytes.subarray(next.start, next.end).toString('utf8') === '.'
    ) {
      pieces.push(bytes.subarray(copied, token.start).toString('utf8'), to);
      copied = token.end;
    }
  });
  pieces.push(bytes.subarray(copied).toString('utf8'));
  return pieces.join('');
}

/** Groups include blocks under their parents; includes whose parent path does not exist are errors. */
export function buildIncludeTrees(queries: ParsedQuery[]): { tops: Map<string, IncludeTree[]>; errors: CodegenError[] } {
  const tops = new Map<string, IncludeTree[]>();
  const byPath = new Map<string, IncludeTree>();
  const errors: CodegenError[] = [];
  for (const query of queries) if (query.include === null) tops.set(query.name, []);
  const includes = queries.filter((query) => query.include !== null).sort((a, b) => a.name.split('.').length - b.name.split('.').length);
  for (const query of includes) {
    const include = query.include;
    if (include === null) continue;
    const node: IncludeTree = { query, children: [] };
    const siblings = include.parent.includes('.') ? byPath.get(include.parent)?.children : tops.get(include.parent);
    if (siblings === undefined) {
      errors.push({
        location: query.location,
        query: query.name,
        message: `include ${query.name} names an unknown parent ${include.parent}`,
        fix: 'name a query defined with "-- name:", or an include path such as listExposures.latestAlerts',
      });
      continue;
    }
    siblings.push(node);
    byPath.set(query.name, node);
  }
  return { tops, errors };
}

/** One include's probe, ready to describe: the probe as a query (positional SQL and params), or why it cannot be. */
export type IncludeProbe = { tree: IncludeTree; statement: StageResult<ParsedQuery>; children: IncludeProbe[] };

/** The probes of a query's includes, nested as the includes are; `parentSource` is the SQL (named params) above. */
export function includeProbes(parentSource: string, trees: IncludeTree[], depth = 1): IncludeProbe[] {
  return trees.map((tree) => {
    const source = [
      `SELECT ${rowAlias(depth)}.* FROM (SELECT * FROM (\n${parentSource}\n) AS x LIMIT 1) AS ${rowAlias(depth - 1)},`,
      `LATERAL (\n${renameParent(tree.query.source, rowAlias(depth - 1))}\n) AS ${rowAlias(depth)}`,
    ].join('\n');
    const statement = match(rewriteParams(source))
      .with({ kind: 'ok' }, ({ value }): StageResult<ParsedQuery> =>
        ok({ ...tree.query, text: value.text, params: value.params, probe: value.probe }),
      )
      .with({ kind: 'error' }, (rewrite) =>
        failed<ParsedQuery>({ location: tree.query.location, query: tree.query.name, message: rewrite.error, fix: rewrite.fix }),
      )
      .exhaustive();
    return { tree, statement, children: includeProbes(source, tree.children, depth + 1) };
  });
}

/** An include's probe after the describe stage: what the server and the analysis said of it. */
export type DescribedProbe = { tree: IncludeTree; described: StageResult<Described>; children: DescribedProbe[] };

/** The include block's own statement tree (its SQL alone, `parent.x` read as a column of a relation `parent`). */
function ownStatement(include: ParsedQuery): Node | undefined {
  return parseSync(include.text).stmts?.[0]?.stmt;
}

/** True when `WHERE t.key = parent.fk` follows a NOT NULL foreign key to a unique key: the row always exists. */
function guaranteedByForeignKey(include: ParsedQuery, parentColumns: DescribedColumn[], catalog: Catalog): boolean {
  const select = nodeOf(ownStatement(include), 'SelectStmt');
  const fromClause = select?.fromClause ?? [];
  if (select === null || fromClause.length !== 1) return false;
  const from = nodeOf(fromClause[0], 'RangeVar');
  const table = from === null ? null : catalog.resolveTable(from.schemaname ?? null, from.relname ?? '');
  const where = nodeOf(select.whereClause, 'A_Expr');
  if (table === null || where === null || names(where.name)[0] !== '=') return false;
  const refs = [where.lexpr, where.rexpr].map((side) => nodeOf(side, 'ColumnRef')).map((ref) => (ref === null ? [] : names(ref.fields)));
  const parentRef = refs.find((fields) => fields.length === 2 && fields[0] === 'parent');
  const ownRef = refs.find((fields) => fields !== parentRef);
  if (parentRef === undefined || ownRef === undefined) return false;
  const parentColumn = parentColumns.find((column) => column.name === parentRef[1]);
  const ownAttnum = [...table.columns.values()].find((column) => column.name === ownRef.at(-1))?.attnum;
  const origin = parentColumn?.origin;
  if (parentColumn === undefined || parentColumn.nullable || origin === null || origin === undefined || ownAttnum === undefined)
    return false;
  return catalog.foreignKeys.some(
    (fk) => fk.table === origin.tableOid && fk.attnum === origin.attnum && fk.refTable === table.oid && fk.refAttnum === ownAttnum,
  );
}

/**
 * The includes of one parent, checked and assembled from their described probes (pure). An include that fails a
 * check is left out with its error, and its nested includes are not looked at, as a reader would fix it first.
 */
export function assembleIncludes(
  catalog: Catalog,
  parentColumns: DescribedColumn[],
  probes: DescribedProbe[],
): { includes: DescribedInclude[]; described: Described[]; errors: CodegenError[] } {
  const includes: DescribedInclude[] = [];
  const described: Described[] = [];
  const errors: CodegenError[] = [];
  for (const { tree, described: result, children } of probes) {
    const { query } = tree;
    const include = query.include;
    if (include === null) continue;
    const checked = checkInclude(query, include, parentColumns, result);
    if (checked.kind === 'error') {
      errors.push(...checked.errors);
      continue;
    }
    const probe = checked.value;
    const nested = assembleIncludes(catalog, probe.query.columns, children);
    errors.push(...nested.errors);
    described.push(probe, ...nested.described);
    includes.push({
      name: include.name,
      path: query.name,
      cardinality: include.cardinality,
      limit: include.limit,
      order: query.annotations.order,
      optional: include.cardinality === 'one' && !guaranteedByForeignKey(query, parentColumns, catalog),
      columns: probe.query.columns,
      children: nested.includes,
      source: query.source,
      location: query.location,
    });
  }
  return { includes, described, errors };
}
