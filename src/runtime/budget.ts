// The connection budget of a deployment: N API instances, each with a pool of `poolMax`, through PgBouncer to one
// primary, and each with a pool per replica. A configuration that could open more connections than a tier allows
// fails here, at start, naming the number to change, instead of under load with "too many connections".

/**
 * A deployment's connection sizes on every tier, as the operator configures them; checkConnectionBudget
 * multiplies them out.
 *
 * @example
 * ```ts
 * import type { ConnectionBudgetInput } from 'sqlbound';
 *
 * const input: ConnectionBudgetInput = {
 *   instances: 4,
 *   poolMax: 20,
 *   pgbouncer: { maxClientConn: 1000, defaultPoolSize: 20, reservePoolSize: 0, pools: 1, maxDbConnections: 0 },
 *   primary: { maxConnections: 100, superuserReserved: 3, reserved: 0 },
 *   replicas: [{ name: 'replica1', poolMax: 10, maxConnections: 100, superuserReserved: 3, reserved: 0 }],
 * };
 * ```
 */
export type ConnectionBudgetInput = {
  instances: number;
  /** Each instance's pool size towards PgBouncer (createDb's `max`). */
  poolMax: number;
  pgbouncer: {
    maxClientConn: number;
    /** Server connections per (database, user) pool. */
    defaultPoolSize: number;
    reservePoolSize: number;
    /** (database, user) pairs the instances use: 1 for one application role on one database. */
    pools: number;
    /** 0 = no per-database cap. */
    maxDbConnections: number;
  };
  primary: ServerLimits;
  /** Each replica's limits, and each instance's pool size towards it (plus one monitor connection). */
  replicas: readonly (ServerLimits & { name: string; poolMax: number })[];
  /** Connections to the primary outside PgBouncer (an admin, a migration job...). Default 0. */
  otherPrimaryConnections?: number;
};

/**
 * `max_connections` minus the slots only superusers (or pg_use_reserved_connections) may take.
 *
 * @example
 * ```ts
 * import type { ServerLimits } from 'sqlbound';
 *
 * const limits: ServerLimits = { maxConnections: 100, superuserReserved: 3, reserved: 0 }; // 97 usable by the application
 * ```
 */
export type ServerLimits = { maxConnections: number; superuserReserved: number; reserved: number };

/**
 * One tier of the budget. `change` is a ready-made message naming the setting to lower or raise, so a failed
 * check can be reported as is.
 *
 * @example
 * ```ts
 * import { checkConnectionBudget, type BudgetLine, type ConnectionBudgetInput } from 'sqlbound';
 *
 * declare const input: ConnectionBudgetInput;
 * const over: BudgetLine[] = checkConnectionBudget(input).lines.filter((line) => !line.fits);
 * for (const line of over) console.error(`${line.tier}: ${line.demand} > ${line.limit}. ${line.change}`);
 * ```
 */
export type BudgetLine = { tier: string; demand: number; limit: number; fits: boolean; change: string };

/**
 * The result of checkConnectionBudget: every tier is listed, also those that fit, so a start-up log can show the
 * headroom.
 *
 * @example
 * ```ts
 * import { checkConnectionBudget, type ConnectionBudget, type ConnectionBudgetInput } from 'sqlbound';
 *
 * declare const input: ConnectionBudgetInput;
 * const budget: ConnectionBudget = checkConnectionBudget(input);
 * for (const line of budget.lines) console.log(`${line.tier}: ${line.demand}/${line.limit}`);
 * ```
 */
export type ConnectionBudget = { fits: boolean; lines: BudgetLine[] };

const usable = (limits: ServerLimits) => limits.maxConnections - limits.superuserReserved - limits.reserved;

/**
 * Checks every tier of the budget; `fits` is false when any could be exceeded.
 *
 * @example
 * ```ts
 * import { checkConnectionBudget } from 'sqlbound';
 *
 * const budget = checkConnectionBudget({ instances: 4, poolMax: 20, pgbouncer: { maxClientConn: 1000, defaultPoolSize: 20,
 *   reservePoolSize: 0, pools: 1, maxDbConnections: 0 }, primary: { maxConnections: 100, superuserReserved: 3, reserved: 0 }, replicas: [] });
 * if (!budget.fits) throw new Error(budget.lines.filter((line) => !line.fits).map((line) => line.change).join('; '));
 * ```
 */
export function checkConnectionBudget(input: ConnectionBudgetInput): ConnectionBudget {
  const { instances, poolMax, pgbouncer, primary } = input;
  const lines: BudgetLine[] = [];
  const clients = instances * poolMax;
  lines.push({
    tier: 'API instances -> PgBouncer',
    demand: clients,
    limit: pgbouncer.maxClientConn,
    fits: clients <= pgbouncer.maxClientConn,
    change: `${instances} instances x pool max ${poolMax} = ${clients} client connections exceed PgBouncer's max_client_conn ${pgbouncer.maxClientConn}: lower the instances (WEB_CONCURRENCY) or the pool max (SQLBOUND_POOL_MAX), or raise max_client_conn`,
  });
  const perPool = pgbouncer.defaultPoolSize + pgbouncer.reservePoolSize;
  const uncapped = perPool * pgbouncer.pools;
  const servers = pgbouncer.maxDbConnections > 0 ? Math.min(uncapped, pgbouncer.maxDbConnections) : uncapped;
  const primaryDemand = servers + (input.otherPrimaryConnections ?? 0);
  const primaryLimit = usable(primary);
  lines.push({
    tier: 'PgBouncer -> primary',
    demand: primaryDemand,
    limit: primaryLimit,
    fits: primaryDemand <= primaryLimit,
    change: `PgBouncer may open ${servers} server connections ((default_pool_size ${pgbouncer.defaultPoolSize} + reserve_pool_size ${pgbouncer.reservePoolSize}) x ${pgbouncer.pools} pool(s)${pgbouncer.maxDbConnections > 0 ? `, capped by max_db_connections ${pgbouncer.maxDbConnections}` : ''})${input.otherPrimaryConnections ? ` plus ${input.otherPrimaryConnections} direct` : ''}, over the primary's max_connections ${primary.maxConnections} minus ${primary.superuserReserved + primary.reserved} reserved = ${primaryLimit}: lower default_pool_size (SQLBOUND_PGBOUNCER_POOL_SIZE) or raise max_connections`,
  });
  for (const replica of input.replicas) {
    const demand = instances * (replica.poolMax + 1);
    const limit = usable(replica);
    lines.push({
      tier: `API instances -> ${replica.name}`,
      demand,
      limit,
      fits: demand <= limit,
      change: `${instances} instances x (replica pool max ${replica.poolMax} + 1 monitor) = ${demand} connections exceed ${replica.name}'s max_connections ${replica.maxConnections} minus ${replica.superuserReserved + replica.reserved} reserved = ${limit}: lower the instances (WEB_CONCURRENCY) or the pool max (SQLBOUND_POOL_MAX), or raise max_connections on the replica (and on the primary: a standby needs at least the primary's)`,
    });
  }
  return { fits: lines.every((line) => line.fits), lines };
}

/**
 * Reads a server's limits (`SHOW`, one round trip): pass a function that runs one SQL text and returns its rows,
 * so any client (pg, a pool, a Kysely raw query) can be used.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { serverLimits } from 'sqlbound';
 *
 * const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
 * await client.connect();
 * const primary = await serverLimits(async (text) => (await client.query(text)).rows);
 * await client.end();
 * ```
 */
export async function serverLimits(query: (text: string) => Promise<Record<string, unknown>[]>): Promise<ServerLimits> {
  const rows = await query(
    "SELECT current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS superuser, coalesce(current_setting('reserved_connections', true), '0')::int AS reserved",
  );
  const row = rows[0] ?? {};
  return { maxConnections: Number(row.max), superuserReserved: Number(row.superuser), reserved: Number(row.reserved) };
}
