// The performance page's admin token: SQLBOUND_ADMIN_TOKEN, under the rules of ../secrets.ts. The public
// development token is accepted only where the development secrets are (embedded database, loopback, not
// production). Elsewhere an unset token turns the page off (it answers 401 to everyone) rather than refusing to
// start: the page is an option, the API is not. A token that is set must pass the same checks as the secrets
// (long enough, not guessable), and main.ts refuses it when it equals one of them.
import { createHash, timingSafeEqual } from 'node:crypto';
import { developmentRefusal, MAKE_A_SECRET, secretProblem, SecretsError, type Deployment } from '../secrets.js';

export const ADMIN_TOKEN_VARIABLE = 'SQLBOUND_ADMIN_TOKEN';
/** Public knowledge, like DEV_AUTH_SECRET: it protects a page on a developer's own machine, nothing more. */
export const DEV_ADMIN_TOKEN = 'sqlbound-dev-admin-token-do-not-use-in-production';

/** The token, or null when the page is off (production without SQLBOUND_ADMIN_TOKEN); a SecretsError if it is unusable. */
export function resolveAdminToken(deployment: Deployment): string | null {
  const refusal = developmentRefusal(deployment);
  const value = deployment.env[ADMIN_TOKEN_VARIABLE]?.trim();
  if (value === undefined || value === '') return refusal === null ? DEV_ADMIN_TOKEN : null;
  const problem = secretProblem(ADMIN_TOKEN_VARIABLE, value);
  if (problem !== null) throw new SecretsError(problem);
  if (refusal !== null && value === DEV_ADMIN_TOKEN) {
    throw new SecretsError(
      `${ADMIN_TOKEN_VARIABLE} is the public development token, which is refused because ${refusal}: ${MAKE_A_SECRET}`,
    );
  }
  return value;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `Authorization: Bearer <token>` (scripts, curl) or Basic with the token as password, any user name (a browser
 * asks for it after the 401's `WWW-Authenticate: Basic`). Compared in constant time over digests, so neither the
 * token nor its length leaks through timing.
 */
export function isAdmin(token: string | null, header: string | undefined): boolean {
  if (token === null || header === undefined) return false;
  const bearer = /^Bearer +(\S+)$/i.exec(header)?.[1];
  const basic = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header)?.[1];
  const decoded = basic === undefined ? undefined : Buffer.from(basic, 'base64').toString('utf8');
  const given = bearer ?? (decoded === undefined || !decoded.includes(':') ? undefined : decoded.slice(decoded.indexOf(':') + 1));
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(token));
}
