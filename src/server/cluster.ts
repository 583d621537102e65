// npm run start:cluster: WEB_CONCURRENCY workers (default: one per core) of the API on one port, for a machine
// where a single Node process saturates before the database does. Each worker is an instance with its own
// pool (max 20 each). Needs DATABASE_URL: an embedded server belongs to one process.
//
// The primary checks the secrets and prepares the database (migrations, demo data) once, then forks; every worker
// reads the same environment, so they share the auth and cursor secrets. SIGINT or SIGTERM to the primary is
// passed to every worker, each drains (see main.ts), and the primary exits 0 once they all have.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { pino } from 'pino';
import { main, prepareDatabase } from './main.js';
import { serveClusterMetrics } from './cluster-metrics.js';
import { relayCacheInvalidations } from './cluster-cache.js';
import { resolveSecrets } from './secrets.js';

function fail(message: string): never {
  process.stderr.write(`start:cluster: ${message}\n`);
  process.exit(1);
}

async function primary(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL?.trim();
  if (databaseUrl === undefined || databaseUrl === '') fail('needs DATABASE_URL (npm start runs one process on an embedded database)');
  const workers = Number(process.env.WEB_CONCURRENCY ?? availableParallelism());
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) fail(`WEB_CONCURRENCY=${process.env.WEB_CONCURRENCY}: expected 1..64`);
  try {
    resolveSecrets({ env: process.env, embeddedDatabase: false, host: process.env.HOST?.trim() || '127.0.0.1' });
    await prepareDatabase(databaseUrl, 200, pino({ name: 'sqlbound-cluster', level: process.env.SQLBOUND_LOG_LEVEL ?? 'info' }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  // One scrape of /metrics, whichever worker takes it, returns every worker's series (labelled worker).
  serveClusterMetrics();
  // Without Redis each worker caches in its own memory: a write on one drops the others' entries (cluster-cache.ts).
  relayCacheInvalidations();
  for (let i = 0; i < workers; i += 1) cluster.fork({ SQLBOUND_DATABASE_PREPARED: '1' });
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  cluster.on('exit', (worker, code) => {
    if (!stopping) process.stderr.write(`worker ${worker.process.pid} exited with ${code}\n`);
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1);
  });
}

if (cluster.isPrimary) {
  await primary();
} else {
  await main();
}
