// The parse tree's types (@pgsql/types) must describe the tree libpg-query returns: same PostgreSQL major
// version, and the fields the analysis reads where the types say they are.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { loadModule, parseSync } from 'libpg-query';
import { nodeOf } from '../../codegen/analysis/tree.js';

await loadModule();
const require = createRequire(import.meta.url);

async function major(name: string): Promise<number> {
  const manifest: unknown = JSON.parse(await readFile(require.resolve(`${name}/package.json`), 'utf8'));
  const version: unknown = typeof manifest === 'object' && manifest !== null ? Reflect.get(manifest, 'version') : undefined;
  return Number(String(version).split('.')[0]);
}

test('@pgsql/types and libpg-query describe the same PostgreSQL major version as the parser returns', async () => {
  const tree = parseSync('SELECT 1');
  assert.equal(Math.floor((tree.version ?? 0) / 10000), 18);
  assert.equal(await major('@pgsql/types'), 18);
  assert.equal(await major('libpg-query'), 18);
});

test('the fields the analysis reads are where @pgsql/types puts them', () => {
  const update = nodeOf(parseSync('UPDATE t SET a = 1 WHERE b RETURNING old.a, new.*').stmts?.[0]?.stmt, 'UpdateStmt');
  assert.ok(update !== null);
  // PostgreSQL 18 moved RETURNING under returningClause (it was returningList).
  assert.equal(update.returningClause?.exprs?.length, 2);
  assert.equal(Reflect.get(update, 'returningList'), undefined);
  const select = nodeOf(parseSync('SELECT x FROM t AS y(a) JOIN u USING (id) GROUP BY ROLLUP (a) LIMIT 0').stmts?.[0]?.stmt, 'SelectStmt');
  assert.ok(select !== null);
  assert.equal(nodeOf(select.groupClause?.[0], 'GroupingSet')?.kind, 'GROUPING_SET_ROLLUP');
  const join = nodeOf(select.fromClause?.[0], 'JoinExpr');
  assert.equal(nodeOf(join?.larg, 'RangeVar')?.alias?.colnames?.length, 1);
  assert.equal(join?.usingClause?.length, 1);
  // LIMIT 0: protobuf leaves the zero out, so the constant is an empty Integer.
  assert.deepEqual(nodeOf(select.limitCount, 'A_Const')?.ival, {});
});
