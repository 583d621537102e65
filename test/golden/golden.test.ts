// Golden tests for the generator, sqlc-style: each folder under cases/ holds schema.sql, query.sql and either
// expected.ts (the emitted module, the tables each query reads and writes, and the analysis's notes) or
// expected-error.txt.
// schema.sql is the case's own schema, run in an empty database of its own. A case that needs the example's
// schema says so on its first line (`-- uses: example schema`) and may add to it (indexes, triggers).
// Rows a schema.sql inserts are data: every query without params also runs on them (rolled back), and no
// column typed non-null may come back NULL, so a case whose data holds the counterexample proves the type.
// UPDATE_GOLDEN=1 rewrites the expectations; review the diff before committing it. GOLDEN_ONLY=<regex> runs
// the cases whose names match (e.g. GOLDEN_ONLY=^keyset_). A schema.sql with a line `-- owner isolation` runs
// with owner isolation enforced (the default owner: users own rows by user_id) and expects each query's verdict.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, suite, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import type { QueryModel } from '../../codegen/manifest/manifest.js';
import { formatError } from '../../codegen/diagnostics.js';
import { DEFAULT_GENERATE_OPTIONS, generateQueries, type GenerateOptions, type QueryGeneration } from '../../codegen/pipeline.js';
import { DEFAULT_OWNER } from '../../codegen/stages/isolation.js';
import { testDatabase } from '../support/database.js';

const casesDir = fileURLToPath(new URL('./cases/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const cases = (await readdir(casesDir)).sort();
const EXAMPLE_MARKER = /^-- uses: example schema\b/;
const ISOLATION_MARKER = /^-- owner isolation\b/m;

const db = await testDatabase();
const sql = postgres(db.url, { max: 1, onnotice: () => {} });
after(() => sql.end());

test('there are at least 120 golden cases, each with its own schema.sql', () => {
  assert.ok(cases.length >= 120, `${cases.length} cases`);
  const missing = cases.filter((name) => !existsSync(join(casesDir, name, 'schema.sql')));
  assert.deepEqual(missing, []);
});

/** Runs each param-less query on the case's rows inside a rolled-back transaction; returns rows checked. */
async function runOnRows(caseSql: postgres.Sql, queries: QueryModel[]): Promise<number> {
  let checked = 0;
  const connection = await caseSql.reserve();
  try {
    for (const query of queries) {
      if (query.params.length > 0 || query.kind === 'exec') continue;
      await connection.unsafe('BEGIN');
      try {
        // raw(): SQL NULL is null, while a JSON null in a jsonb column is the text 'null' (a value, not NULL).
        for (const row of await connection.unsafe(query.text).raw()) {
          query.columns.forEach((column, index) => {
            if (!column.nullable)
              assert.notEqual(row[index], null, `${query.name}: column ${column.name} is typed non-null but PostgreSQL returned NULL`);
          });
          checked += 1;
        }
      } finally {
        await connection.unsafe('ROLLBACK');
      }
    }
  } finally {
    connection.release();
  }
  return checked;
}

/**
 * For each :list query, the output columns its two statements return, as the server describes them on the case's own
 * schema, against the fields its emitted item builder reads: the columns and includes, in the server's order, plus
 * the cursor columns and nothing else. A builder that read a name the server does not return would put undefined
 * in every item; one that missed a column would drop it.
 */
async function checkListItems(caseSql: postgres.Sql, queries: QueryModel[]): Promise<number> {
  let checked = 0;
  for (const query of queries) {
    if (query.statements.kind !== 'list') continue;
    const { first, after, cursorColumns } = query.statements;
    const itemFields = [...query.columns.map((column) => column.name), ...query.includes.map((include) => include.name)];
    for (const text of [first, after]) {
      const described = await caseSql.unsafe(text).describe();
      const output = described.columns.map((column) => column.name);
      assert.equal(new Set(output).size, output.length, `${query.name}: duplicate output columns ${output.join(', ')}`);
      assert.deepEqual(
        output.filter((name) => !cursorColumns.includes(name)),
        itemFields,
        `${query.name}: the item builder's fields against the statement's output`,
      );
      assert.deepEqual(
        output.filter((name) => cursorColumns.includes(name)),
        cursorColumns,
        `${query.name}: the cursor columns`,
      );
      checked += 1;
    }
  }
  return checked;
}

// Cases are independent (each has its own database or only reads the shared one): run a few at a time.
suite('golden cases', { concurrency: 4 }, () => {
  const only = process.env.GOLDEN_ONLY === undefined ? null : new RegExp(process.env.GOLDEN_ONLY);
  for (const name of cases.filter((candidate) => only === null || only.test(candidate))) {
    test(`golden: ${name}`, async () => {
      const dir = join(casesDir, name);
      const text = await readFile(join(dir, 'query.sql'), 'utf8');
      const schema = await readFile(join(dir, 'schema.sql'), 'utf8');
      const usesExample = EXAMPLE_MARKER.test(schema);
      const isolation = ISOLATION_MARKER.test(schema);
      const options: GenerateOptions = isolation ? { ...DEFAULT_GENERATE_OPTIONS, owner: DEFAULT_OWNER } : DEFAULT_GENERATE_OPTIONS;
      const body = schema.replace(EXAMPLE_MARKER, '').replace(/--.*$/gm, '').trim();
      let generation: QueryGeneration;
      if (usesExample && body === '') {
        generation = await generateQueries(sql, [{ file: 'query.sql', text }], options);
        if (generation.errors.length === 0) await checkListItems(sql, generation.queries);
      } else {
        const own = await testDatabase({ migrated: usesExample });
        const ownSql = postgres(own.url, { max: 1, onnotice: () => {} });
        try {
          await ownSql.unsafe(schema);
          generation = await generateQueries(ownSql, [{ file: 'query.sql', text }], options);
          if (!usesExample && generation.errors.length === 0) await runOnRows(ownSql, generation.queries);
          if (generation.errors.length === 0) await checkListItems(ownSql, generation.queries);
        } finally {
          await ownSql.end();
        }
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
        const tables = generation.queries.map(
          (q) => `// ${q.name} reads ${JSON.stringify(q.tables.read)} writes ${JSON.stringify(q.tables.written)}`,
        );
        // Notes say why a column was left nullable; they are part of the contract like the types.
        const notes = generation.notes.map((note) => `// note (${note.query}): ${note.message}`);
        const unplanned = generation.queries.flatMap((q) =>
          q.plan.kind === 'skipped' ? [`// ${q.name} plan not checked: ${q.plan.reason}`] : [],
        );
        // A sort left over found rows is part of the contract: the rule accepted it, the audit measures it.
        const sorts = generation.queries.flatMap((q) =>
          q.plan.kind === 'checked'
            ? q.plan.statements.flatMap((proof) =>
                proof.sorts.map((sort) => {
                  const how = [
                    ...(proof.foundBy.length > 0 ? [`rows found by ${proof.foundBy.join(', ')}`] : []),
                    ...(proof.orderedBy === null ? [] : [`in groups ordered by ${proof.orderedBy}`]),
                  ];
                  return `// ${q.name} sorts ${how.length > 0 ? how.join(', ') : 'rows read whole (allowed)'}: ${sort.keys.join(', ')}`;
                }),
              )
            : [],
        );
        const verdicts = isolation ? generation.queries.map((q) => `// ${q.name} isolation ${JSON.stringify(q.isolation)}`) : [];
        actual = `${generation.files.get('query.ts') ?? ''}\n${[...tables, ...unplanned, ...new Set(sorts), ...notes, ...verdicts].join('\n')}\n`;
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
});
