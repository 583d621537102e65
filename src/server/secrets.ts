// The API's two secrets: the bearer-token key and the cursor key. The development defaults are printed in this
// source, so anyone can mint a token with them: they are accepted only where nobody else can reach the API or its
// data, that is an embedded database, a loopback listener and a development NODE_ENV. Anywhere else a missing,
// short, guessable or shared secret stops the start with one line that says which variable to set and how.

/** Public knowledge: a token signed with this proves nothing. */
export const DEV_AUTH_SECRET = 'sqlbound-dev-secret-do-not-use-in-production';
/** Public as well; a fixed value (not a random one) so dev cursors survive a restart and work on every worker. */
export const DEV_CURSOR_SECRET = 'sqlbound-dev-cursor-secret-do-not-use-in-production';

export const MIN_SECRET_LENGTH = 32;
/**
 * The least a secret's estimated entropy may be. The estimate (length × Shannon entropy of the value's own
 * character frequencies) cannot see how a value was made, so it is a floor against obvious mistakes (32 × 'a',
 * a word repeated), not a proof of randomness: 32 random hex digits (128 bits) estimate below it and are refused
 * too, while 48 random bytes in base64 estimate above 300.
 */
const MIN_SECRET_BITS = 128;
/** How to make a good secret, appended to every refusal. */
export const MAKE_A_SECRET = `make one with: openssl rand -base64 48 (or node -e "console.log(require('node:crypto').randomBytes(48).toString('base64'))")`;

/**
 * The NODE_ENV values of a developer's machine or a test run. Every other value, whatever its spelling
 * (`Production`, `prod`, `staging`, ` development`), counts as production: a typo must fail closed.
 */
const DEVELOPMENT_ENVS: ReadonlySet<string | undefined> = new Set([undefined, '', 'development', 'test']);

export function isDevelopmentEnv(nodeEnv: string | undefined): boolean {
  return DEVELOPMENT_ENVS.has(nodeEnv);
}

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
  const nodeEnv = deployment.env.NODE_ENV;
  if (!isDevelopmentEnv(nodeEnv)) {
    // JSON quotes show stray spaces and keep a hostile value on one line.
    const shown = /^[\w.-]+$/.test(nodeEnv ?? '') ? nodeEnv : JSON.stringify(nodeEnv);
    return `NODE_ENV=${shown} (only unset, development or test count as development)`;
  }
  if (!deployment.embeddedDatabase) return 'DATABASE_URL is set';
  if (!isLoopback(deployment.host)) return `the API listens on ${deployment.host}, not a loopback address`;
  return null;
}

/** The shortest piece whose repetition makes up `value` (`value` itself when none does). */
function repeatedUnit(value: string): string {
  // A string is a repetition exactly when it occurs in itself doubled, short of the two ends.
  const at = (value + value).indexOf(value, 1);
  return at < value.length ? value.slice(0, at) : value;
}

/**
 * Length × the Shannon entropy of the value's own character frequencies, in bits; for a piece repeated
 * (`0123456789abcdef` twice), the piece's: repeating it adds nothing to guess.
 */
export function estimatedBits(value: string): number {
  const characters = [...repeatedUnit(value)];
  const counts = new Map<string, number>();
  for (const character of characters) counts.set(character, (counts.get(character) ?? 0) + 1);
  let perCharacter = 0;
  for (const count of counts.values()) {
    const p = count / characters.length;
    perCharacter -= p * Math.log2(p);
  }
  return perCharacter * characters.length;
}

/** Why `value` is unfit as the secret in `key`, as one line with the way to make a good one; null when it is fit. */
export function secretProblem(key: string, value: string): string | null {
  if (value.length < MIN_SECRET_LENGTH) {
    return `${key} is too short (${value.length} characters): use at least ${MIN_SECRET_LENGTH} random characters; ${MAKE_A_SECRET}`;
  }
  const bits = estimatedBits(value);
  if (bits < MIN_SECRET_BITS) {
    return `${key} is guessable (about ${Math.floor(bits)} bits by its character frequencies, at least ${MIN_SECRET_BITS} needed): ${MAKE_A_SECRET}`;
  }
  return null;
}

/**
 * Refuses one value used for two secrets: a leak of either (a cursor key in a heap dump, an admin token typed
 * into a browser) would then give away the other too. Null values (a secret that is off) are skipped.
 */
export function assertDistinctSecrets(secrets: Readonly<Record<string, string | null>>): void {
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(secrets)) {
    if (value === null) continue;
    const other = seen.get(value);
    if (other !== undefined) {
      throw new SecretsError(`${other} and ${key} hold the same value: give each its own; ${MAKE_A_SECRET}, once per secret`);
    }
    seen.set(value, key);
  }
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
    throw new SecretsError(`${key} is not set, and the public development secret is refused because ${refusal}: ${MAKE_A_SECRET}`);
  }
  const problem = secretProblem(key, value);
  if (problem !== null) throw new SecretsError(problem);
  if (refusal !== null && (value === DEV_AUTH_SECRET || value === DEV_CURSOR_SECRET)) {
    throw new SecretsError(`${key} is the public development secret, which is refused because ${refusal}: ${MAKE_A_SECRET}`);
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
  assertDistinctSecrets({ SQLBOUND_AUTH_SECRET: authSecret, SQLBOUND_CURSOR_SECRET: cursorSecret });
  return { authSecret, cursorSecret, development: authSecret === DEV_AUTH_SECRET || cursorSecret === DEV_CURSOR_SECRET };
}
