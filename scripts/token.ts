// npm run token -- <userId> [--ttl seconds]: prints a bearer token for the example API, signed with
// SQLBOUND_AUTH_SECRET, or with npm start's public development secret where npm start would use it (secrets.ts).
import { parseArgs } from 'node:util';
import { issueToken } from '../src/server/auth.js';
import { DEV_AUTH_SECRET, resolveSecret } from '../src/server/secrets.js';

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { ttl: { type: 'string', default: String(24 * 60 * 60) } },
  });
  const [userId] = positionals;
  if (userId === undefined || positionals.length !== 1) throw new Error('usage: npm run token -- <userId> [--ttl seconds]');
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new Error(`--ttl must be a positive integer, got ${values.ttl}`);
  const deployment = {
    env: process.env,
    embeddedDatabase: (process.env.DATABASE_URL?.trim() ?? '') === '',
    host: process.env.HOST?.trim() || '127.0.0.1',
  };
  const secret = resolveSecret(deployment, 'SQLBOUND_AUTH_SECRET', DEV_AUTH_SECRET);
  process.stdout.write(`${issueToken(secret, userId, { ttlSeconds })}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
