// Typed access to libpg-query's parse tree. The tree's types come from @pgsql/types (the package libpg-query
// itself declares its result with), so a field PostgreSQL renames is a compile error here, not a silent
// `undefined`. Each consumer narrows a Node to the kinds it handles through a tagged union and matches it
// exhaustively; a kind outside that union is reported as { kind: 'other' } and handled explicitly.
import type { Node } from '@pgsql/types';

/** Every node kind of the Node union: 'ColumnRef', 'SelectStmt', ... */
export type NodeKind = Node extends infer N ? (N extends unknown ? keyof N : never) : never;
/** The body type of one node kind, e.g. NodeOf<'ColumnRef'> is ColumnRef. */
export type NodeOf<K extends NodeKind> = Extract<Node, Record<K, unknown>>[K];
/** A node of one of the kinds K, tagged for exhaustive matching; anything else is 'other'. */
export type Tagged<K extends NodeKind> = { [P in K]: { kind: P; node: NodeOf<P> } }[K] | { kind: 'other'; name: string };

function kindName(node: Node): string {
  return Object.keys(node)[0] ?? '';
}

function isKind<K extends NodeKind>(node: Node, kind: K): node is Extract<Node, Record<K, unknown>> {
  return kind in node;
}

/** The body of `node` when it is of `kind`. */
export function nodeOf<K extends NodeKind>(node: Node | undefined, kind: K): NodeOf<K> | null {
  if (node === undefined || !isKind(node, kind)) return null;
  return node[kind];
}

/** Tags `node` as one of `kinds`, or 'other' with the node's kind name (or 'empty' for an empty object). */
export function tag<K extends NodeKind>(node: Node | undefined, kinds: readonly K[]): Tagged<K> {
  if (node === undefined) return { kind: 'other', name: 'missing' };
  const name = kindName(node);
  const kind = kinds.find((candidate) => candidate === name);
  if (kind === undefined || !isKind(node, kind)) return { kind: 'other', name: name === '' ? 'empty' : name };
  // TypeScript cannot tie a generic key to its body in a mapped union; isKind checked it at runtime.
  return { kind, node: node[kind] } as Tagged<K>;
}

/** The string values of String nodes (ColumnRef fields, function and operator names), '*' for A_Star. */
export function names(nodes: readonly Node[] | undefined): string[] {
  return (nodes ?? []).map((item) => {
    if (nodeOf(item, 'A_Star') !== null) return '*';
    return nodeOf(item, 'String')?.sval ?? '';
  });
}

/** The items of a List node, or the array itself. */
export function items(node: Node | undefined): Node[] {
  return node === undefined ? [] : (nodeOf(node, 'List')?.items ?? []);
}

/** A node without its casts: the value a cast converts. */
export function stripCasts(node: Node | undefined): Node | undefined {
  const cast = node === undefined ? null : nodeOf(node, 'TypeCast');
  return cast === null ? node : stripCasts(cast.arg);
}

/** Conjuncts of an AND tree. */
export function conjuncts(node: Node | undefined): Node[] {
  if (node === undefined) return [];
  const bool = nodeOf(node, 'BoolExpr');
  if (bool !== null && bool.boolop === 'AND_EXPR') return (bool.args ?? []).flatMap(conjuncts);
  return [node];
}

function isNodeObject(value: unknown): value is Node {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  // Every node is wrapped as { Kind: body }; kinds are capitalised, fields are not.
  return keys.length === 1 && /^[A-Z]/.test(keys[0] ?? '') && typeof Reflect.get(value, keys[0] ?? '') === 'object';
}

/**
 * Visits every wrapped node in a tree, depth first; `visit` returning false skips the node's subtree. Fields
 * typed as a bare struct (InsertStmt.relation is a RangeVar without its wrapper) are not wrapped nodes;
 * callers that need them read them from the typed parent.
 */
export function walkNodes(value: unknown, visit: (node: Node) => boolean | void): void {
  if (Array.isArray(value)) {
    for (const item of value) walkNodes(item, visit);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (isNodeObject(value) && visit(value) === false) return;
  for (const inner of Object.values(value)) walkNodes(inner, visit);
}

/** Visits the nodes of an expression without entering subqueries (their columns belong to another level). */
export function walkExpression(value: unknown, visit: (node: Node) => void): void {
  walkNodes(value, (node) => {
    if (nodeOf(node, 'SubLink') !== null) return false;
    visit(node);
    return undefined;
  });
}

/** A node's canonical text: no source locations, and column references replaced by `columnKey`. */
export function canonical(node: Node, columnKey: (ref: NodeOf<'ColumnRef'>) => string | null): string {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== 'object' || value === null) return value;
    if (isNodeObject(value)) {
      const ref = nodeOf(value, 'ColumnRef');
      const key = ref === null ? null : columnKey(ref);
      if (key !== null) return { column: key };
    }
    const out: Record<string, unknown> = {};
    for (const [field, inner] of Object.entries(value)) if (field !== 'location') out[field] = strip(inner);
    return out;
  };
  return JSON.stringify(strip(node));
}
