// Property: a column codegen types non-null is never NULL. fast-check builds random queries over a small
// schema whose rows hold NULLs (./random-queries.ts); each goes through codegen's describe stage (the same
// Parse/Describe and analysis `npm run codegen` runs), then runs on PostgreSQL in a rolled-back transaction,
// and every value of every non-null column is checked. A failure shrinks to a small counterexample query.
// The seed is fixed and printed; PROPERTY_SEED and PROPERTY_RUNS change them (npm run test:nullability
// runs a longer search).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { loadModule } from 'libpg-query';
import postgres from 'postgres';
import { loadCatalog } from '../../codegen/analysis/catalog.js';
import { describeQuery } from '../../codegen/stages/describe.js';
import { schemaConnection } from '../../codegen/connection.js';
import { parseQueryFile } from '../../codegen/stages/parse.js';
import { testDatabase } from '../support/database.js';
import { PROPERTY_SCHEMA, statement } from './random-queries.js';

// PROPERTY_SEED=random picks a fresh seed (printed, so a failure can be replayed with it).
const seedSetting = process.env.PROPERTY_SEED ?? '20261213';
const seed = seedSetting === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(seedSetting);
const runs = Number(process.env.PROPERTY_RUNS ?? 2400);
const minimumValid = Number(process.env.PROPERTY_MIN_VALID ?? Math.min(2000, runs));

await loadModule();
const database = await testDatabase({ migrated: false });
const sql = postgres(database.url, { max: 1, onnotice: () => {} });
after(() => sql.end());
await sql.unsafe(PROPERTY_SCHEMA);
await sql.unsafe(`SET statement_timeout = '2s'`);
const catalog = await loadCatalog(sql);

type Outcome = { kind: 'rejected' } | { kind: 'failed' } | { kind: 'ran'; rows: number; columns: number; nonNull: number };

/** Runs `text` on a reserved connection; a write inside a transaction that is rolled back. */
async function run(text: string, write: boolean): Promise<(Buffer | null)[][]> {
  const connection = await sql.reserve();
  try {
    if (!write) return await connection.unsafe<(Buffer | null)[][]>(text).raw();
    await connection.unsafe('BEGIN');
    try {
      return await connection.unsafe<(Buffer | null)[][]>(text).raw();
    } finally {
      await connection.unsafe('ROLLBACK');
    }
  } finally {
    connection.release();
  }
}

/** Describes and runs one statement; throws (failing the property) when a non-null column holds NULL. */
async function check(text: string): Promise<Outcome> {
  const parsed = parseQueryFile('property.sql', `-- name: property :stream\n${text};\n`);
  const query = parsed.queries[0];
  if (query === undefined) return { kind: 'rejected' };
  const described = await describeQuery(schemaConnection(sql), catalog, query);
  // A generated statement PostgreSQL rejects (a type mismatch the generator allowed) proves nothing.
  if (described.kind === 'error') return { kind: 'rejected' };
  const { columns } = described.value.query;
  // Writes run in a transaction that is rolled back; reads as they are (fewer round trips).
  const writes = /\b(INSERT|UPDATE|DELETE|MERGE)\b/i.test(query.text);
  let rows: (Buffer | null)[][];
  try {
    // raw(): SQL NULL is null; a JSON null is the text 'null', a value.
    rows = await run(query.text, writes);
  } catch {
    return { kind: 'failed' };
  }
  // After a statement that failed mid-result, postgres.js can place the next result's rows from index 1,
  // leaving a hole at 0; every row is still there, so the holes are skipped.
  for (const row of Array.from(rows).filter((item) => Array.isArray(item))) {
    columns.forEach((column, index) => {
      if (!column.nullable && row[index] === null) {
        throw new Error(`column ${index + 1} (${column.name}) is typed non-null but was NULL in:\n${text}`);
      }
    });
  }
  return {
    kind: 'ran',
    rows: Array.from(rows).filter((item) => Array.isArray(item)).length,
    columns: columns.length,
    nonNull: columns.filter((column) => !column.nullable).length,
  };
}

test(
  `no column typed non-null is ever NULL (seed ${seed}, ${runs} random statements)`,
  { timeout: Math.max(600_000, runs * 100) },
  async () => {
    console.log(`# nullability property: seed ${seed}, ${runs} runs (PROPERTY_SEED / PROPERTY_RUNS to change)`);
    const tally = { rejected: 0, failed: 0, ran: 0, rows: 0, columns: 0, nonNull: 0 };
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(statement(), async (generated) => {
        const outcome = await check(generated.sql).catch((error: unknown) => {
          // fast-check reports the counterexample; the reason goes to the log here.
          console.log(`# ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`.replaceAll('\n', '\n# '));
          throw error;
        });
        if (outcome.kind === 'ran') {
          tally.ran += 1;
          tally.rows += outcome.rows;
          tally.columns += outcome.columns;
          tally.nonNull += outcome.nonNull;
        } else {
          tally[outcome.kind] += 1;
        }
      }),
      { seed, numRuns: runs, endOnFailure: false },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `# ${tally.ran} statements ran (${tally.rows} rows, ${tally.columns} columns, ${tally.nonNull} typed non-null), ` +
        `${tally.rejected} rejected by PostgreSQL, ${tally.failed} failed at run time, in ${seconds}s`,
    );
    assert.ok(tally.ran >= minimumValid, `only ${tally.ran} generated statements ran; the generator must produce at least ${minimumValid}`);
    // Not vacuous: a good share of the checked columns must be typed non-null, over rows that exist.
    assert.ok(tally.nonNull >= tally.columns * 0.25, `${tally.nonNull} of ${tally.columns} columns typed non-null`);
    assert.ok(tally.rows >= tally.ran, `${tally.rows} rows over ${tally.ran} statements`);
  },
);
