// A set-returning function in a scalar subquery's ORDER BY or DISTINCT ON multiplies its rows or removes them all
// (generate_series(1, 0) returns none): such a subquery is not "exactly one row", so its column is nullable. Checked
// at the describe stage (the plan rule, a later stage, has its own say on sorts) and against what PostgreSQL returns.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { loadModule } from 'libpg-query';
import postgres from 'postgres';
import { loadCatalog } from '../../codegen/analysis/catalog.js';
import { schemaConnection } from '../../codegen/connection.js';
import { describeQuery } from '../../codegen/stages/describe.js';
import { parseQueryFile } from '../../codegen/stages/parse.js';
import { testDatabase } from '../support/database.js';

await loadModule();
const database = await testDatabase({ migrated: false });
const sql = postgres(database.url, { max: 1, onnotice: () => {} });
after(() => sql.end());

const TEXT = `-- name: counts :one
SELECT
  (SELECT 1) AS plain,
  (SELECT 1 ORDER BY generate_series(1, 0)) AS ordered_by_srf,
  (SELECT DISTINCT ON (generate_series(1, 0)) 1) AS distinct_on_srf;`;

test('a scalar subquery with a set-returning call in ORDER BY or DISTINCT ON is nullable, and is NULL here', async () => {
  const [query] = parseQueryFile('counts.sql', TEXT).queries;
  assert.ok(query !== undefined);
  const described = await describeQuery(schemaConnection(sql), await loadCatalog(sql), query);
  assert.ok(described.kind === 'ok');
  assert.deepEqual(
    described.value.query.columns.map((column) => [column.name, column.nullable]),
    [
      ['plain', false],
      ['ordered_by_srf', true],
      ['distinct_on_srf', true],
    ],
  );
  const [row] = await sql.unsafe<{ plain: number; ordered_by_srf: number | null; distinct_on_srf: number | null }[]>(query.text);
  assert.deepEqual(row, { plain: 1, ordered_by_srf: null, distinct_on_srf: null });
});
