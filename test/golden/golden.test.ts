// Golden tests for the generator, sqlc-style: each folder under cases/ holds query.sql and either
// expected.ts (the emitted module plus the tables each query reads and writes) or expected-error.txt.
// A case may add schema.sql (extra indexes, tables): it then runs in a database of its own.
// UPDATE_GOLDEN=1 rewrites the expectations; review the diff before committing it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { formatError } from '../../codegen/model.js';
import { generateQueries } from '../../codegen/pipeline.js';
import { testDatabase } from '../support/database.js';

const casesDir = fileURLToPath(new URL('./cases/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const cases = (await readdir(casesDir)).sort();

const db = await testDatabase();
const sql = postgres(db.url, { max: 1, onnotice: () => {} });
after(() => sql.end());

test('there are at least 30 golden cases', () => {
  assert.ok(cases.length >= 30, `${cases.length} cases`);
});

for (const name of cases) {
  test(`golden: ${name}`, async () => {
    const dir = join(casesDir, name);
    const text = await readFile(join(dir, 'query.sql'), 'utf8');
    const schemaFile = join(dir, 'schema.sql');
    let generation;
    if (existsSync(schemaFile)) {
      const own = await testDatabase();
      const ownSql = postgres(own.url, { max: 1, onnotice: () => {} });
      try {
        await ownSql.unsafe(await readFile(schemaFile, 'utf8'));
        generation = await generateQueries(ownSql, [{ file: 'query.sql', text }]);
      } finally {
        await ownSql.end();
      }
    } else {
      generation = await generateQueries(sql, [{ file: 'query.sql', text }]);
    }
    const errorFile = join(dir, 'expected-error.txt');
    const outputFile = join(dir, 'expected.ts');
    let actualFile: string;
    let actual: string;
    if (generation.errors.length > 0) {
      actualFile = errorFile;
      actual = `${generation.errors.map(formatError).join('\n')}\n`;
    } else {
      actualFile = outputFile;
      const tables = generation.queries.map((q) => `// ${q.name} reads ${JSON.stringify(q.tables.read)} writes ${JSON.stringify(q.tables.written)}`);
      // Notes say why a column was left nullable; they are part of the contract like the types.
      const notes = generation.notes.map((note) => `// note (${note.query}): ${note.message}`);
      actual = `${generation.files.get('generated/query.ts') ?? ''}\n${[...tables, ...notes].join('\n')}\n`;
    }
    if (update) {
      await rm(errorFile, { force: true });
      await rm(outputFile, { force: true });
      await writeFile(actualFile, actual);
      return;
    }
    assert.ok(existsSync(actualFile), `${name}: expected ${actualFile === errorFile ? 'success' : 'an error'}, got:\n${actual}`);
    assert.equal(actual, await readFile(actualFile, 'utf8'));
  });
}
