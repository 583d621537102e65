// Database-level admin: create, clone and drop databases on a server (used by tests and codegen).
import pg from 'pg';
import { quoteIdentifier } from 'sqlbound';

/** Test and scratch databases get plain names; anything else is refused rather than quoted. */
function databaseName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`refusing unusual database name ${JSON.stringify(name)}`);
  return quoteIdentifier(name);
}

/**
 * Runs `body` with a pg.Client connected to `adminUrl`, closed however `body` ends: for one-off admin statements
 * that must not hold a pool open.
 *
 * @example
 * ```ts
 * import { startDatabase, withAdminClient } from '@sqlbound/cli/testing';
 *
 * const server = await startDatabase();
 * const version = await withAdminClient(server.adminUrl, async (client) => (await client.query('SHOW server_version')).rows[0]);
 * ```
 */
export async function withAdminClient<T>(adminUrl: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database, cloned from `template` when given: copying a migrated template is much faster than
 * migrating each test's database. The names must be plain lower-case identifiers; others are refused.
 *
 * @example
 * ```ts
 * import { createDatabase, startDatabase, uniqueDatabaseName, withDatabase } from '@sqlbound/cli/testing';
 *
 * const server = await startDatabase();
 * const name = uniqueDatabaseName('test');
 * await createDatabase(server.adminUrl, name, 'app_template');
 * const url = withDatabase(server.adminUrl, name);
 * ```
 */
export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const from = template === undefined ? '' : ` TEMPLATE ${databaseName(template)}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${databaseName(name)}${from}`));
}

/**
 * Drops a database if it exists, `WITH (FORCE)`: connections a test left open (a pool not closed) do not block
 * the cleanup.
 *
 * @example
 * ```ts
 * import { after } from 'node:test';
 * import { createDatabase, dropDatabase, startDatabase, uniqueDatabaseName } from '@sqlbound/cli/testing';
 *
 * const server = await startDatabase();
 * const name = uniqueDatabaseName('test');
 * await createDatabase(server.adminUrl, name);
 * after(() => dropDatabase(server.adminUrl, name));
 * ```
 */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${databaseName(name)} WITH (FORCE)`));
}

/**
 * A database name unlikely to collide across processes and runs on one server: the prefix, the pid and random
 * characters, all valid for createDatabase.
 *
 * @example
 * ```ts
 * import { uniqueDatabaseName } from '@sqlbound/cli/testing';
 *
 * uniqueDatabaseName('test'); // e.g. 'test_41233_k3x9q0ab'
 * ```
 */
export function uniqueDatabaseName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}
