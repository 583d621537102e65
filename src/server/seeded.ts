// "A database seeded with N users": reuse it when it already is one, otherwise (re)seed it, with progress.
// Shared by npm run seed, the audit, the load test and the benchmarks, so the foreign-database guard lives once.
import { migrate } from '@sqlbound/cli/testing';
import { withAdminClient } from '@sqlbound/cli/testing';
import { resetData, seed, type SeedProgress, type SeedSummary } from './seed.js';
import type { DatabaseServer } from '@sqlbound/cli/testing';
import { schemaDir } from './paths.js';
import type pg from 'pg';

export function formatSeedProgress(label: string, { stage, done, total, elapsedMs }: SeedProgress): string {
  const percent = ((done / total) * 100).toFixed(0).padStart(3);
  return `[${label}] seed ${percent}% ${stage}: ${done}/${total} users, ${(elapsedMs / 1000).toFixed(1)}s`;
}

async function userCount(url: string): Promise<number> {
  return withAdminClient(url, async (client) =>
    Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]?.n ?? 0),
  );
}

export async function resetDatabase(url: string): Promise<void> {
  await withAdminClient(url, (client) => resetData(client));
}

export type EnsureSeededOptions = { users: number; seed: number; label: string; log: (line: string) => void };

/**
 * Migrates, then reuses a database that already holds `users` users or reseeds it. Only an embedded server's
 * own data directory is ever wiped: DATABASE_URL may point at anything.
 */
export async function ensureSeeded(server: DatabaseServer, options: EnsureSeededOptions): Promise<SeedSummary | null> {
  const { users, label, log } = options;
  await migrate(server.url, schemaDir);
  const existing = await userCount(server.url);
  if (existing === users) {
    log(`[${label}] reusing the seeded database (${existing} users)`);
    return null;
  }
  if (existing > 0) {
    if (!server.embedded) {
      throw new Error(`DATABASE_URL holds ${existing} users, not ${users}: use an empty database, or one seeded with ${users} users`);
    }
    log(`[${label}] the data directory holds ${existing} users, not ${users}: reseeding`);
    await resetDatabase(server.url);
  }
  const summary = await seed(server.url, {
    users,
    seed: options.seed,
    onProgress: (progress) => log(formatSeedProgress(label, progress)),
  });
  log(
    `[${label}] seeded ${summary.users} users, ${summary.exposures} exposures, ${summary.alerts} alerts, ` +
      `${summary.scans} scans in ${(summary.elapsedMs / 1000).toFixed(1)}s`,
  );
  await settleFreshData(server.url, label, log);
  return summary;
}

/**
 * A fresh seed leaves every page unfrozen, without visibility-map bits or statistics, and gigabytes of dirty
 * buffers: the first measurement after it paid autovacuum, hint-bit writes and a checkpoint that later runs did
 * not. Doing that work here, once, makes the first run on a fresh clone measure what later runs measure.
 */
async function settleFreshData(url: string, label: string, log: (line: string) => void): Promise<void> {
  await withAdminClient(url, async (client) => {
    let started = performance.now();
    log(`[${label}] VACUUM (FREEZE, ANALYZE) of the fresh data...`);
    await client.query('VACUUM (FREEZE, ANALYZE)');
    log(`[${label}] vacuumed in ${((performance.now() - started) / 1000).toFixed(1)}s; CHECKPOINT...`);
    started = performance.now();
    const outcome = await checkpoint(client);
    log(
      outcome === 'done'
        ? `[${label}] checkpoint done in ${((performance.now() - started) / 1000).toFixed(1)}s`
        : `[${label}] CHECKPOINT refused (the role needs pg_checkpoint): skipped`,
    );
  });
}

/** CHECKPOINT needs superuser or pg_checkpoint: on a DATABASE_URL without either, say so and go on. */
export async function checkpoint(client: pg.Client): Promise<'done' | 'refused'> {
  try {
    await client.query('CHECKPOINT');
    return 'done';
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === '42501') return 'refused';
    throw error;
  }
}
