// npm run codegen [-- --check]: database -> migrate -> introspect -> (queries) -> emit.
import { parseArgs } from 'node:util';
import { createDatabase, dropDatabase, uniqueDatabaseName } from '../src/database/admin.js';
import { migrate } from '../src/database/migrate.js';
import { projectRoot } from '../src/database/paths.js';
import { runCommand, startDatabase, withDatabase } from '../src/database/server.js';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import postgres from 'postgres';
import { introspectTables } from './introspect.js';
import { formatError } from './model.js';
import { generateQueries, type QuerySource } from './pipeline.js';
import { staleFiles, writeFiles, type GeneratedFiles } from './output.js';

async function readQuerySources(directory: string): Promise<QuerySource[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => ({
      file: relative(projectRoot, join(directory, name)),
      text: await readFile(join(directory, name), 'utf8'),
    })),
  );
}

await runCommand(async () => {
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      // Print why the analysis left columns nullable (unmatched columns, unknown relations and expressions).
      debug: { type: 'boolean', default: false },
      // Another query folder, for trying queries out (and for the exit-code test); output still goes to generated/.
      queries: { type: 'string', default: join(projectRoot, 'sql', 'queries') },
    },
  });
  const started = performance.now();
  const server = await startDatabase({ kind: 'ephemeral' });
  // Always a fresh database, also on a DATABASE_URL server, so the types never depend on leftover state.
  const scratch = uniqueDatabaseName('sqlbound_codegen');
  await createDatabase(server.adminUrl, scratch);
  const files: GeneratedFiles = new Map();
  try {
    const url = withDatabase(server.adminUrl, scratch);
    await migrate(url);
    files.set('generated/db.ts', await introspectTables(url));
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const generation = await generateQueries(sql, await readQuerySources(resolve(values.queries)));
      if (values.debug) {
        for (const note of generation.notes) console.error(`${note.location.file}:${note.location.line} (query ${note.query}): note: ${note.message}`);
      }
      if (generation.errors.length > 0) {
        console.error(generation.errors.map(formatError).join('\n'));
        console.error(`codegen failed with ${generation.errors.length} error(s)`);
        return 1;
      }
      for (const [path, content] of generation.files) files.set(path, content);
    } finally {
      await sql.end();
    }
  } finally {
    await dropDatabase(server.adminUrl, scratch);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (values.check) {
    const stale = await staleFiles(projectRoot, files);
    if (stale.length > 0) {
      console.error(`generated/ is stale; run npm run codegen. Stale files:\n${stale.map((f) => `  ${f}`).join('\n')}`);
      return 1;
    }
    console.log(`generated/ is fresh (${files.size} files checked in ${seconds}s)`);
    return 0;
  }
  await writeFiles(projectRoot, files);
  console.log(`wrote ${files.size} files in ${seconds}s`);
  return 0;
});
