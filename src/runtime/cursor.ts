// Keyset cursors sealed to the context that issued them: the query, and every value it was called with.
//
// A cursor (version 2) is `base64url(2 ‖ siv ‖ ciphertext)`, a deterministic authenticated encryption (SIV, as
// in RFC 5297, with HMAC-SHA256 as the PRF):
// - the plaintext is the last row's order values as PostgreSQL text, so microsecond timestamps and int8 stay exact;
// - the context is the label, the query name and the canonical params (the user, the filters);
// - siv = HMAC-SHA256(mac key, context ‖ 0 ‖ plaintext), first 128 bits: the cursor's signature. A cursor replayed
//   with another user, other filters or another query, or edited in any byte, fails it;
// - the ciphertext is AES-256-CTR(enc key, iv = siv) of the plaintext, so a client cannot read the keyset values.
//   The IV is a PRF of the whole message: two distinct cursors share it only by a 2^-128 collision, so one key
//   serves every cursor (no nonce to manage, unlike GCM's 96-bit random nonces); the same page of the same query
//   for the same user and filters gives the same cursor (which tells its holder nothing new);
// - both keys are HKDF-SHA256(cursor secret, label), derived once per secret: a page costs one HMAC and one AES
//   pass, not a key derivation (version 1 derived a key per cursor: about 100 us of a 51-row page's budget).
// - the HMAC and the CTR pass are computed with objects made once per secret, not per cursor: createHmac and
//   createCipheriv build a native context per call, which cost about 7 of a page's 21 us of cursor (issue 16).
//   HMAC is RFC 2104 over one-shot SHA-256 with the padded keys prepared; CTR is AES-256 of the counter blocks
//   (a no-padding ECB context, which keeps no state between full blocks) XORed with the text. Both give the bytes
//   of createHmac and aes-256-ctr exactly: test/runtime/cursor.test.ts checks them against Node's.
// Version 1 (AES-256-GCM under a key per cursor) still opens, so cursors issued before an upgrade keep working.
import * as nodeCrypto from 'node:crypto';
import { createCipheriv, createDecipheriv, createHash, hkdfSync, timingSafeEqual, type Cipher } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { InvalidCursorError, type InvalidCursorReason } from './errors.js';
import type { Cursor } from './pagination.js';

const VERSION = 2;
const LABEL = 'sqlbound-cursor-v2';
const SIV_BYTES = 16;
const LEGACY_VERSION = 1;
const LEGACY_LABEL = 'sqlbound-cursor-v1';
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

/** What a cursor is bound to: the label, the query name and its canonical params, as JSON (never holds a NUL). */
function context(query: string, params: readonly unknown[]): string {
  return JSON.stringify([LABEL, query, params.map(canonical)]);
}

/**
 * SHA-256 of one buffer. crypto.hash (Node 20.12+) makes no hash object; before 20.12 it does not exist (a named
 * import of it would fail the whole module at load), and a createHash gives the same bytes.
 */
const sha256: (data: Buffer) => Buffer =
  'hash' in nodeCrypto && typeof nodeCrypto.hash === 'function'
    ? (data) => nodeCrypto.hash('sha256', data, 'buffer')
    : (data) => createHash('sha256').update(data).digest();

/** SHA-256's block size: HMAC pads its key to it. */
const HMAC_BLOCK_BYTES = 64;
const AES_BLOCK_BYTES = 16;

type Keys = {
  /** The MAC key XOR ipad and XOR opad (RFC 2104), each one SHA-256 block. */
  innerPad: Buffer;
  outerPad: Buffer;
  /** AES-256 of whole blocks under the encryption key: the CTR keystream generator. */
  blockCipher: Cipher;
  /** Cursors this process sealed or opened lately under this secret, and what they open to (see `remember`). */
  opened: LRUCache<string, { context: string; values: readonly string[] }>;
};

/**
 * Cursors remembered per secret. A client asks for the next page soon after this process sealed its cursor: that
 * cursor opens from memory, for the same query and params only (the context is compared whole), without the
 * HMAC, the AES pass and the decoding (about 10 µs alone, 3× that between statements, issue 30). Only cursors
 * this process sealed or authenticated are remembered, so a remembered one is authentic by construction.
 */
const REMEMBERED_CURSORS = 4096;

function remember(keys: Keys, cursor: string, context: string, values: readonly string[]): void {
  keys.opened.set(cursor, { context, values });
}
const keysBySecret = new Map<string, Keys>();

function hmacPad(key: Buffer, pad: number): Buffer {
  const padded = Buffer.alloc(HMAC_BLOCK_BYTES, pad);
  for (let k = 0; k < key.length; k++) padded[k] = key[k]! ^ pad;
  return padded;
}

/** The secret's two keys, derived once: a process has one or two secrets, a bound keeps a misuse from growing. */
function keysFor(secret: string): Keys {
  let keys = keysBySecret.get(secret);
  if (keys === undefined) {
    const material = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), LABEL, 2 * KEY_BYTES));
    const mac = material.subarray(0, KEY_BYTES);
    const blockCipher = createCipheriv('aes-256-ecb', material.subarray(KEY_BYTES), null).setAutoPadding(false);
    keys = { innerPad: hmacPad(mac, 0x36), outerPad: hmacPad(mac, 0x5c), blockCipher, opened: new LRUCache({ max: REMEMBERED_CURSORS }) };
    if (keysBySecret.size >= 16) keysBySecret.clear();
    keysBySecret.set(secret, keys);
  }
  return keys;
}

/** HMAC-SHA256(mac key, bound ‖ 0 ‖ plaintext), first 128 bits. */
function syntheticIv(keys: Keys, bound: string, plaintext: Buffer): Buffer {
  const inner = sha256(Buffer.concat([keys.innerPad, Buffer.from(`${bound}\0`), plaintext]));
  return sha256(Buffer.concat([keys.outerPad, inner])).subarray(0, SIV_BYTES);
}

/** AES-256-CTR with the 128-bit big-endian counter starting at `iv`; its own inverse: it encrypts and decrypts. */
function ctr(keys: Keys, iv: Buffer, input: Buffer): Buffer {
  const blocks = Math.ceil(input.length / AES_BLOCK_BYTES);
  const counters = Buffer.allocUnsafe(blocks * AES_BLOCK_BYTES);
  const counter = Buffer.from(iv);
  for (let block = 0; block < blocks; block++) {
    counter.copy(counters, block * AES_BLOCK_BYTES);
    for (let k = AES_BLOCK_BYTES - 1; k >= 0; k--) {
      counter[k] = (counter[k]! + 1) & 0xff;
      if (counter[k] !== 0) break;
    }
  }
  const keystream = keys.blockCipher.update(counters);
  const output = Buffer.allocUnsafe(input.length);
  for (let k = 0; k < input.length; k++) output[k] = input[k]! ^ keystream[k]!;
  return output;
}

/** Version 1's binding: the version and a SHA-256 digest of the label, query name and params. */
function legacyBoundTo(query: string, params: readonly unknown[]): Buffer {
  const digest = createHash('sha256')
    .update(JSON.stringify([LEGACY_LABEL, query, params.map(canonical)]))
    .digest();
  return Buffer.concat([Buffer.from([LEGACY_VERSION]), digest]);
}

function legacyKeyAndIv(secret: string, salt: Buffer): { key: Buffer; iv: Buffer } {
  const material = Buffer.from(hkdfSync('sha256', secret, salt, LEGACY_LABEL, KEY_BYTES + IV_BYTES));
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
  const keys = keysFor(secret);
  const plaintext = Buffer.from(JSON.stringify(values));
  const bound = context(query, params);
  const iv = syntheticIv(keys, bound, plaintext);
  const cursor = Buffer.concat([Buffer.from([VERSION]), iv, ctr(keys, iv, plaintext)]).toString('base64url');
  // Only values that open as they were sealed: strings (callers that cast past the type get the full check).
  if (Array.isArray(values) && values.every((value) => typeof value === 'string')) remember(keys, cursor, bound, [...values]);
  return cursor as Cursor<Query>;
}

/**
 * The error of a cursor that does not open. Module-level, not a closure per call: tsx (esbuild keepNames) wraps a
 * named closure in a defineProperty on every call of the page path.
 */
function invalidCursor(query: string, reason: InvalidCursorReason, why: string): InvalidCursorError {
  return new InvalidCursorError(`invalid cursor for ${query}: ${why}`, { queryName: query, reason });
}

/** Opens a cursor issued by `encodeCursor` for this query and these params, or throws InvalidCursorError. */
export function decodeCursor(secret: string, query: string, params: readonly unknown[], cursor: unknown, arity: number): string[] {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH) throw invalidCursor(query, 'malformed', 'not a cursor string');
  const keys = keysFor(secret);
  const known = keys.opened.get(cursor);
  if (known !== undefined) {
    // The same text as one sealed or opened here: the same bytes, so authentic; bound to this query and params?
    if (known.context !== context(query, params)) {
      throw invalidCursor(query, 'authentication', 'does not authenticate: tampered, or issued for another query, user, filters or secret');
    }
    if (known.values.length !== arity) throw invalidCursor(query, 'shape', 'wrong shape');
    return [...known.values];
  }
  if (!BASE64URL.test(cursor)) throw invalidCursor(query, 'malformed', 'not a cursor string');
  const sealed = Buffer.from(cursor, 'base64url');
  // One text per cursor: base64url with stray trailing bits decodes to the same bytes, and is refused.
  if (sealed.toString('base64url') !== cursor || sealed.length < 1 + SIV_BYTES + 2) {
    throw invalidCursor(query, 'malformed', 'malformed');
  }
  let plaintext: string;
  const bound = context(query, params);
  if (sealed[0] === VERSION) {
    const iv = sealed.subarray(1, 1 + SIV_BYTES);
    const opened = ctr(keys, iv, sealed.subarray(1 + SIV_BYTES));
    if (!timingSafeEqual(syntheticIv(keys, bound, opened), iv)) {
      throw invalidCursor(query, 'authentication', 'does not authenticate: tampered, or issued for another query, user, filters or secret');
    }
    plaintext = opened.toString('utf8');
  } else if (sealed[0] === LEGACY_VERSION) {
    if (sealed.length < 1 + SALT_BYTES + TAG_BYTES + 2) throw invalidCursor(query, 'malformed', 'malformed');
    plaintext = openLegacy(secret, query, params, sealed, () =>
      invalidCursor(query, 'authentication', 'does not authenticate: tampered, or issued for another query, user, filters or secret'),
    );
  } else {
    throw invalidCursor(query, 'version', `unknown cursor version ${String(sealed[0])}`);
  }
  // Authenticated, so written by encodeCursor with this secret; the checks below guard against a version skew.
  let values: unknown;
  try {
    values = JSON.parse(plaintext);
  } catch {
    throw invalidCursor(query, 'shape', 'malformed payload');
  }
  if (!Array.isArray(values) || values.length !== arity || !values.every((value) => typeof value === 'string')) {
    throw invalidCursor(query, 'shape', 'wrong shape');
  }
  if (sealed[0] === VERSION) remember(keys, cursor, bound, [...values]);
  return values;
}

/** Opens a version 1 cursor (AES-256-GCM, a key per cursor), or throws `refused()`. */
function openLegacy(secret: string, query: string, params: readonly unknown[], sealed: Buffer, refused: () => Error): string {
  const salt = sealed.subarray(1, 1 + SALT_BYTES);
  const ciphertext = sealed.subarray(1 + SALT_BYTES, sealed.length - TAG_BYTES);
  const { key, iv } = legacyKeyAndIv(secret, salt);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(legacyBoundTo(query, params));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw refused();
  }
}
