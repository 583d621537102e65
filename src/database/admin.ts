// Database-level admin: create, clone and drop databases on a server (used by tests and codegen).
import pg from 'pg';
import { quoteIdentifier } from '../runtime/identifier.js';

/** Test and scratch databases get plain names; anything else is refused rather than quoted. */
function databaseName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`refusing unusual database name ${JSON.stringify(name)}`);
  return quoteIdentifier(name);
}

export async function withAdminClient<T>(adminUrl: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const from = template === undefined ? '' : ` TEMPLATE ${databaseName(template)}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${databaseName(name)}${from}`));
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdminClient(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${databaseName(name)} WITH (FORCE)`),
  );
}

export function uniqueDatabaseName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}
