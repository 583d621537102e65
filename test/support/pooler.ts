// The PgBouncer a `scripts/test.ts --via-pgbouncer` run puts in front of the server (no node:test import here:
// fixture processes read it too).

/** PgBouncer's URL (database `postgres`) during a `--via-pgbouncer` run, or undefined. */
export const poolerUrl: string | undefined = process.env.SQLBOUND_TEST_POOLER_URL || undefined;

/** createDb options a test's app needs to work through the run's pooler: no startup parameters there. */
export function poolerOptions(): { timeoutsVia: 'none' | 'startup' } {
  return { timeoutsVia: poolerUrl === undefined ? 'startup' : 'none' };
}
