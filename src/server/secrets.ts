// The API's two secrets: the bearer-token key and the cursor key. The development defaults are printed in this
// source, so anyone can mint a token with them: they are accepted only where nobody else can reach the API or its
// data, that is an embedded database, a loopback listener and no NODE_ENV=production. Anywhere else a missing or
// short secret stops the start with one line that says which variable to set.

/** Public knowledge: a token signed with this proves nothing. */
export const DEV_AUTH_SECRET = 'sqlbound-dev-secret-do-not-use-in-production';
/** Public as well; a fixed value (not a random one) so dev cursors survive a restart and work on every worker. */
export const DEV_CURSOR_SECRET = 'sqlbound-dev-cursor-secret-do-not-use-in-production';

export const MIN_SECRET_LENGTH = 32;

export type Secrets = { authSecret: string; cursorSecret: string; development: boolean };

export type Deployment = {
  env: Readonly<Record<string, string | undefined>>;
  /** The API runs on the embedded database of this machine (no DATABASE_URL). */
  embeddedDatabase: boolean;
  /** The address the API listens on. */
  host: string;
};

export class SecretsError extends Error {
  override readonly name = 'SecretsError';
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Why the development secrets may not be used here, or null when they may. */
export function developmentRefusal(deployment: Deployment): string | null {
  if (deployment.env.NODE_ENV === 'production') return 'NODE_ENV=production';
  if (!deployment.embeddedDatabase) return 'DATABASE_URL is set';
  if (!isLoopback(deployment.host)) return `the API listens on ${deployment.host}, not a loopback address`;
  return null;
}

function configured(env: Deployment['env'], key: string): string | undefined {
  const value = env[key]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** One secret from the environment, or its development fallback where that is allowed; else a SecretsError. */
export function resolveSecret(deployment: Deployment, key: string, fallback: string): string {
  const refusal = developmentRefusal(deployment);
  const value = configured(deployment.env, key);
  if (value === undefined) {
    if (refusal === null) return fallback;
    throw new SecretsError(
      `${key} is not set, and the public development secret is refused because ${refusal}: set it to at least ${MIN_SECRET_LENGTH} random characters (openssl rand -base64 48)`,
    );
  }
  if (value.length < MIN_SECRET_LENGTH) {
    throw new SecretsError(`${key} is too short (${value.length} characters): use at least ${MIN_SECRET_LENGTH} random characters`);
  }
  if (refusal !== null && (value === DEV_AUTH_SECRET || value === DEV_CURSOR_SECRET)) {
    throw new SecretsError(`${key} is the public development secret, which is refused because ${refusal}`);
  }
  return value;
}

/**
 * The secrets for this deployment, or a SecretsError whose message is the one line to print. Every worker of a
 * cluster reads the same environment, so they share both secrets.
 */
export function resolveSecrets(deployment: Deployment): Secrets {
  const authSecret = resolveSecret(deployment, 'SQLBOUND_AUTH_SECRET', DEV_AUTH_SECRET);
  const cursorSecret = resolveSecret(deployment, 'SQLBOUND_CURSOR_SECRET', DEV_CURSOR_SECRET);
  return { authSecret, cursorSecret, development: authSecret === DEV_AUTH_SECRET || cursorSecret === DEV_CURSOR_SECRET };
}
