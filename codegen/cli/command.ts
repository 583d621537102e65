// What every sqlbound command shares: its usage text, its way of failing on bad arguments, and how it prints.
import { relative } from 'node:path';
import { resolvePath, type Config } from '../config.js';
import { formatError } from '../diagnostics.js';
import type { GeneratedProject } from '../project.js';

export const USAGE = `usage:
  sqlbound --version | --help
  sqlbound codegen [--check] [--watch] [--debug] [--config <path>] [--queries <dir or glob>]
  sqlbound audit [--config <path>] [--samples N] [--report <file>]
  sqlbound audit --live [--top N] [--n-plus-one-calls N] [--n-plus-one-mean-ms MS] [--report <file>]`;

/** Arguments that do not make a command: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function complain(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The diagnostics of one generation: errors always, the analysis notes with --debug. */
export function report(project: GeneratedProject, debug: boolean): void {
  if (debug) {
    for (const note of project.notes) complain(`${note.location.file}:${note.location.line} (query ${note.query}): note: ${note.message}`);
  }
  if (project.errors.length > 0) complain(project.errors.map(formatError).join('\n'));
}

export function outLabel(config: Config): string {
  return `${relative(process.cwd(), resolvePath(config, config.out)) || '.'}/`;
}
