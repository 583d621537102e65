// npm run codegen [-- --check]: database -> migrate -> introspect -> (queries) -> emit.
import { parseArgs } from 'node:util';
import { createDatabase, dropDatabase, uniqueDatabaseName } from '../src/database/admin.js';
import { migrate } from '../src/database/migrate.js';
import { projectRoot } from '../src/database/paths.js';
import { runCommand, startDatabase, withDatabase } from '../src/database/server.js';
import { introspectTables } from './introspect.js';
import { staleFiles, writeFiles, type GeneratedFiles } from './output.js';

await runCommand(async () => {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
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
