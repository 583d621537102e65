#!/usr/bin/env node
// The `sqlbound` command, the one layer that knows codegen, the audit and the database helpers:
//   sqlbound codegen [--check] [--watch] [--debug] [--config <file or folder>] [--queries <dir or glob>]
//   sqlbound audit [--config ...] [--samples N] [--report <file>]   (the database in DATABASE_URL, as it is)
//   sqlbound audit --live [--top N] [--report <file>]   (any client's statements, from pg_stat_statements)
// Every failure is one clear message and a non-zero exit code; see runCommand.
import { runCommand } from '../database/server.js';
import { audit } from './audit-command.js';
import { codegen } from './codegen-command.js';
import { complain, say, USAGE, UsageError } from './command.js';
import { GENERATOR } from '../version.js';

await runCommand(async () => {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command === '--version' || command === '-v' || command === 'version') {
      say(GENERATOR);
      return 0;
    }
    // Help is asked for, not an error: usage on stdout, exit 0, for the bare command and for each subcommand.
    if (command === '--help' || command === '-h' || command === 'help' || rest.includes('--help') || rest.includes('-h')) {
      say(USAGE);
      return 0;
    }
    if (command === 'codegen') return await codegen(rest);
    if (command === 'audit') return await audit(rest);
    if (command === undefined) {
      complain(USAGE);
      return 2;
    }
    throw new UsageError(`unknown command ${command}`);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      complain(`sqlbound: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
});
