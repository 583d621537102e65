// Stage 4b: rewrite named params (:userId, optional :severity?) to $1..$n using PostgreSQL's own scanner,
// so string literals, comments, dollar-quoted bodies and ::casts can never be mistaken for a param.
import { scanSync } from 'libpg-query';
import type { ParsedParam } from './pipeline-data.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Rewritten = {
  text: string;
  params: ParsedParam[];
  /** Each occurrence as its own $n, to find which uses of one param disagree on its type. */
  probe: { text: string; occurrences: string[] };
};

/** The rewrite, or why the SQL cannot be rewritten (a positional `$1` in a named query). */
export type RewriteResult = { kind: 'ok'; value: Rewritten } | { kind: 'error'; error: string; fix: string };

/**
 * `registry` lets several pieces of one statement (a parent and its includes) share param positions:
 * a name seen in an earlier piece keeps its $n.
 */
export function rewriteParams(source: string, registry: Map<string, ParsedParam> = new Map()): RewriteResult {
  // The scanner reports byte offsets; slice the UTF-8 bytes, not the JS string.
  const bytes = Buffer.from(source, 'utf8');
  const tokens = scanSync(source).tokens;
  const byName = registry;
  const pieces: string[] = [];
  const probePieces: string[] = [];
  const occurrences: string[] = [];
  let copiedUpTo = 0;
  for (let index = 0; index < tokens.length; index += 1) {
    const colon = tokens[index];
    const name = tokens[index + 1];
    if (colon === undefined || name === undefined) continue;
    const colonText = bytes.subarray(colon.start, colon.end).toString('utf8');
    const nameText = bytes.subarray(name.start, name.end).toString('utf8');
    if (colonText !== ':' || colon.end !== name.start || !IDENTIFIER.test(nameText)) continue;
    const marker = tokens[index + 2];
    const optional = marker !== undefined && marker.start === name.end && bytes.subarray(marker.start, marker.end).toString('utf8') === '?';
    let param = byName.get(nameText);
    if (param === undefined) {
      param = { name: nameText, position: byName.size + 1, optional };
      byName.set(nameText, param);
    } else if (optional) {
      param.optional = true;
    }
    const between = bytes.subarray(copiedUpTo, colon.start).toString('utf8');
    pieces.push(between, `$${param.position}`);
    occurrences.push(nameText);
    probePieces.push(between, `$${occurrences.length}`);
    copiedUpTo = optional && marker ? marker.end : name.end;
    index += optional ? 2 : 1;
  }
  pieces.push(bytes.subarray(copiedUpTo).toString('utf8'));
  probePieces.push(bytes.subarray(copiedUpTo).toString('utf8'));
  const positional = tokens.find((token) => token.tokenName === 'PARAM');
  if (positional !== undefined) {
    return {
      kind: 'error',
      error: `positional parameter ${bytes.subarray(positional.start, positional.end).toString('utf8')} in a named query`,
      fix: 'name every parameter, e.g. :userId, so generated functions take named fields',
    };
  }
  const params = [...byName.values()];
  return { kind: 'ok', value: { text: pieces.join(''), params, probe: { text: probePieces.join(''), occurrences } } };
}
