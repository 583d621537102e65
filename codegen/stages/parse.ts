// Stage 4a: split a .sql file into named queries and read their annotations. No database needed.
import type { Annotations, IncludeAnnotation, OrderTerm, ParsedQuery, QueryKind, SourceLocation } from './pipeline-data.js';
import type { CodegenError } from '../diagnostics.js';
import { match } from 'ts-pattern';
import { rewriteParams } from './params.js';
import { MAX_LIMIT } from 'sqlbound';

const KINDS: readonly QueryKind[] = ['one', 'maybe', 'list', 'exec', 'stream'];
const KNOWN_ANNOTATIONS = ['name', 'include', 'order', 'cache', 'budget', 'allow', 'not-null', 'replica', 'owner'] as const;

type Block = {
  header: { key: string; value: string; line: number }[];
  sqlLines: { text: string; line: number }[];
  line: number;
};

const ANNOTATION = /^--\s*([a-zA-Z][\w-]*):\s*(.*?)\s*$/;

/** The file cut into named blocks; `preamble` holds the lines before the first `-- name:` or `-- include:` line. */
function splitBlocks(text: string): { blocks: Block[]; preamble: { text: string; line: number }[] } {
  const blocks: Block[] = [];
  const preamble: { text: string; line: number }[] = [];
  let current: Block | null = null;
  let inHeader = false;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const match = ANNOTATION.exec(raw.trim());
    if (match && (match[1] === 'name' || match[1] === 'include')) {
      current = { header: [{ key: match[1], value: match[2] ?? '', line }], sqlLines: [], line };
      blocks.push(current);
      inHeader = true;
      return;
    }
    if (current === null) {
      preamble.push({ text: raw, line });
      return;
    }
    if (inHeader && match) {
      current.header.push({ key: match[1] ?? '', value: match[2] ?? '', line });
      return;
    }
    if (inHeader && raw.trim().startsWith('--')) return; // prose comment in the header
    inHeader = false;
    current.sqlLines.push({ text: raw, line });
  });
  return { blocks, preamble };
}

const NAME_LIKE = /^--\s*(?:name\s+)?([A-Za-z_][A-Za-z0-9_]*)\s+:(one|maybe|list|exec|stream)\s*$/;

/**
 * SQL before the first `-- name:` line belongs to no query: without this error a file whose name line is misspelt
 * (`-- getTask :one`, `-- name getTask :one`) would generate nothing and succeed.
 */
function strayStatement(file: string, preamble: { text: string; line: number }[]): CodegenError | null {
  const first = preamble.find((line) => line.text.trim() !== '' && !line.text.trim().startsWith('--'));
  if (first === undefined) return null;
  const misspelt = preamble.filter((line) => line.line < first.line).findLast((line) => NAME_LIKE.test(line.text.trim()));
  const guess = misspelt === undefined ? null : NAME_LIKE.exec(misspelt.text.trim());
  return {
    location: { file, line: misspelt?.line ?? first.line },
    query: null,
    message:
      guess === null
        ? `SQL outside any named query (line ${first.line}): a query starts with a "-- name:" line`
        : `"${misspelt?.text.trim() ?? ''}" is not a name line, so the SQL below it (line ${first.line}) belongs to no query`,
    fix:
      guess === null
        ? 'write "-- name: queryName :kind" above the statement, with kind one of :one, :maybe, :list, :exec, :stream'
        : `write "-- name: ${guess[1] ?? 'queryName'} :${guess[2] ?? 'one'}"`,
  };
}

/** A comment inside a query's SQL that looks like a misspelt name line with SQL after it: the next query, swallowed. */
function hiddenNameLine(block: Block): { text: string; line: number } | null {
  const lines = block.sqlLines;
  const index = lines.findIndex(
    (line, k) =>
      NAME_LIKE.test(line.text.trim()) &&
      lines.slice(k + 1).some((after) => after.text.trim() !== '' && !after.text.trim().startsWith('--')),
  );
  return lines[index] ?? null;
}

const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
}

function parseOrder(value: string): OrderTerm[] | null {
  const terms = value.split(',').map((part) => part.trim().split(/\s+/));
  const parsed: OrderTerm[] = [];
  for (const term of terms) {
    const [column, direction = 'ASC', extra] = term;
    const upper = direction.toUpperCase();
    if (!column || !/^[a-z_][a-z0-9_]*$/i.test(column) || extra !== undefined || (upper !== 'ASC' && upper !== 'DESC')) {
      return null;
    }
    parsed.push({ column, direction: upper });
  }
  return parsed.length > 0 ? parsed : null;
}

export function parseQueryFile(file: string, text: string): { queries: ParsedQuery[]; errors: CodegenError[] } {
  const queries: ParsedQuery[] = [];
  const errors: CodegenError[] = [];
  const { blocks, preamble } = splitBlocks(text);
  const stray = strayStatement(file, preamble);
  if (stray !== null) errors.push(stray);
  for (const block of blocks) {
    const location: SourceLocation = { file, line: block.line };
    const fail = (message: string, fix: string, line = block.line, query: string | null = null) =>
      errors.push({ location: { file, line }, query, message, fix });
    const [head, ...rest] = block.header;
    if (head === undefined) continue;
    const hidden = hiddenNameLine(block);
    if (hidden !== null) {
      const guess = NAME_LIKE.exec(hidden.text.trim());
      fail(
        `"${hidden.text.trim()}" is not a name line, so the SQL below it is read as part of the query above (line ${block.line})`,
        `write "-- name: ${guess?.[1] ?? 'queryName'} :${guess?.[2] ?? 'one'}"`,
        hidden.line,
      );
      continue;
    }
    let name: string;
    let kind: QueryKind;
    let include: IncludeAnnotation | null = null;
    if (head.key === 'name') {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)\s+:(\w+)$/.exec(head.value);
      if (!match || !KINDS.includes(match[2] as QueryKind)) {
        fail(
          `malformed name line "-- name: ${head.value}"`,
          `write "-- name: queryName :kind" with kind one of ${KINDS.map((k) => `:${k}`).join(', ')}`,
        );
        continue;
      }
      name = match[1] ?? '';
      kind = match[2] as QueryKind;
    } else {
      // parent is a query name, or a path to another include for nesting: listExposures.latestAlerts.exposure
      const match = /^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.([A-Za-z_]\w*)\s+:(one|many)(?:\s+limit\s+(\d+))?$/.exec(head.value);
      if (!match) {
        fail(
          `malformed include line "-- include: ${head.value}"`,
          'write "-- include: parentQuery.field :one" or "-- include: parentQuery.field :many limit N"',
        );
        continue;
      }
      const cardinality = match[3] === 'many' ? 'many' : 'one';
      const limit = match[4] === undefined ? null : Number(match[4]);
      if (cardinality === 'many' && (limit === null || limit < 1 || limit > MAX_LIMIT)) {
        fail(
          `include ${match[1]}.${match[2]} :many needs a limit between 1 and ${MAX_LIMIT}`,
          `append "limit N" with 1 <= N <= ${MAX_LIMIT}, e.g. "-- include: ${match[1]}.${match[2]} :many limit 10"`,
        );
        continue;
      }
      include = { parent: match[1] ?? '', name: match[2] ?? '', cardinality, limit };
      name = `${include.parent}.${include.name}`;
      kind = cardinality === 'one' ? 'maybe' : 'list';
    }
    const annotations: Annotations = {
      order: null,
      cache: null,
      budgetMs: null,
      allowSeqscan: null,
      allowSort: null,
      notNull: [],
      replica: false,
      ownerAny: null,
    };
    for (const annotation of rest) {
      const bad = (message: string, fix: string) => fail(message, fix, annotation.line, name);
      switch (annotation.key) {
        case 'order': {
          const order = parseOrder(annotation.value);
          if (order === null)
            bad(`malformed order "${annotation.value}"`, 'write "-- order: column [ASC|DESC], ..., unique_column [ASC|DESC]"');
          annotations.order = order;
          break;
        }
        case 'cache': {
          const ttlMs = parseDuration(annotation.value);
          if (ttlMs === null || ttlMs <= 0)
            bad(`malformed cache duration "${annotation.value}"`, 'write a duration such as "-- cache: 30s", "-- cache: 5m"');
          else annotations.cache = { ttlMs, text: annotation.value };
          break;
        }
        case 'budget': {
          const budget = parseDuration(annotation.value);
          if (budget === null || budget <= 0) bad(`malformed budget "${annotation.value}"`, 'write a duration such as "-- budget: 50ms"');
          else annotations.budgetMs = budget;
          break;
        }
        case 'allow': {
          // Each hatch is named for what it allows: reading a table whole, or sorting a whole table's rows.
          const match = /^(seqscan|sort)\s+(\S.*)$/.exec(annotation.value);
          if (!match)
            bad(
              `malformed allow "${annotation.value}"`,
              'write "-- allow: seqscan <reason>" (a table may be read whole) or "-- allow: sort <reason>" (a whole table\'s rows may be sorted), e.g. "-- allow: seqscan settings table of 12 rows"',
            );
          else if (match[1] === 'sort') annotations.allowSort = match[2] ?? '';
          else annotations.allowSeqscan = match[2] ?? '';
          break;
        }
        case 'replica':
          if (annotation.value !== 'ok')
            bad(`malformed replica "${annotation.value}"`, 'write "-- replica: ok" to let this read go to a replica');
          else annotations.replica = true;
          break;
        case 'owner': {
          // The reason is required: it is what an auditor reads in the manifest and in `sqlbound audit`.
          const match = /^any\s+--\s*(\S.*)$/.exec(annotation.value);
          if (!match)
            bad(
              `malformed owner "${annotation.value}"`,
              'write "-- owner: any -- <reason>", e.g. "-- owner: any -- the broker catalogue is public"',
            );
          else annotations.ownerAny = match[1] ?? '';
          break;
        }
        case 'not-null':
          annotations.notNull.push(
            ...annotation.value
              .split(',')
              .map((column) => column.trim())
              .filter(Boolean),
          );
          break;
        default:
          bad(
            `unknown annotation "-- ${annotation.key}:"`,
            `use one of ${KNOWN_ANNOTATIONS.map((key) => `"-- ${key}:"`).join(', ')}; prose comments in a query header must not start with "word:"`,
          );
      }
    }
    const firstSql = block.sqlLines.findIndex((line) => line.text.trim() !== '');
    // Comment lines after the statement (a note before the next query, the end of the file) are not part of it: left
    // in, they would follow the `;` and break every statement the generator wraps around this one.
    const lastSql = block.sqlLines.findLastIndex((line) => line.text.trim() !== '' && !line.text.trim().startsWith('--'));
    const sqlLines = firstSql < 0 ? [] : block.sqlLines.slice(firstSql, lastSql + 1);
    const source = sqlLines
      .map((line) => line.text)
      .join('\n')
      .trim()
      .replace(/;\s*$/, '');
    if (source === '') {
      fail(`query ${name} has no SQL`, 'write the statement below its annotations', block.line, name);
      continue;
    }
    const sqlLine = sqlLines[0]?.line ?? block.line;
    match(rewriteParams(source))
      .with({ kind: 'error' }, (rewrite) => fail(rewrite.error, rewrite.fix, sqlLine, name))
      .with({ kind: 'ok' }, ({ value }) =>
        queries.push({
          name,
          kind,
          location,
          sqlLine,
          source,
          text: value.text,
          params: value.params,
          probe: value.probe,
          annotations,
          include,
        }),
      )
      .exhaustive();
  }
  return { queries, errors };
}

/** The values generated/index.ts exports for a query: its function, its input schema and its JSON writer. */
function exportedNames(query: ParsedQuery): string[] {
  const writer = match(query.kind)
    .with('one', 'maybe', () => [`${query.name}Json`])
    .with('list', () => [`${query.name}PageJson`])
    .with('exec', 'stream', () => [])
    .exhaustive();
  return [query.name, `${query.name}Input`, ...writer];
}

/**
 * Query names are global: generated/index.ts exports every function by its name, and beside it the query's
 * `<name>Input` and `<name>Json` (`<name>PageJson` for a list). Two queries may not claim one export: ESM drops an
 * ambiguous `export *` name, so the generated code would not compile, or would lose the name at run time.
 */
export function duplicateNames(queries: ParsedQuery[]): CodegenError[] {
  const errors: CodegenError[] = [];
  const seen = new Map<string, ParsedQuery>();
  const exports = new Map<string, ParsedQuery>();
  for (const query of queries) {
    const earlier = seen.get(query.name);
    if (earlier) {
      errors.push({
        location: query.location,
        query: query.name,
        message: `duplicate query name ${query.name} (first defined at ${earlier.location.file}:${earlier.location.line})`,
        fix: 'give each query a unique name',
      });
    }
    seen.set(query.name, query);
    if (earlier || query.include !== null) continue;
    for (const name of exportedNames(query)) {
      const owner = exports.get(name);
      if (owner !== undefined && owner !== query) {
        errors.push({
          location: query.location,
          query: query.name,
          message: `generated export ${name} of query ${query.name} is also query ${owner.name}'s (defined at ${owner.location.file}:${owner.location.line})`,
          fix: `rename one of them: each query exports its function, <name>Input and <name>Json (<name>PageJson for a :list)`,
        });
      }
      exports.set(name, query);
    }
  }
  return errors;
}
