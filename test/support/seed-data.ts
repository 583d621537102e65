// Small, explicit fixtures for query tests (the seeder covers volume; these cover exact shapes).
import type pg from 'pg';

/** One connection for the duration of `body` (the same helper the database tooling uses). */
export { withAdminClient as withClient } from '../../codegen/database/admin.js';

export async function insertUser(client: pg.ClientBase, email: string): Promise<string> {
  const result = await client.query<{ id: string }>('INSERT INTO users (email, full_name) VALUES ($1, $2) RETURNING id', [
    email,
    `Name of ${email}`,
  ]);
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error('insert returned no id');
  return id;
}

export async function insertBroker(client: pg.ClientBase, name: string): Promise<string> {
  const result = await client.query<{ id: string }>(
    "INSERT INTO data_brokers (name, domain, category) VALUES ($1, $1 || '.example', 'people-search') RETURNING id",
    [name],
  );
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error('insert returned no id');
  return id;
}
