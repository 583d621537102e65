// The metric and label names a PromQL expression refers to, so a test can hold alert rules and dashboard queries
// to what /metrics really serves. A small tokenizer, not a parser: it knows where PromQL puts label names
// (inside `{...}` before a matcher, and in by/without/on/ignoring/group_left/group_right lists) and that an
// identifier before `(` (or before `by (`/`without (`) is a function or an aggregation. Every other identifier
// is a metric name.

export type PromqlReferences = { metrics: Set<string>; labels: Set<string> };

type Token =
  | { kind: 'identifier'; text: string }
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'variable' }
  | { kind: 'punctuation'; text: string };

/** Keywords that take a label list in parentheses. */
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
/** Words that are never metric names where they appear bare. */
const KEYWORDS = new Set([...LABEL_LIST_KEYWORDS, 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

const TOKEN = new RegExp(
  [
    String.raw`(?<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + '`[^`]*`)',
    // Grafana's template variables: $job, ${job}, $__rate_interval.
    String.raw`(?<variable>\$\{[^}]*\}|\$\w+)`,
    // Numbers and durations (0.95, 1e3, 0x1f, 5m, 1h30m): starting with a digit or a dot and a digit.
    String.raw`(?<number>(?:\d|\.\d)[\w.]*)`,
    String.raw`(?<identifier>[A-Za-z_:][\w:]*)`,
    String.raw`(?<punctuation>=~|!~|!=|==|<=|>=|[(){}\[\],=<>+\-*/%^@])`,
    String.raw`(?<space>\s+)`,
  ].join('|'),
  'y',
);

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(expr);
    const groups = match?.groups;
    if (groups === undefined) throw new Error(`cannot read PromQL at ${at}: ${expr.slice(at, at + 20)}`);
    if (groups.string !== undefined) tokens.push({ kind: 'string' });
    else if (groups.variable !== undefined) tokens.push({ kind: 'variable' });
    else if (groups.number !== undefined) tokens.push({ kind: 'number' });
    else if (groups.identifier !== undefined) tokens.push({ kind: 'identifier', text: groups.identifier });
    else if (groups.punctuation !== undefined) tokens.push({ kind: 'punctuation', text: groups.punctuation });
  }
  return tokens;
}

const isPunctuation = (token: Token | undefined, text: string) => token?.kind === 'punctuation' && token.text === text;

/** Index of the token after the group opened at `open` (a `(`, `[` or `{`), collecting label names on the way. */
function skipGroup(tokens: Token[], open: number, close: string, onIdentifier: (name: string, next: Token | undefined) => void): number {
  let index = open + 1;
  while (index < tokens.length && !isPunctuation(tokens[index], close)) {
    const token = tokens[index];
    if (token?.kind === 'identifier') onIdentifier(token.text, tokens[index + 1]);
    index += 1;
  }
  if (index >= tokens.length) throw new Error(`unclosed group: expected ${close}`);
  return index + 1;
}

/** `f(` is a function; `sum by (` and `sum without (` are aggregations written with their grouping first. */
function isCall(next: Token | undefined): boolean {
  return isPunctuation(next, '(') || (next?.kind === 'identifier' && (next.text === 'by' || next.text === 'without'));
}

export function promqlReferences(expr: string): PromqlReferences {
  const tokens = tokenize(expr);
  const metrics = new Set<string>();
  const labels = new Set<string>();
  let index = 0;
  while (index < tokens.length) {
    const token = tokens[index];
    const next = tokens[index + 1];
    if (isPunctuation(token, '{')) {
      // A label matcher list: `name op "value"`, where name is a label (or __name__, which names a metric).
      index = skipGroup(tokens, index, '}', (name, after) => {
        if (after?.kind !== 'punctuation' || !['=', '!=', '=~', '!~'].includes(after.text)) return;
        // A metric chosen by a string would escape the check: name it as a selector instead.
        if (name === '__name__') throw new Error('selecting metrics by __name__ is not supported: name the metric');
        labels.add(name);
      });
    } else if (isPunctuation(token, '[')) {
      index = skipGroup(tokens, index, ']', () => undefined); // a range or subquery: durations and variables
    } else if (token?.kind === 'identifier' && LABEL_LIST_KEYWORDS.has(token.text) && isPunctuation(next, '(')) {
      index = skipGroup(tokens, index + 1, ')', (name) => labels.add(name));
    } else if (token?.kind === 'identifier' && !KEYWORDS.has(token.text.toLowerCase()) && !isCall(next)) {
      metrics.add(token.text);
      index += 1;
    } else {
      index += 1; // a function name, keyword, number, string, variable or operator
    }
  }
  return { metrics, labels };
}
