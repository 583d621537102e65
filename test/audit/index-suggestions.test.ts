// Issue 27's "applied to a scratch database": every CREATE INDEX the plan rule suggests in a rejecting golden case
// is valid SQL (libpg-query parses it as one schema-qualified CREATE INDEX with keys), is not an index the schema
// already has, and, applied to a database holding the case's schema, makes codegen accept the query, with the new
// index among those that find or order its rows.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadModule, parseSync } from 'libpg-query';
import postgres from 'postgres';
import { generateQueries } from '../../codegen/pipeline.js';
import { testDatabase } from '../support/database.js';

await loadModule();
const casesDir = fileURLToPath(new URL('../golden/cases/', import.meta.url));
const EXAMPLE_MARKER = /^-- uses: example schema\b/;

type Case = { name: string; schema: string; query: string; fixes: string[] };

/** Rejecting cases whose every fix is a CREATE INDEX: the ones an index alone must make pass. */
async function indexCases(): Promise<Case[]> {
  const cases: Case[] = [];
  for (const name of (await readdir(casesDir)).sort()) {
    const errorFile = join(casesDir, name, 'expected-error.txt');
    if (!existsSync(errorFile)) continue;
    const fixes = (await readFile(errorFile, 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('  fix: '))
      .map((line) => line.slice('  fix: '.length));
    if (fixes.length === 0 || !fixes.every((fix) => fix.startsWith('CREATE INDEX '))) continue;
    const schema = await readFile(join(casesDir, name, 'schema.sql'), 'utf8');
    cases.push({ name, schema, query: await readFile(join(casesDir, name, 'query.sql'), 'utf8'), fixes });
  }
  return cases;
}

const cases = await indexCases();

test('the rejecting golden cases suggest indexes of every access method the rule knows', () => {
  const methods = new Set(cases.flatMap((c) => c.fixes.map((fix) => /USING (\w+)/.exec(fix)?.[1] ?? 'btree')));
  assert.deepEqual([...methods].sort(), ['btree', 'gin', 'gist']);
  assert.ok(cases.length >= 8, `${cases.length} cases`);
});

/** An index's definition without its name, to compare a suggestion with what exists. */
const DEFINITIONS = `
  SELECT regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON ', '') AS definition
  FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE n.nspname = $1 AND t.relname = $2`;

for (const golden of cases) {
  test(`${golden.name}: each suggested index is valid, new, and makes the query pass`, async () => {
    const usesExample = EXAMPLE_MARKER.test(golden.schema);
    const db = await testDatabase({ migrated: usesExample });
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(golden.schema);
      const before = await generateQueries(sql, [{ file: 'query.sql', text: golden.query }]);
      assert.notDeepEqual(before.errors, [], 'the case is rejected before the index exists');
      for (const fix of golden.fixes) {
        const statements = parseSync(fix).stmts ?? [];
        assert.equal(statements.length, 1, fix);
        const node = statements[0]?.stmt;
        const index = node !== undefined && 'IndexStmt' in node ? node.IndexStmt : undefined;
        assert.ok(index !== undefined, `${fix} is a CREATE INDEX`);
        assert.ok(index.relation?.schemaname !== undefined && index.relation.schemaname !== '', `${fix} is schema-qualified`);
        assert.ok((index.indexParams ?? []).length > 0, `${fix} has keys`);
        const schema = index.relation.schemaname;
        const table = index.relation.relname ?? '';
        const existing = (await sql.unsafe<{ definition: string }[]>(DEFINITIONS, [schema, table])).map((row) => row.definition);
        await sql.unsafe(fix);
        const after = (await sql.unsafe<{ definition: string }[]>(DEFINITIONS, [schema, table])).map((row) => row.definition);
        const added = after.filter((definition) => !existing.includes(definition));
        assert.equal(added.length, 1, `${fix} adds an index the schema did not have (it had ${existing.join('; ')})`);
      }
      const generation = await generateQueries(sql, [{ file: 'query.sql', text: golden.query }]);
      assert.deepEqual(generation.errors, [], `${golden.name} passes with ${golden.fixes.join(' ')}`);
      const used = generation.queries.flatMap((query) =>
        query.plan.kind === 'checked' ? query.plan.statements.flatMap((proof) => [...proof.foundBy, proof.orderedBy ?? '']) : [],
      );
      // The newest indexes are the ones just created (OIDs only grow in a fresh database).
      const created = await sql.unsafe<{ name: string }[]>(
        `SELECT relname AS name FROM pg_class WHERE relkind = 'i' ORDER BY oid DESC LIMIT $1`,
        [golden.fixes.length],
      );
      assert.ok(
        created.some((index) => used.includes(index.name)),
        `the plan uses one of the new indexes ${created.map((index) => index.name).join(', ')}; it used ${used.join(', ')}`,
      );
    } finally {
      await sql.end();
    }
  });
}
