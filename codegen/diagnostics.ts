// What every stage reports: errors that stop a query (with the fix), notes that do not, and the tagged result a
// stage returns, so a caller matches both outcomes exhaustively instead of probing for an `error` field.
export type SourceLocation = { file: string; line: number };

/**
 * A problem that stops a query from being generated: where, which query (null for a file-level problem), what,
 * and the fix, because an error without a fix sends the author to the docs.
 *
 * @example
 * ```ts
 * import { formatError, type CodegenError } from '@sqlbound/cli/codegen';
 *
 * const error: CodegenError = {
 *   location: { file: 'sql/queries/alerts.sql', line: 1 },
 *   query: 'listAlerts',
 *   message: ':list query listAlerts has no "-- order:"',
 *   fix: 'add "-- order: created_at DESC, id DESC" (any order ending in a unique, non-null column)',
 * };
 * console.error(formatError(error));
 * ```
 */
export type CodegenError = { location: SourceLocation; query: string | null; message: string; fix: string };

/**
 * Why the analysis left something nullable; printed by `npm run codegen -- --debug`, recorded in golden cases.
 * Not an error: the generated type is still sound, only wider than the author may expect.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { describeQueryFile, type CodegenNote } from '@sqlbound/cli/codegen';
 *
 * const text = await readFile('sql/queries/alerts.sql', 'utf8');
 * const { notes } = await describeQueryFile(process.env.DATABASE_URL!, { file: 'sql/queries/alerts.sql', text });
 * for (const note of notes satisfies CodegenNote[]) console.log(`${note.location.file}:${note.location.line} ${note.query}: ${note.message}`);
 * ```
 */
export type CodegenNote = { location: SourceLocation; query: string; message: string };

/**
 * One error as the CLI prints it: `file:line (query name): message`, then the fix on its own line.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { describeQueryFile, formatError } from '@sqlbound/cli/codegen';
 *
 * const text = await readFile('sql/queries/alerts.sql', 'utf8');
 * const { errors } = await describeQueryFile(process.env.DATABASE_URL!, { file: 'sql/queries/alerts.sql', text });
 * if (errors.length > 0) throw new Error(errors.map(formatError).join('\n'));
 * ```
 */
export function formatError(error: CodegenError): string {
  const where = `${error.location.file}:${error.location.line}`;
  const query = error.query === null ? '' : ` (query ${error.query})`;
  return `${where}${query}: ${error.message}\n  fix: ${error.fix}`;
}

/** A stage's outcome: its value, or the errors that stopped it. Matched with ts-pattern on `kind`. */
export type StageResult<T> = { kind: 'ok'; value: T } | { kind: 'error'; errors: CodegenError[] };

export const ok = <T>(value: T): StageResult<T> => ({ kind: 'ok', value });

export const failed = <T = never>(...errors: CodegenError[]): StageResult<T> => ({ kind: 'error', errors });
