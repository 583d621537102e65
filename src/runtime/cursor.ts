// Keyset cursors sealed to the context that issued them: the query, and every value it was called with.
//
// A cursor is `base64url(version ‖ salt ‖ ciphertext ‖ tag)`:
// - the plaintext is the last row's order values as PostgreSQL text, so microsecond timestamps and int8 stay exact;
// - AES-256-GCM encrypts it, so a client cannot read or edit the keyset values;
// - the additional data is the version and a SHA-256 digest of the query name and its params (the user, the
//   filters): a cursor replayed with another user, other filters or another query fails authentication;
// - each cursor has its own key and nonce, HKDF-SHA256(cursor secret, salt). A random 96-bit GCM nonce under
//   one key is safe for about 2^32 messages (NIST SP 800-38D), which a busy API issues in days; a key per
//   cursor removes that bound, and HKDF's label keeps these keys apart from any other use of the secret;
// - the salt is an HMAC of the context and the values (a synthetic IV, as in SIV): distinct cursors get
//   distinct keys, and the same page of the same query for the same user and filters gets the same cursor
//   (all it tells is that two cursors are the same position, which their holder knows anyway).
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync } from 'node:crypto';
import { InvalidCursorError, type InvalidCursorReason } from './errors.js';
import type { Cursor } from './pagination.js';

const VERSION = 1;
const LABEL = 'sqlbound-cursor-v1';
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Longest cursor text accepted: far above any real cursor, small enough to bound the work on forged ones. */
export const MAX_CURSOR_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * One param value in an unambiguous, deterministic form. The values are the ones sent to PostgreSQL, so two
 * calls share a digest exactly when they run the same statement with the same values.
 */
function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null; // node-postgres sends undefined as NULL too
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return ['number', Object.is(value, -0) ? '-0' : String(value)];
  if (typeof value === 'bigint') return ['bigint', value.toString()];
  if (value instanceof Date) return ['date', Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()];
  if (value instanceof Uint8Array) return ['bytes', Buffer.from(value).toString('base64')];
  if (Array.isArray(value)) return ['array', value.map(canonical)];
  return ['json', JSON.stringify(value)];
}

/** What a cursor is bound to: the version, the query name and the digest of its params. */
function boundTo(query: string, params: readonly unknown[]): Buffer {
  const digest = createHash('sha256')
    .update(JSON.stringify([LABEL, query, params.map(canonical)]))
    .digest();
  return Buffer.concat([Buffer.from([VERSION]), digest]);
}

function keyAndIv(secret: string, salt: Buffer): { key: Buffer; iv: Buffer } {
  const material = Buffer.from(hkdfSync('sha256', secret, salt, LABEL, KEY_BYTES + IV_BYTES));
  return { key: material.subarray(0, KEY_BYTES), iv: material.subarray(KEY_BYTES) };
}

/**
 * Seals a page's last order values into a cursor for the same query called with the same params.
 * `params` are the statement's values before the keyset and limit: the scope (userId) and the filters.
 */
export function encodeCursor<Query extends string>(
  secret: string,
  query: Query,
  params: readonly unknown[],
  values: readonly string[],
): Cursor<Query> {
  const context = boundTo(query, params);
  const plaintext = JSON.stringify(values);
  const salt = createHmac('sha256', secret).update(`${LABEL} salt\0`).update(context).update(plaintext).digest().subarray(0, SALT_BYTES);
  const { key, iv } = keyAndIv(secret, salt);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(context);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), salt, ciphertext, cipher.getAuthTag()]).toString('base64url') as Cursor<Query>;
}

/** Opens a cursor issued by `encodeCursor` for this query and these params, or throws InvalidCursorError. */
export function decodeCursor(secret: string, query: string, params: readonly unknown[], cursor: unknown, arity: number): string[] {
  const invalid = (reason: InvalidCursorReason, why: string) =>
    new InvalidCursorError(`invalid cursor for ${query}: ${why}`, { queryName: query, reason });
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) {
    throw invalid('malformed', 'not a cursor string');
  }
  const sealed = Buffer.from(cursor, 'base64url');
  // One text per cursor: base64url with stray trailing bits decodes to the same bytes, and is refused.
  if (sealed.toString('base64url') !== cursor || sealed.length < 1 + SALT_BYTES + TAG_BYTES + 2) {
    throw invalid('malformed', 'malformed');
  }
  if (sealed[0] !== VERSION) throw invalid('version', `unknown cursor version ${String(sealed[0])}`);
  const salt = sealed.subarray(1, 1 + SALT_BYTES);
  const ciphertext = sealed.subarray(1 + SALT_BYTES, sealed.length - TAG_BYTES);
  const { key, iv } = keyAndIv(secret, salt);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(boundTo(query, params));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  let plaintext: string;
  try {
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw invalid('authentication', 'does not authenticate: tampered, or issued for another query, user, filters or secret');
  }
  // Authenticated, so written by encodeCursor with this secret; the checks below guard against a version skew.
  let values: unknown;
  try {
    values = JSON.parse(plaintext);
  } catch {
    throw invalid('shape', 'malformed payload');
  }
  if (!Array.isArray(values) || values.length !== arity || !values.every((value) => typeof value === 'string')) {
    throw invalid('shape', 'wrong shape');
  }
  return values;
}
