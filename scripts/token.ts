// npm run token -- <userId> [--ttl seconds]: prints a bearer token for the example API, signed with
// SQLBOUND_AUTH_SECRET (or npm start's public development secret when it is unset).
import { parseArgs } from 'node:util';
import { authSecretFromEnv, issueToken } from '../src/server/auth.js';

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { ttl: { type: 'string', default: String(24 * 60 * 60) } },
  });
  const [userId] = positionals;
  if (userId === undefined || positionals.length !== 1) throw new Error('usage: npm run token -- <userId> [--ttl seconds]');
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new Error(`--ttl must be a positive integer, got ${values.ttl}`);
  const secret = authSecretFromEnv({ allowDevDefault: true, warn: (message) => process.stderr.write(`warning: ${message}\n`) });
  process.stdout.write(`${issueToken(secret, userId, { ttlSeconds })}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
