// npm run start:cluster: WEB_CONCURRENCY workers (default: one per core) of the API on one port, for a machine
// where a single Node process saturates before the database does. Each worker is an instance with its own
// pool (max 20 each). Needs DATABASE_URL: an embedded server belongs to one process.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { main } from './main.js';

const workers = Number(process.env.WEB_CONCURRENCY ?? availableParallelism());

if (cluster.isPrimary) {
  if (!process.env.DATABASE_URL) {
    process.stderr.write('start:cluster needs DATABASE_URL (npm start runs one process on an embedded database)\n');
    process.exit(1);
  }
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    process.stderr.write(`WEB_CONCURRENCY=${process.env.WEB_CONCURRENCY}: expected 1..64\n`);
    process.exit(1);
  }
  for (let i = 0; i < workers; i += 1) cluster.fork();
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  cluster.on('exit', (worker, code) => {
    if (!stopping) process.stderr.write(`worker ${worker.process.pid} exited with ${code}\n`);
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1);
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
