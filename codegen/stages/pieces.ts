// The pieces a composed statement is made of (the query's own SQL, then each include's, nested ones included) and the
// tables each reads, so the verify stage reports a plan finding where the SQL that scans the table is written: an
// include's unindexed filter at the include's line, with the include's order, not at its parent's.
import type { Node, RangeVar } from '@pgsql/types';
import { parseSync } from 'libpg-query';
import { nodeOf, walkNodes } from '../analysis/tree.js';
import { rewriteParams } from './params.js';
import type { DescribedInclude, DescribedQuery, OrderTerm, SourceLocation } from './pipeline-data.js';

/** One piece of SQL in a composed statement: its name (query or include path), where it is written, its order. */
export type Piece = {
  name: string;
  location: SourceLocation;
  order: readonly OrderTerm[] | null;
  /** Each table it names, with the name its rows go by (the alias, else the table's name). */
  relations: readonly { table: string; alias: string }[];
};

const entry = (relation: RangeVar) => ({ table: relation.relname ?? '', alias: relation.alias?.aliasname ?? relation.relname ?? '' });

/** The tables a statement names: FROM items, and the targets of INSERT, UPDATE, DELETE and MERGE. */
function relationsOf(positional: string): Piece['relations'] {
  let statement: Node | undefined;
  try {
    statement = parseSync(positional).stmts?.[0]?.stmt;
  } catch {
    return [];
  }
  const found: { table: string; alias: string }[] = [];
  walkNodes(statement, (node) => {
    const relation = nodeOf(node, 'RangeVar');
    if (relation !== null) found.push(entry(relation));
    const target =
      nodeOf(node, 'InsertStmt')?.relation ??
      nodeOf(node, 'UpdateStmt')?.relation ??
      nodeOf(node, 'DeleteStmt')?.relation ??
      nodeOf(node, 'MergeStmt')?.relation;
    if (target !== undefined) found.push(entry(target));
  });
  return found;
}

function includePieces(includes: readonly DescribedInclude[]): Piece[] {
  return includes.flatMap((include) => {
    const rewritten = rewriteParams(include.source);
    const relations = rewritten.kind === 'ok' ? relationsOf(rewritten.value.text) : [];
    return [{ name: include.path, location: include.location, order: include.order, relations }, ...includePieces(include.children)];
  });
}

/** The query's own piece first, then its includes, depth first. */
export function piecesOf(query: DescribedQuery): [Piece, ...Piece[]] {
  const own: Piece = {
    name: query.name,
    location: query.location,
    order: query.kind === 'list' ? query.annotations.order : null,
    relations: relationsOf(query.text),
  };
  return [own, ...includePieces(query.includes)];
}

/**
 * The piece that scans `table` under the plan's `alias`: the one piece that names the table, else the one of those
 * whose alias is the plan's (EXPLAIN numbers a repeated alias: `t_1`), else the query's own.
 */
export function pieceReading(pieces: readonly [Piece, ...Piece[]], table: string | null, alias: string | null): Piece {
  const [own] = pieces;
  if (table === null) return own;
  const naming = pieces.filter((piece) => piece.relations.some((relation) => relation.table === table));
  if (naming.length === 1) return naming[0] ?? own;
  const aliases = alias === null ? [] : [alias, alias.replace(/_\d+$/, '')];
  const named = naming.filter((piece) => piece.relations.some((relation) => relation.table === table && aliases.includes(relation.alias)));
  return named.length === 1 ? (named[0] ?? own) : own;
}
