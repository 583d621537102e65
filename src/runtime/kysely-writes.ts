// What a Kysely statement writes, read from the operation tree Kysely compiled it from: the target of an insert,
// update, delete or merge, and of each data-modifying `with` (PostgreSQL allows them only at the top). Raw SQL has
// no tree to read: its text is classified instead, and anything that may write a table it cannot name is `unknown`,
// which the cache treats as "every table" (stale data is the failure we refuse; an extra miss is not).
import { AliasNode, ListNode, RawNode, TableNode } from 'kysely';
import type { OperationNode, RootOperationNode, SchemableIdentifierNode, WithNode } from 'kysely';

/**
 * `tables`: it writes these (display names: `schema.table` when the statement qualified them). `unknown`: it may
 * write tables nobody can name from here (raw SQL, a dropped schema). `control`: raw BEGIN, COMMIT or ROLLBACK.
 */
export type KyselyWrites =
  | { readonly kind: 'none' }
  | { readonly kind: 'tables'; readonly tables: readonly string[] }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'control'; readonly control: 'begin' | 'commit' | 'rollback' };

const NONE: KyselyWrites = { kind: 'none' };
const UNKNOWN: KyselyWrites = { kind: 'unknown' };

function tables(...names: string[]): KyselyWrites {
  return { kind: 'tables', tables: names };
}

/** Both sides' writes; `unknown` absorbs everything. Control statements never combine (they are whole statements). */
export function combineWrites(a: KyselyWrites, b: KyselyWrites): KyselyWrites {
  if (a.kind === 'unknown' || b.kind === 'unknown') return UNKNOWN;
  if (a.kind !== 'tables') return b.kind === 'tables' ? b : a;
  if (b.kind !== 'tables') return a;
  return tables(...new Set([...a.tables, ...b.tables]));
}

function identifierName(node: SchemableIdentifierNode): string {
  const name = node.identifier.name;
  return node.schema === undefined ? name : `${node.schema.name}.${name}`;
}

/** The table a write target names: a table, an aliased table, or (MySQL's multi-table update) a list of them. */
function targetWrites(node: OperationNode | undefined): KyselyWrites {
  if (node === undefined) return NONE;
  if (TableNode.is(node)) return tables(identifierName(node.table));
  if (AliasNode.is(node)) return targetWrites(node.node);
  if (ListNode.is(node)) return node.items.map(targetWrites).reduce(combineWrites, NONE);
  // A target built otherwise (a raw expression): not a name we can read.
  return UNKNOWN;
}

function withWrites(node: WithNode | undefined): KyselyWrites {
  if (node === undefined) return NONE;
  return node.expressions.map((cte) => statementWrites(cte.expression)).reduce(combineWrites, NONE);
}

const ROOT_KINDS = new Set<string>([
  'SelectQueryNode',
  'InsertQueryNode',
  'UpdateQueryNode',
  'DeleteQueryNode',
  'MergeQueryNode',
  'CreateTableNode',
  'CreateIndexNode',
  'CreateSchemaNode',
  'CreateViewNode',
  'RefreshMaterializedViewNode',
  'DropTableNode',
  'DropIndexNode',
  'DropSchemaNode',
  'DropViewNode',
  'AlterTableNode',
  'RawNode',
  'CreateTypeNode',
  'DropTypeNode',
]);

/** A statement nested somewhere (a CTE's body, a builder inside raw SQL); any other node writes nothing. */
function statementWrites(node: OperationNode): KyselyWrites {
  return ROOT_KINDS.has(node.kind) ? kyselyWrites(node as RootOperationNode) : NONE;
}

/**
 * The tables a statement compiled by Kysely writes. A SELECT writes nothing unless a `with` of it does; DDL that
 * creates leaves cached reads valid, DDL that alters, drops or refreshes a relation invalidates it.
 */
export function kyselyWrites(node: RootOperationNode): KyselyWrites {
  switch (node.kind) {
    case 'SelectQueryNode':
      return withWrites(node.with);
    case 'InsertQueryNode':
      return combineWrites(targetWrites(node.into), withWrites(node.with));
    case 'UpdateQueryNode':
      return combineWrites(targetWrites(node.table), withWrites(node.with));
    case 'DeleteQueryNode':
      return combineWrites(node.from.froms.map(targetWrites).reduce(combineWrites, NONE), withWrites(node.with));
    case 'MergeQueryNode':
      return combineWrites(targetWrites(node.into), withWrites(node.with));
    case 'AlterTableNode':
    case 'DropTableNode':
      return targetWrites(node.table);
    case 'RefreshMaterializedViewNode':
      return tables(identifierName(node.name));
    // DROP SCHEMA ... CASCADE drops tables it does not name.
    case 'DropSchemaNode':
      return UNKNOWN;
    case 'CreateTableNode':
    case 'CreateIndexNode':
    case 'CreateSchemaNode':
    case 'CreateViewNode':
    case 'CreateTypeNode':
    case 'DropIndexNode':
    case 'DropViewNode':
    case 'DropTypeNode':
      return NONE;
    case 'RawNode':
      return rawWrites(node);
    default: {
      const unhandled: never = node;
      return unhandled;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Raw SQL: classified by its text, erring towards `unknown`.

/** Statements that read, or change only the session: they write no table. */
const READ_STARTS = new Set(['select', 'with', 'values', 'table', 'show', 'explain', 'set', 'reset', 'savepoint', 'release', 'lock']);
/** A word that may make a reading statement write: a data-modifying CTE, EXPLAIN ANALYZE of a write, SELECT INTO. */
const WRITE_WORD = /\b(?:insert|update|delete|merge|truncate|into)\b/;
/** Row locks read (`FOR UPDATE` must not look like an UPDATE). */
const LOCKING = /\bfor\s+(?:no\s+key\s+update|update|key\s+share|share)\b/g;
/** Comments and string literals: words in them are not SQL. */
const NOT_CODE = /\/\*[\s\S]*?\*\/|--[^\n]*|'(?:[^']|'')*'/g;

/** The raw text with interpolated raw fragments inlined (they are pieces of it); anything else is a placeholder. */
function rawText(node: RawNode): string {
  return node.sqlFragments.reduce((text, fragment, index) => {
    const parameter = node.parameters[index - 1];
    const between = parameter !== undefined && RawNode.is(parameter) ? rawText(parameter) : ' ? ';
    return index === 0 ? fragment : `${text}${between}${fragment}`;
  }, '');
}

function classifyText(text: string): KyselyWrites {
  const code = text.replace(NOT_CODE, ' ').toLowerCase().trim();
  const words = code.split(/[\s;(]+/, 3);
  const first = words[0] ?? '';
  if (first === 'begin' || (first === 'start' && words[1] === 'transaction')) return { kind: 'control', control: 'begin' };
  if (first === 'commit' || first === 'end') return { kind: 'control', control: 'commit' };
  if ((first === 'rollback' || first === 'abort') && words[1] !== 'to') return { kind: 'control', control: 'rollback' };
  if (first === 'rollback') return NONE; // ROLLBACK TO SAVEPOINT: the transaction goes on, its writes stay pending
  if (!READ_STARTS.has(first)) return UNKNOWN;
  return WRITE_WORD.test(code.replace(LOCKING, ' ')) ? UNKNOWN : NONE;
}

/** The statements built with Kysely and interpolated into raw SQL, at any depth of nested raw fragments. */
function rawBuilders(node: RawNode): OperationNode[] {
  return node.parameters.flatMap((parameter) =>
    RawNode.is(parameter) ? rawBuilders(parameter) : ROOT_KINDS.has(parameter.kind) ? [parameter] : [],
  );
}

/** Raw SQL, plus what the builders interpolated into it write (`sql\`WITH d AS (${db.deleteFrom('x')}) ...\``). */
function rawWrites(node: RawNode): KyselyWrites {
  const own = classifyText(rawText(node));
  if (own.kind === 'control') return own;
  return rawBuilders(node).map(statementWrites).reduce(combineWrites, own);
}
