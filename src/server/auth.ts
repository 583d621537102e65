// Bearer tokens: `<userId>.<expiresAt unix seconds>.<HMAC-SHA256 signature, base64url>`.
// Stateless on purpose: the example API needs no session table, and a token names exactly one user.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { MIN_SECRET_LENGTH } from './secrets.js';

export type AuthResult = { kind: 'anonymous' } | { kind: 'invalid'; reason: string } | { kind: 'user'; userId: string };

/** The label keeps these signatures from ever validating as another HMAC use of the same secret (e.g. cursors). */
const SIGNING_LABEL = 'sqlbound-auth-v1';
// Canonical forms only: no leading zeros, no sign, no spaces. A token has exactly one spelling, so a variant
// (`0042`, a zero-padded expiry) is refused rather than read as the same token and echoed back normalised.
const TOKEN_PATTERN = /^([1-9]\d{0,18})\.([1-9]\d{0,11})\.([A-Za-z0-9_-]{43})$/;
const INT8_MAX = 2n ** 63n - 1n;

class AuthSecretError extends Error {
  override readonly name = 'AuthSecretError';
}

export function assertAuthSecret(secret: string): void {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new AuthSecretError(`the auth secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
}

/** Signs the exact text of the token's claims, so only that spelling verifies. */
function sign(secret: string, userId: string, expiresAt: string): Buffer {
  return createHmac('sha256', secret).update(`${SIGNING_LABEL}:${userId}.${expiresAt}`).digest();
}

export type IssueOptions = { ttlSeconds?: number; now?: Date };

export function issueToken(secret: string, userId: string, options: IssueOptions = {}): string {
  assertAuthSecret(secret);
  if (!/^[1-9]\d{0,18}$/.test(userId) || BigInt(userId) > INT8_MAX) {
    throw new RangeError(`user id must be a positive int8 as a decimal string, got ${userId}`);
  }
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const expiresAt = now + (options.ttlSeconds ?? 24 * 60 * 60);
  return `${userId}.${expiresAt}.${sign(secret, userId, String(expiresAt)).toString('base64url')}`;
}

/** Reads an `Authorization` header value. Every failure says why, for logs; clients only ever see 401. */
export function verifyAuthorization(secret: string, header: string | undefined, now: Date = new Date()): AuthResult {
  return verify(secret, header, now).result;
}

/** The result, and for a valid token its expiry in ms since the epoch (null otherwise). */
function verify(secret: string, header: string | undefined, now: Date): { result: AuthResult; expiresAtMs: number | null } {
  const refuse = (reason: string) => ({ result: { kind: 'invalid', reason } as const, expiresAtMs: null });
  if (header === undefined || header.trim() === '') return { result: { kind: 'anonymous' }, expiresAtMs: null };
  // RFC 6750: the scheme is case-insensitive, then one or more spaces, then the token. HTTP already strips the
  // header's surrounding whitespace; tabs or other whitespace inside are not part of the grammar.
  const match = /^Bearer +([^\s]+)$/i.exec(header);
  if (match === null || match[1] === undefined) return refuse('expected "Authorization: Bearer <token>"');
  const parts = TOKEN_PATTERN.exec(match[1]);
  if (parts === null) return refuse('malformed token');
  const [, userId = '', expiresText = '', signature = ''] = parts;
  if (BigInt(userId) > INT8_MAX) return refuse('malformed token');
  const given = Buffer.from(signature, 'base64url');
  // 43 base64url characters carry 258 bits for a 256-bit signature: four spellings decode to the same bytes.
  if (given.toString('base64url') !== signature) return refuse('malformed token');
  const expiresAtMs = Number(expiresText) * 1000;
  const expected = sign(secret, userId, expiresText);
  // Constant-time comparison, so the signature cannot be found byte by byte from response timings.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse('bad signature');
  if (expiresAtMs <= now.getTime()) return refuse('token expired');
  return { result: { kind: 'user', userId }, expiresAtMs };
}

/** A header verified before: the result to hand out again, and when its token expires (ms since the epoch). */
type Verified = { result: AuthResult; expiresAtMs: number };

/**
 * Default bound of createAuthVerifier's memory: about 20 MiB when full (a header, its result and lru-cache's slot
 * come to some 200 bytes). Sized for the load test's 100,000 users: a bound below the number of users active
 * within a token's reuse would be emptied in turn and hit by no one.
 */
const DEFAULT_VERIFIED_TOKENS = 100_000;

/**
 * verifyAuthorization with a memory of headers that verified: the same exact header text again skips the
 * parsing and the HMAC (a tenth of the API's CPU per cached dashboard under load), and only its expiry is checked
 * again. Only valid tokens are remembered, keyed by their exact spelling, so what a header verifies to cannot
 * change: an invalid one is recomputed every time and cannot push valid ones out. At most `maxEntries` are kept
 * (lru-cache); the least recently used go first. `now` defaults to the clock.
 */
export function createAuthVerifier(
  secret: string,
  maxEntries = DEFAULT_VERIFIED_TOKENS,
): (header: string | undefined, now?: Date) => AuthResult {
  assertAuthSecret(secret);
  const verified = new LRUCache<string, Verified>({ max: maxEntries });
  return (header, now) => {
    if (header === undefined) return { kind: 'anonymous' };
    const known = verified.get(header);
    if (known !== undefined) {
      if (known.expiresAtMs > (now === undefined ? Date.now() : now.getTime())) return known.result;
      verified.delete(header);
    }
    const { result, expiresAtMs } = verify(secret, header, now ?? new Date());
    if (expiresAtMs !== null) verified.set(header, { result, expiresAtMs });
    return result;
  };
}
