// Timeouts for PgBouncer transaction pooling, where startup parameters are rejected or dropped: store them on the
// role (ALTER ROLE ... SET), so every new session of that role starts with them. Run once per environment, as an
// administrator, e.g. from a migration or deploy step; sessions opened afterwards pick the values up.
import pg from 'pg';
import { quoteIdentifier } from './identifier.js';

/**
 * The server timeouts to store on a role, in milliseconds (0 = none); a setting left out is not touched.
 *
 * @example
 * ```ts
 * import type { RoleTimeouts } from 'sqlbound';
 *
 * const timeouts: RoleTimeouts = { statementTimeoutMs: 5000, idleInTransactionTimeoutMs: 60_000 };
 * ```
 */
export type RoleTimeouts = {
  statementTimeoutMs?: number;
  idleInTransactionTimeoutMs?: number;
  lockTimeoutMs?: number;
};

function milliseconds(name: string, value: number): string {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name}: expected an integer >= 0, got ${value}`);
  return String(value);
}

/**
 * The ALTER ROLE statements for these settings; `database` scopes them to one database (ALTER ROLE ... IN
 * DATABASE). For a migration file, when the timeouts should be versioned with the schema.
 *
 * @example
 * ```ts
 * import { roleTimeoutStatements } from 'sqlbound';
 *
 * roleTimeoutStatements('app', { statementTimeoutMs: 5000 }, 'app');
 * // ['ALTER ROLE "app" IN DATABASE "app" SET statement_timeout = 5000']
 * ```
 */
export function roleTimeoutStatements(role: string, settings: RoleTimeouts, database?: string): string[] {
  const target = `ALTER ROLE ${quoteIdentifier(role)}${database === undefined ? '' : ` IN DATABASE ${quoteIdentifier(database)}`}`;
  const statements: string[] = [];
  if (settings.statementTimeoutMs !== undefined) {
    statements.push(`${target} SET statement_timeout = ${milliseconds('statementTimeoutMs', settings.statementTimeoutMs)}`);
  }
  if (settings.idleInTransactionTimeoutMs !== undefined) {
    statements.push(
      `${target} SET idle_in_transaction_session_timeout = ${milliseconds('idleInTransactionTimeoutMs', settings.idleInTransactionTimeoutMs)}`,
    );
  }
  if (settings.lockTimeoutMs !== undefined) {
    statements.push(`${target} SET lock_timeout = ${milliseconds('lockTimeoutMs', settings.lockTimeoutMs)}`);
  }
  return statements;
}

/**
 * Applies the timeouts to `role` through an admin connection (a pg.Client/PoolClient, or a URL to connect with).
 * Sessions opened afterwards start with them, whichever client PgBouncer pairs them with.
 *
 * @example
 * ```ts
 * import { applyRoleTimeouts } from 'sqlbound';
 *
 * await applyRoleTimeouts(process.env.ADMIN_DATABASE_URL!, 'app', { statementTimeoutMs: 5000, idleInTransactionTimeoutMs: 60_000 }, {
 *   database: 'app',
 * });
 * ```
 */
export async function applyRoleTimeouts(
  admin: pg.ClientBase | string,
  role: string,
  settings: RoleTimeouts,
  options: { database?: string } = {},
): Promise<void> {
  const statements = roleTimeoutStatements(role, settings, options.database);
  if (typeof admin !== 'string') {
    for (const statement of statements) await admin.query(statement);
    return;
  }
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
