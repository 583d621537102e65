// npm run seed -- --users N [--seed S] [--reset]: deterministic demo or production-sized data.
import { parseArgs } from 'node:util';
import { migrate } from '../codegen/database/migrate.js';
import { persistentDataDir } from '../src/server/paths.js';
import { seed } from '../src/server/seed.js';
import { formatSeedProgress, resetDatabase } from '../src/server/seeded.js';
import { runCommand, startDatabase } from '../codegen/database/server.js';
import { schemaDir } from '../src/server/paths.js';

await runCommand(async () => {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '1' },
      reset: { type: 'boolean', default: false },
    },
  });
  const users = Number(values.users);
  const seedValue = Number(values.seed);
  const server = await startDatabase({ kind: 'persistent', dataDir: persistentDataDir });
  await migrate(server.url, schemaDir);
  if (values.reset) await resetDatabase(server.url);
  const summary = await seed(server.url, {
    users,
    seed: seedValue,
    onProgress: (progress) => process.stderr.write(`${process.stderr.isTTY ? '\r' : '\n'}${formatSeedProgress('seed', progress)}   `),
  });
  process.stderr.write('\n');
  console.log(
    `seeded ${summary.users} users, ${summary.brokers} brokers, ${summary.exposures} exposures, ` +
      `${summary.alerts} alerts, ${summary.scans} scans in ${(summary.elapsedMs / 1000).toFixed(1)}s (seed ${seedValue})`,
  );
});
