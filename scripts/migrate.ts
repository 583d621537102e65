// npm run migrate: applies pending migrations to DATABASE_URL or the persistent embedded server in .data/.
import { migrate } from '../codegen/database/migrate.js';
import { persistentDataDir } from '../src/server/paths.js';
import { runCommand, startDatabase } from '../codegen/database/server.js';
import { schemaDir } from '../src/server/paths.js';

await runCommand(async () => {
  const server = await startDatabase({ kind: 'persistent', dataDir: persistentDataDir });
  const { applied } = await migrate(server.url, schemaDir);
  console.log(applied.length === 0 ? 'schema is up to date' : `applied: ${applied.join(', ')}`);
});
