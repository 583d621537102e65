// Keyset pagination types: the page size and the per-query cursor brand. Sealing cursors is ./cursor.ts's job.
import { InvalidInputError } from './errors.js';

type Range<N extends number, Acc extends number[] = []> = Acc['length'] extends N ? Acc[number] : Range<N, [...Acc, Acc['length']]>;

/** A page size: the literal union 1 | 2 | ... | 100. A plain `number`, 0, 101 or 2.5 does not compile. */
export type Limit = Exclude<Range<101>, 0>;

export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 50;

export function isLimit(value: unknown): value is Limit {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_LIMIT;
}

declare const cursorBrand: unique symbol;
/** An opaque keyset cursor, branded with the query that issued it; sealed to its params at runtime (./cursor.ts). */
export type Cursor<Query extends string> = string & { readonly [cursorBrand]: Query };

export type Page<Row, Query extends string> = { items: Row[]; nextCursor: Cursor<Query> | null };

export function assertLimit(query: string, limit: unknown): asserts limit is Limit {
  if (!isLimit(limit)) {
    throw new InvalidInputError(`limit for ${query} must be an integer from 1 to ${MAX_LIMIT}, got ${String(limit)}`, {
      queryName: query,
    });
  }
}
