// Token plans: valid tokens in every accepted spelling, and the ways a token can be wrong: expired, forged,
// another secret or user, and non-canonical spellings of a valid token, which must be refused all the same.
import fc from 'fast-check';
import { issueToken } from '../../../src/server/auth.js';
import type { TokenPlan } from './plans.js';
import { base64url } from './wire.js';
import { AUTH_SECRET, bearer, OTHER_SECRET, signClaims, type World } from './world.js';

export function tokenFor(world: World): fc.Arbitrary<TokenPlan> {
  const everyone = [...world.users, world.ghost];
  const tokenOf = (user: string) => world.tokens.get(user) ?? issueToken(AUTH_SECRET, user);
  const claims = (user: string) => {
    const [, expiry = '', signature = ''] = tokenOf(user).split('.');
    return { expiry, signature };
  };
  const valid = fc
    .tuple(fc.constantFrom(...everyone), fc.constantFrom('Bearer ', 'bearer ', 'BEARER ', 'Bearer   '))
    .map(([user, scheme]): TokenPlan => ({
      kind: 'valid',
      user,
      header: `${scheme}${tokenOf(user)}`,
      how: scheme.trim() === 'Bearer' && scheme.length === 7 ? 'valid token' : 'valid token, other scheme spelling',
    }));
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const variants: ((user: string, other: string, bytes: Uint8Array, cut: number) => { header: string; how: string })[] = [
    (user) => ({
      header: bearer(issueToken(AUTH_SECRET, user, { ttlSeconds: 60, now: new Date(Date.now() - 7_200_000) })),
      how: 'expired',
    }),
    (user, _other, bytes) => ({
      header: bearer(`${user}.${claims(user).expiry}.${base64url(bytes.subarray(0, 32))}`),
      how: 'forged signature',
    }),
    (user) => ({ header: bearer(issueToken(OTHER_SECRET, user)), how: 'signed with another secret' }),
    (user, other) => ({ header: bearer(tokenOf(user).replace(/^\d+\./, `${other}.`)), how: 'user id swapped' }),
    (user) => ({ header: bearer(`${user}.0${claims(user).expiry}.${claims(user).signature}`), how: 'zero-padded expiry' }),
    (user) => ({
      header: bearer(`${user}.0${claims(user).expiry}.${signClaims(`${user}.0${claims(user).expiry}`)}`),
      how: 'zero-padded expiry, signed as padded',
    }),
    (user) => ({
      header: bearer(`0${user}.${claims(user).expiry}.${signClaims(`0${user}.${claims(user).expiry}`)}`),
      how: 'zero-padded user id',
    }),
    (user) => ({ header: bearer(`+${user}.${claims(user).expiry}.${signClaims(`+${user}.${claims(user).expiry}`)}`), how: 'plus sign' }),
    (user) => {
      const { expiry, signature } = claims(user);
      const last = alphabet[alphabet.indexOf(signature.at(-1) ?? 'A') ^ 1] ?? 'A';
      return { header: bearer(`${user}.${expiry}.${signature.slice(0, -1)}${last}`), how: 'signature re-spelled (spare bits)' };
    },
    (user) => ({ header: bearer(`${tokenOf(user)}=`), how: 'padded signature' }),
    (user) => ({ header: `Bearer\t${tokenOf(user)}`, how: 'tab after the scheme' }),
    (user) => ({ header: bearer(`${user}. ${claims(user).expiry}.${claims(user).signature}`), how: 'space inside' }),
    (user, _other, _bytes, cut) => ({ header: bearer(tokenOf(user).slice(0, -1 - (cut % 40))), how: 'truncated' }),
    (user) => ({ header: bearer(`${tokenOf(user)}.x`), how: 'extra part' }),
    (user) => ({ header: `Basic ${tokenOf(user)}`, how: 'Basic scheme' }),
    (user) => ({ header: tokenOf(user), how: 'no scheme' }),
    (_user, _other, bytes) => ({
      header: bearer(
        Buffer.from(bytes)
          .toString('latin1')
          .replace(/[^\x21-\x7e]/g, 'a'),
      ),
      how: 'garbage',
    }),
    () => ({ header: bearer('a'.repeat(8000)), how: 'huge' }),
  ];
  const invalid = fc
    .tuple(
      fc.constantFrom(...variants),
      fc.constantFrom(...world.users),
      fc.constantFrom(...world.users),
      fc.uint8Array({ minLength: 32, maxLength: 64 }),
      fc.nat(),
    )
    .map(([variant, user, other, bytes, cut]): TokenPlan => ({
      kind: 'invalid',
      ...variant(user, other === user ? world.ghost : other, bytes, cut),
    }));
  return fc.oneof(
    { weight: 10, arbitrary: valid },
    { weight: 1, arbitrary: fc.constant<TokenPlan>({ kind: 'none', how: 'no token' }) },
    { weight: 4, arbitrary: invalid },
  );
}
