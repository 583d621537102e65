// Cursor sealing as plain functions, no database: what opens, and why each forgery is refused. The keyset walk
// itself is tested on real rows in test/queries/pagination.test.ts. Fast enough to run once per mutant
// (npm run mutate).
import assert from 'node:assert/strict';
import { createCipheriv, createHash, createHmac, hkdfSync } from 'node:crypto';
import { test } from 'node:test';
import { decodeCursor, encodeCursor, MAX_CURSOR_LENGTH } from '../../src/runtime/cursor.js';
import { InvalidCursorError, type InvalidCursorReason } from '../../src/runtime/errors.js';

const SECRET = 'unit-test-secret-0123456789abcdef';
const values = ['2026-01-01 00:00:00.000001+00', '9007199254740993'];

/** The message says why, after `invalid cursor for <query>: `. */
const WHY: Record<InvalidCursorReason, RegExp> = {
  malformed: /^invalid cursor for listThings: (not a cursor string|malformed)$/,
  version: /^invalid cursor for listThings: unknown cursor version \d+$/,
  authentication: /^invalid cursor for listThings: does not authenticate: tampered, or issued for another query, user, filters or secret$/,
  shape: /^invalid cursor for listThings: (malformed payload|wrong shape)$/,
};

function refused(reason: InvalidCursorReason, open: () => unknown, label: string, why?: string): void {
  assert.throws(open, (error: unknown) => {
    assert.ok(error instanceof InvalidCursorError, `${label}: ${String(error)}`);
    assert.equal(error.reason, reason, `${label}: ${error.message}`);
    assert.equal(error.queryName, 'listThings', label);
    assert.match(error.message, WHY[reason], label);
    if (why !== undefined) assert.ok(error.message.endsWith(`: ${why}`), `${label}: ${error.message}`);
    return true;
  });
}

/** Seals any plaintext as cursor version 2 does (params [] only): payloads encodeCursor never writes. */
function sealRaw(plaintext: string): string {
  const keys = Buffer.from(hkdfSync('sha256', SECRET, Buffer.alloc(0), 'sqlbound-cursor-v2', 64));
  const iv = createHmac('sha256', keys.subarray(0, 32))
    .update(JSON.stringify(['sqlbound-cursor-v2', 'listThings', []]))
    .update('\0')
    .update(plaintext)
    .digest()
    .subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', keys.subarray(32), iv);
  return Buffer.concat([Buffer.from([2]), iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64url');
}

/** Seals any plaintext as cursor version 1 did (AES-256-GCM, a key per cursor; params [] only). */
function sealLegacy(plaintext: string): string {
  const context = Buffer.concat([
    Buffer.from([1]),
    createHash('sha256')
      .update(JSON.stringify(['sqlbound-cursor-v1', 'listThings', []]))
      .digest(),
  ]);
  const salt = Buffer.alloc(16, 7);
  const material = Buffer.from(hkdfSync('sha256', SECRET, salt, 'sqlbound-cursor-v1', 44));
  const cipher = createCipheriv('aes-256-gcm', material.subarray(0, 32), material.subarray(32), { authTagLength: 16 });
  cipher.setAAD(context);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([1]), salt, ciphertext, cipher.getAuthTag()]).toString('base64url');
}

test('a cursor opens to its exact values for the same query, params and secret', () => {
  const cursor = encodeCursor(SECRET, 'listThings', ['42', null, 'high'], values);
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCursor(SECRET, 'listThings', ['42', null, 'high'], cursor, 2), values);
  // undefined is sent as NULL, so it is the same call as null.
  assert.deepEqual(decodeCursor(SECRET, 'listThings', ['42', undefined, 'high'], cursor, 2), values);
});

test('the same position gives the same cursor; another position, query, param or secret another one', () => {
  const base = encodeCursor(SECRET, 'listThings', ['42'], values);
  assert.equal(encodeCursor(SECRET, 'listThings', ['42'], values), base);
  const others = [
    encodeCursor(SECRET, 'listThings', ['42'], [values[0] ?? '', '1']),
    encodeCursor(SECRET, 'listOther', ['42'], values),
    encodeCursor(SECRET, 'listThings', ['43'], values),
    encodeCursor(`${SECRET}x`, 'listThings', ['42'], values),
  ];
  for (const other of others) assert.notEqual(other, base);
  assert.equal(new Set(others).size, others.length);
});

test('a cursor does not show its values', () => {
  const cursor = encodeCursor(SECRET, 'listThings', ['42'], values);
  const bytes = Buffer.from(cursor, 'base64url').toString('latin1');
  assert.ok(!bytes.includes('9007199254740993') && !bytes.includes('2026-01-01'), 'the plaintext is encrypted');
});

test('replayed for another query, user, filter, type of value or secret: authentication', () => {
  const cursor = encodeCursor(SECRET, 'listThings', ['42', 'high', 7, true], values);
  const open = (secret: string, query: string, params: unknown[]) => () => decodeCursor(secret, query, params, cursor, 2);
  refused('authentication', open(SECRET, 'listThings', ['43', 'high', 7, true]), 'another user');
  refused('authentication', open(SECRET, 'listThings', ['42', null, 7, true]), 'a filter removed');
  refused('authentication', open(SECRET, 'listThings', ['42', 'high', '7', true]), 'a number sent as text');
  refused('authentication', open(SECRET, 'listThings', ['42', 'high', 7, 'true']), 'a boolean sent as text');
  refused('authentication', open(SECRET, 'listThings', ['42', 'high', 7]), 'a param missing');
  refused('authentication', open(`${SECRET}x`, 'listThings', ['42', 'high', 7, true]), 'another secret');
  assert.throws(
    () => decodeCursor(SECRET, 'listOther', ['42', 'high', 7, true], cursor, 2),
    (error: unknown) => error instanceof InvalidCursorError && error.reason === 'authentication' && error.queryName === 'listOther',
  );
});

test('params of every kind are bound exactly: bigint, dates, bytes, arrays, objects, -0', () => {
  const params = [10n, new Date('2026-01-01T00:00:00Z'), Buffer.from([1, 2]), ['a', 1], { k: 'v' }, -0];
  const cursor = encodeCursor(SECRET, 'listThings', params, values);
  assert.deepEqual(decodeCursor(SECRET, 'listThings', params, cursor, 2), values);
  const variants: [string, unknown[]][] = [
    ['bigint as number', [10, ...params.slice(1)]],
    ['another date', [10n, new Date('2026-01-01T00:00:00.001Z'), ...params.slice(2)]],
    ['other bytes', [10n, params[1], Buffer.from([1, 3]), ...params.slice(3)]],
    ['another array', [...params.slice(0, 3), ['a', '1'], ...params.slice(4)]],
    ['another object', [...params.slice(0, 4), { k: 'w' }, -0]],
    ['0 for -0', [...params.slice(0, 5), 0]],
  ];
  for (const [label, other] of variants) refused('authentication', () => decodeCursor(SECRET, 'listThings', other, cursor, 2), label);
  const invalidDate = encodeCursor(SECRET, 'listThings', [new Date(Number.NaN)], values);
  assert.deepEqual(decodeCursor(SECRET, 'listThings', [new Date(Number.NaN)], invalidDate, 2), values);
});

test('a value changed inside the sealed payload is caught by the signature, not by parsing', () => {
  const cursor = encodeCursor(SECRET, 'listThings', ['42'], values);
  const bytes = Buffer.from(cursor, 'base64url');
  // CTR is a stream cipher: the low bit of the byte before the closing `"]` turns the id's last digit 3 into 2.
  const tampered = Buffer.from(bytes);
  tampered[bytes.length - 3] = (tampered[bytes.length - 3] ?? 0) ^ 1;
  refused('authentication', () => decodeCursor(SECRET, 'listThings', ['42'], tampered.toString('base64url'), 2), 'a digit changed');
  const signature = Buffer.from(bytes);
  signature[16] = (signature[16] ?? 0) ^ 0x80;
  refused('authentication', () => decodeCursor(SECRET, 'listThings', ['42'], signature.toString('base64url'), 2), 'the signature changed');
  const first = Buffer.from(bytes);
  first[1] = (first[1] ?? 0) ^ 1;
  refused('authentication', () => decodeCursor(SECRET, 'listThings', ['42'], first.toString('base64url'), 2), 'its first byte changed');
  // Every single-bit flip, anywhere after the version byte, is refused.
  for (let index = 1; index < bytes.length; index += 1) {
    for (let bit = 0; bit < 8; bit += 1) {
      const flipped = Buffer.from(bytes);
      flipped[index] = (flipped[index] ?? 0) ^ (1 << bit);
      assert.throws(() => decodeCursor(SECRET, 'listThings', ['42'], flipped.toString('base64url'), 2), InvalidCursorError);
    }
  }
});

test('malformed text, other versions and wrong shapes each have their reason', () => {
  const cursor = encodeCursor(SECRET, 'listThings', ['42'], values);
  const open =
    (text: unknown, arity = 2) =>
    () =>
      decodeCursor(SECRET, 'listThings', ['42'], text, arity);
  refused('malformed', open(42), 'a number', 'not a cursor string');
  refused('malformed', open(''), 'empty', 'not a cursor string');
  refused('malformed', open(`${cursor}=`), 'padding', 'not a cursor string');
  refused('malformed', open(`!${cursor}`), 'a stray character first', 'not a cursor string');
  refused('malformed', open(`${cursor}!`), 'a stray character last', 'not a cursor string');
  refused('malformed', open(`${cursor.slice(0, 10)}+${cursor.slice(11)}`), 'base64, not base64url', 'not a cursor string');
  refused('malformed', open('A'.repeat(MAX_CURSOR_LENGTH + 1)), 'too long', 'not a cursor string');
  // At the limit the text is read: zero bytes, so version 0.
  refused('version', open('A'.repeat(MAX_CURSOR_LENGTH)), 'exactly the longest length', 'unknown cursor version 0');
  refused('malformed', open(cursor.slice(0, 20)), 'truncated', 'malformed');
  // A shortest well-formed cursor: version, signature, two bytes.
  const shortest = Buffer.alloc(1 + 16 + 2, 0);
  shortest[0] = 2;
  refused('authentication', open(shortest.toString('base64url')), 'the shortest cursor reaches the signature');
  refused('malformed', open(shortest.subarray(1).toString('base64url')), 'one byte short');
  // Version 1's shortest: version, salt, two bytes, tag.
  const shortestLegacy = Buffer.alloc(1 + 16 + 2 + 16, 0);
  shortestLegacy[0] = 1;
  refused('authentication', open(shortestLegacy.toString('base64url')), 'the shortest version 1 cursor reaches the tag');
  refused('malformed', open(shortestLegacy.subarray(0, -1).toString('base64url')), 'version 1, one byte short');
  const version = Buffer.from(cursor, 'base64url');
  version[0] = 3;
  refused('version', open(version.toString('base64url')), 'version 3', 'unknown cursor version 3');
  // The last base64url character carries spare bits: another character there decodes to the same bytes.
  const last = cursor.at(-1) ?? 'A';
  const sameBytes = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].find(
    (candidate) => candidate !== last && Buffer.from(cursor.slice(0, -1) + candidate, 'base64url').equals(Buffer.from(cursor, 'base64url')),
  );
  if (sameBytes !== undefined) refused('malformed', open(cursor.slice(0, -1) + sameBytes), 'spare bits');
  refused('shape', open(cursor, 3), 'an arity the query does not have');
  refused(
    'shape',
    () => decodeCursor(SECRET, 'listThings', ['42'], encodeCursor(SECRET, 'listThings', ['42'], ['a']), 2),
    'one value for two columns',
  );
});

test('the values must be strings: a payload of other JSON is a shape error', () => {
  const notStrings = encodeCursor(SECRET, 'listThings', [], [1, 2] as unknown as string[]);
  refused('shape', () => decodeCursor(SECRET, 'listThings', [], notStrings, 2), 'numbers', 'wrong shape');
  const oneNotString = encodeCursor(SECRET, 'listThings', [], ['a', 2] as unknown as string[]);
  refused('shape', () => decodeCursor(SECRET, 'listThings', [], oneNotString, 2), 'one number', 'wrong shape');
  const notArray = encodeCursor(SECRET, 'listThings', [], { length: 2 } as unknown as string[]);
  refused('shape', () => decodeCursor(SECRET, 'listThings', [], notArray, 2), 'an object', 'wrong shape');
  // An authenticated payload that is not JSON (a version skew, never encodeCursor's output).
  assert.equal(sealRaw('["a","b"]'), encodeCursor(SECRET, 'listThings', [], ['a', 'b']), 'sealRaw seals as encodeCursor does');
  refused('shape', () => decodeCursor(SECRET, 'listThings', [], sealRaw('not json'), 2), 'not JSON', 'malformed payload');
  assert.deepEqual(decodeCursor(SECRET, 'listThings', [], sealLegacy('["a","b"]'), 2), ['a', 'b'], 'version 1 opens');
  refused('shape', () => decodeCursor(SECRET, 'listThings', [], sealLegacy('not json'), 2), 'version 1, not JSON', 'malformed payload');
});

test('the format is stable: a cursor issued by this version opens, byte for byte, after an upgrade', () => {
  // Issued once and written down: every param kind the digest canonicalises, and non-ASCII text in a value.
  // A change to the label, the canonical forms, the salt or the sealing breaks every cursor clients hold.
  const params = [
    'str',
    true,
    0,
    -0,
    10n,
    new Date('2026-01-01T00:00:00Z'),
    new Date(Number.NaN),
    Buffer.from([1, 2]),
    ['a', 1],
    { k: 'v' },
    null,
  ];
  const issued = 'AhKmQozwwgNTb2PDvz1Ysl0Tbs799AoViQQgmyGCNs3B1-6Ft7592QC3tFx-8InAhvJlz4bkRnpzEHDjYzX4sJTHtmrt1ko';
  const stored = ['2026-01-01 00:00:00.000001+00', '\u00e99007199254740993'];
  assert.equal(encodeCursor(SECRET, 'listThings', params, stored), issued);
  assert.deepEqual(decodeCursor(SECRET, 'listThings', params, issued, 2), stored);
  // Version 1 (before cursors were sealed with one key per secret): issued by it, and still opened.
  const issuedV1 = 'AQQ4_30_8gMcAR_u9TJajstwZ6seOzwDab1yrO10KGAZIFocFlxQVIfW_B79cJXX18W2ISiHJkJeMC3TlyD-eHo9KoAroYTT1aA0Ovg_utNkrnGROPLA';
  assert.deepEqual(decodeCursor(SECRET, 'listThings', params, issuedV1, 2), stored);
  refused('authentication', () => decodeCursor(SECRET, 'listThings', params.slice(1), issuedV1, 2), 'version 1 for other params');
});

test("sealing computes Node's own HMAC-SHA256 and AES-256-CTR bytes, at every length and counter carry", () => {
  // The runtime reuses its keyed contexts across cursors (RFC 2104 over one-shot SHA-256, CTR from AES blocks):
  // 3000 payloads of 1 to 7 AES blocks, so about a dozen have an IV ending in 0xff and carry into the next byte.
  let carries = 0;
  for (let k = 0; k < 3000; k += 1) {
    const stored = ['\u00e9'.repeat(k % 45), String(k)];
    const plaintext = JSON.stringify(stored);
    const expected = sealRaw(plaintext);
    const blocks = Math.ceil(Buffer.byteLength(plaintext) / 16);
    if (blocks > 1 && Buffer.from(expected, 'base64url')[16] === 0xff) carries += 1;
    assert.equal(encodeCursor(SECRET, 'listThings', [], stored), expected, `payload ${k}`);
    assert.deepEqual(decodeCursor(SECRET, 'listThings', [], expected, 2), stored, `payload ${k}`);
  }
  assert.ok(carries > 0, 'no payload exercised a counter carry');
});
