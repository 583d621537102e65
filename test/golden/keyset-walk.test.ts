// The keyset golden cases (cases/keyset_*) walked on their own rows. Each query's first-page and next-page
// statements are composed exactly as codegen composes them, the check stage left out, and walked with limits
// 1, 2 and 3. A case codegen accepts (expected.ts) must see every row exactly once at every limit. A case
// codegen rejects (expected-error.txt) must lose or repeat a row at some limit: the rejection is not spurious,
// and the case's data holds the counterexample. A case whose schema.sql says `-- walk search_path: <schema>` is
// walked with that search_path (one that finds none of its types).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadModule } from 'libpg-query';
import postgres from 'postgres';
import { loadCatalog } from '../../codegen/analysis/catalog.js';
import { describeQuery } from '../../codegen/stages/describe.js';
import { schemaConnection } from '../../codegen/connection.js';
import { composeStatements } from '../../codegen/stages/compose.js';
import { parseQueryFile } from '../../codegen/stages/parse.js';
import { testDatabase } from '../support/database.js';

const casesDir = fileURLToPath(new URL('./cases/', import.meta.url));
const cases = (await readdir(casesDir)).filter((name) => name.startsWith('keyset_')).sort();
await loadModule();

type Row = Record<string, unknown>;

/** Each row as text without the cursor columns, counted: a multiset to compare walks with. */
function counted(rows: readonly Row[], cursorColumns: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const key = JSON.stringify(Object.entries(row).filter(([name]) => !cursorColumns.includes(name)));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function walk(sql: postgres.Sql, first: string, after: string, cursorColumns: string[], limit: number): Promise<Row[]> {
  const seen: Row[] = [];
  // One extra row says whether there is a next page, as the runtime does.
  let rows: Row[] = [...(await sql.unsafe<Row[]>(first, [limit + 1]))];
  for (let pages = 0; pages < 100; pages++) {
    const page = rows.slice(0, limit);
    seen.push(...page);
    const last = page.at(-1);
    if (rows.length <= limit || last === undefined) return seen;
    const cursor = cursorColumns.map((column) => String(last[column]));
    rows = [...(await sql.unsafe<Row[]>(after, [...cursor, limit + 1]))];
  }
  throw new Error('the walk did not end within 100 pages');
}

test('there is a keyset case for each join shape', () => {
  for (const shape of ['one_to_many', 'many_to_one', 'left_join', 'right_join', 'self_join', 'from_list']) {
    assert.ok(
      cases.some((name) => name.includes(shape)),
      shape,
    );
  }
});

suite('keyset cases walked on their rows', { concurrency: 1 }, () => {
  for (const name of cases) {
    test(name, async () => {
      const dir = join(casesDir, name);
      const accepted = existsSync(join(dir, 'expected.ts'));
      assert.ok(accepted || existsSync(join(dir, 'expected-error.txt')), 'the case has an expectation');
      const database = await testDatabase({ migrated: false });
      const sql = postgres(database.url, { max: 1, onnotice: () => {} });
      try {
        const schema = await readFile(join(dir, 'schema.sql'), 'utf8');
        await sql.unsafe(schema);
        const [query] = parseQueryFile('query.sql', await readFile(join(dir, 'query.sql'), 'utf8')).queries;
        assert.ok(query !== undefined && query.kind === 'list' && query.params.length === 0, 'one param-less :list query');
        const described = await describeQuery(schemaConnection(sql), await loadCatalog(sql), query);
        assert.ok(described.kind === 'ok', 'the query describes');
        const composed = composeStatements(described.value.query, []);
        assert.ok(composed.kind === 'ok', 'the statements compose');
        const { final } = composed.value;
        assert.equal(final.kind, 'list');
        if (final.kind !== 'list') return;
        const all = counted(await sql.unsafe<Row[]>(query.text), []);
        // A case may walk on a connection whose search_path reaches none of its types: the composed statements must
        // name every type they cast to by its schema.
        const walkPath = /^-- walk search_path: (\w+)$/m.exec(schema)?.[1];
        if (walkPath !== undefined) await sql.unsafe(`SET search_path TO ${walkPath}`);
        const total = [...all.values()].reduce((sum, count) => sum + count, 0);
        assert.ok(total >= 5, `${name}: the data holds enough rows to page (${total})`);
        const faults: string[] = [];
        for (const limit of [1, 2, 3]) {
          const seen = await walk(sql, final.first, final.after, final.cursorColumns, limit);
          const walked = counted(seen, final.cursorColumns);
          const wrong = [...new Set([...all.keys(), ...walked.keys()])].filter((row) => all.get(row) !== walked.get(row));
          if (wrong.length > 0)
            faults.push(`limit ${limit}: ${seen.length} of ${total} rows, ${wrong.length} rows seen a wrong number of times`);
        }
        if (accepted) assert.deepEqual(faults, [], `${name} is accepted, so every walk sees every row once`);
        else assert.notDeepEqual(faults, [], `${name} is rejected, so its data should show a walk losing or repeating rows`);
      } finally {
        await sql.end();
      }
    });
  }
});
