// Small, typed accessors over libpg-query's JSON parse tree ({ NodeType: { ...fields } } objects).

export type AstNode = { [key: string]: unknown };

export function isObject(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The node type and body of a wrapped node such as { ColumnRef: {...} }. */
export function unwrap(node: unknown): { type: string; body: AstNode } | null {
  if (!isObject(node)) return null;
  const keys = Object.keys(node);
  if (keys.length !== 1) return null;
  const type = keys[0] ?? '';
  const body = node[type];
  return isObject(body) ? { type, body } : null;
}

export function nodeOf(node: unknown, type: string): AstNode | null {
  const unwrapped = unwrap(node);
  return unwrapped !== null && unwrapped.type === type ? unwrapped.body : null;
}

export function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  const inner = nodeOf(value, 'List');
  return inner !== null && Array.isArray(inner.items) ? inner.items : [];
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function child(body: AstNode, key: string): AstNode | null {
  const value = body[key];
  return isObject(value) ? value : null;
}

/** String values of a list of { String: { sval } } nodes, e.g. ColumnRef fields or funcname. */
export function names(value: unknown): (string | '*')[] {
  return list(value).map((item) => {
    if (nodeOf(item, 'A_Star') !== null) return '*';
    const text = nodeOf(item, 'String');
    return text !== null ? (str(text.sval) ?? '') : '';
  });
}

/** Visits every object in the tree, depth first; `visit` returning false skips a subtree. */
export function walk(value: unknown, visit: (node: AstNode) => boolean | void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  if (!isObject(value)) return;
  if (visit(value) === false) return;
  for (const inner of Object.values(value)) walk(inner, visit);
}
