// Keyset pagination types and the signed, per-query cursor.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidCursorError, InvalidInputError } from './errors.js';

type Range<N extends number, Acc extends number[] = []> = Acc['length'] extends N ? Acc[number] : Range<N, [...Acc, Acc['length']]>;

/** A page size: the literal union 1 | 2 | ... | 100. A plain `number`, 0, 101 or 2.5 does not compile. */
export type Limit = Exclude<Range<101>, 0>;

export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 50;

export function isLimit(value: unknown): value is Limit {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_LIMIT;
}

declare const cursorBrand: unique symbol;
/** An opaque keyset cursor, branded with the query that issued it. */
export type Cursor<Query extends string> = string & { readonly [cursorBrand]: Query };

export type Page<Row, Query extends string> = { items: Row[]; nextCursor: Cursor<Query> | null };

function sign(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

/** Cursor values travel as the database's own text form, so microsecond timestamps and int8 stay exact. */
export function encodeCursor<Query extends string>(secret: string, query: Query, values: string[]): Cursor<Query> {
  const payload = Buffer.from(JSON.stringify([query, values])).toString('base64url');
  return `${payload}.${sign(secret, payload).toString('base64url')}` as Cursor<Query>;
}

export function decodeCursor(secret: string, query: string, cursor: string, arity: number): string[] {
  const invalid = (why: string) => new InvalidCursorError(`invalid cursor for ${query}: ${why}`, { queryName: query });
  if (typeof cursor !== 'string' || cursor.length > 4096) throw invalid('not a cursor string');
  const parts = cursor.split('.');
  const [payload, signature] = parts;
  if (parts.length !== 2 || !payload || !signature) throw invalid('malformed');
  const expected = sign(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('signature does not match');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid('malformed payload');
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalid('malformed payload');
  const [issuer, values] = decoded as [unknown, unknown];
  if (issuer !== query) throw invalid('issued by another query');
  if (!Array.isArray(values) || values.length !== arity || !values.every((v) => typeof v === 'string')) {
    throw invalid('wrong shape');
  }
  return values as string[];
}

export function assertLimit(query: string, limit: unknown): asserts limit is Limit {
  if (!isLimit(limit)) {
    throw new InvalidInputError(`limit for ${query} must be an integer from 1 to ${MAX_LIMIT}, got ${String(limit)}`, {
      queryName: query,
    });
  }
}
