// One connection made before a command starts work, so that a wrong URL fails with a message that names what to
// change (the variable or config key it came from, the host and port tried, the fix) instead of the driver's
// `connect ECONNREFUSED 127.0.0.1:55599` or, for `not-a-url`, `getaddrinfo ENOTFOUND base`. The URL's password is
// never printed.
import pg from 'pg';

/** A connection URL that does not connect: the message names where it came from, the host and port, and the fix. */
class ConnectionCheckError extends Error {
  override readonly name = 'ConnectionCheckError';
}

type Target = { host: string; port: string; user: string; database: string };

/** Where a URL points, or null when it is not a PostgreSQL URL at all. */
function target(url: string): Target | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') return null;
  const socket = parsed.searchParams.get('host');
  return {
    host: parsed.hostname === '' ? (socket ?? 'localhost') : parsed.hostname,
    port: parsed.port === '' ? (parsed.searchParams.get('port') ?? '5432') : parsed.port,
    user: decodeURIComponent(parsed.username) || 'the current OS user',
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username),
  };
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

function failure(error: unknown, where: Target, source: string, origin: string): { message: string; fix: string } {
  const at = `${where.host}:${where.port}`;
  const code = codeOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ECONNREFUSED':
      return {
        message: `cannot connect to PostgreSQL at ${at} (from ${origin}): connection refused, no server listens there`,
        fix: `start PostgreSQL on ${at}, or set ${source} to the URL of a server that runs`,
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return {
        message: `cannot connect to PostgreSQL at ${at} (from ${origin}): the host ${where.host} does not resolve`,
        fix: `correct the host in ${source}`,
      };
    case '28P01':
      return {
        message: `cannot connect to PostgreSQL at ${at} (from ${origin}): password authentication failed for user ${where.user}`,
        fix: `correct the user or the password in ${source}`,
      };
    case '3D000':
      return {
        message: `cannot connect to PostgreSQL at ${at} (from ${origin}): the database ${where.database} does not exist`,
        fix: `create it (CREATE DATABASE "${where.database}"), or name an existing database in ${source}`,
      };
    case '28000':
      return {
        message: `cannot connect to PostgreSQL at ${at} (from ${origin}): ${detail}`,
        fix: `use a role the server knows and lets in (pg_hba.conf) in ${source}`,
      };
    default:
      return {
        message: `cannot connect to PostgreSQL at ${at} (from ${origin}): ${detail}`,
        fix: `check that a PostgreSQL server answers at ${at}, or correct ${source}`,
      };
  }
}

/**
 * Connects once to `url` and disconnects. `source` is the variable the URL came from (`DATABASE_URL`), `via` the
 * config key that named that variable, if one did (`schema.urlEnv in sqlbound.config.json`). Throws a
 * ConnectionCheckError that says what to change.
 */
export async function checkConnection(url: string, source: string, via?: string): Promise<void> {
  const origin = via === undefined ? source : `${source}, named by ${via}`;
  const where = target(url);
  if (where === null) {
    throw new ConnectionCheckError(
      `${source}${via === undefined ? '' : ` (named by ${via})`} is not a PostgreSQL connection URL, so no server was tried\n  fix: set ${source} to a URL such as postgres://user:password@localhost:5432/database`,
    );
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'sqlbound' });
  // A server that drops the connection after it was made emits 'error' on the client: handled by connect's rejection.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    const { message, fix } = failure(error, where, source, origin);
    throw new ConnectionCheckError(`${message}\n  fix: ${fix}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
