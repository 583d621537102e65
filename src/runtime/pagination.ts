// Keyset pagination types: the page size and the per-query cursor brand. Sealing cursors is ./cursor.ts's job.
import { InvalidInputError } from './errors.js';

type Range<N extends number, Acc extends number[] = []> = Acc['length'] extends N ? Acc[number] : Range<N, [...Acc, Acc['length']]>;

/**
 * A page size: the literal union 1 | 2 | ... | 100. A plain `number`, 0, 101 or 2.5 does not compile, so an
 * unbounded page cannot be asked for by mistake; numbers from outside go through limitInput or isLimit.
 *
 * @example
 * ```ts
 * import type { Limit } from 'sqlbound';
 * import { listAlerts } from './generated/index.js';
 *
 * declare const userId: string;
 * const pageSize: Limit = 25;
 * // const tooMany: Limit = 500; // does not compile
 * await listAlerts(db, { userId, limit: pageSize, cursor: null });
 * ```
 */
export type Limit = Exclude<Range<101>, 0>;

/**
 * The largest page size (the top of `Limit`): it bounds what one call can read, whatever the caller sends.
 *
 * @example
 * ```ts
 * import { MAX_LIMIT } from 'sqlbound';
 *
 * const url = new URL('https://api.example.com/alerts?limit=500');
 * const limit = Math.min(Number(url.searchParams.get('limit') ?? 50), MAX_LIMIT); // 100
 * ```
 */
export const MAX_LIMIT = 100;
/**
 * The page size limitInput applies when a request names none.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMIT } from 'sqlbound';
 *
 * const docs = `limit: 1 to 100, default ${DEFAULT_LIMIT}`;
 * ```
 */
export const DEFAULT_LIMIT = 50;

/**
 * Narrows a number (or anything) to `Limit`: an integer from 1 to MAX_LIMIT. For page sizes that do not come
 * through the generated zod schemas.
 *
 * @example
 * ```ts
 * import { isLimit } from 'sqlbound';
 * import { listAlerts } from './generated/index.js';
 *
 * declare const userId: string, url: URL;
 * const requested = Number(url.searchParams.get('limit') ?? 50);
 * if (!isLimit(requested)) throw new RangeError('limit must be an integer from 1 to 100');
 * const page = await listAlerts(db, { userId, limit: requested, cursor: null });
 * ```
 */
export function isLimit(value: unknown): value is Limit {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_LIMIT;
}

declare const cursorBrand: unique symbol;
/**
 * An opaque keyset cursor, branded with the query that issued it; sealed to its params at runtime (./cursor.ts).
 * The brand makes passing one query's cursor to another a compile error; the seal catches what the types cannot
 * see (a cursor from a client, another user's) with an InvalidCursorError.
 *
 * @example
 * ```ts
 * import type { Cursor } from 'sqlbound';
 * import { listAlerts } from './generated/index.js';
 *
 * declare const userId: string;
 * let cursor: Cursor<'listAlerts'> | null = null;
 * do {
 *   const page = await listAlerts(db, { userId, limit: 100, cursor });
 *   for (const alert of page.items) console.log(alert.title);
 *   cursor = page.nextCursor;
 * } while (cursor !== null);
 * ```
 */
export type Cursor<Query extends string> = string & { readonly [cursorBrand]: Query };

/**
 * What a `:list` query returns: at most `limit` rows, and the cursor of the next page, or null on the last one
 * (known without a count: the query reads one row more than it returns).
 *
 * @example
 * ```ts
 * import type { Page } from 'sqlbound';
 * import { listAlerts, type ListAlertsRow } from './generated/index.js';
 *
 * declare const userId: string;
 * const first: Page<ListAlertsRow, 'listAlerts'> = await listAlerts(db, { userId, limit: 50, cursor: null });
 * const second = first.nextCursor === null ? null : await listAlerts(db, { userId, limit: 50, cursor: first.nextCursor });
 * ```
 */
export type Page<Row, Query extends string> = { items: Row[]; nextCursor: Cursor<Query> | null };

export function assertLimit(query: string, limit: unknown): asserts limit is Limit {
  if (!isLimit(limit)) {
    throw new InvalidInputError(`limit for ${query} must be an integer from 1 to ${MAX_LIMIT}, got ${String(limit)}`, {
      queryName: query,
    });
  }
}
