// zod building blocks for the generated input schemas: untrusted input in, the typed function's params out.
import { z } from 'zod';
import { MAX_CURSOR_LENGTH } from './cursor.js';
import type { JsonValue } from './json.js';
import { DEFAULT_LIMIT, isLimit, MAX_LIMIT, type Cursor, type Limit } from './pagination.js';

/**
 * int8 travels as a decimal string: exact beyond 2^53 and JSON-safe. Only the canonical spelling is accepted
 * (`0`, or an optional `-` and digits without a leading zero): `07`, `+7`, `-0` and ` 7` are refused, never read
 * as 7, so what a caller sends is what the database compares and what an answer echoes.
 *
 * @example
 * ```ts
 * import { int8Input } from 'sqlbound';
 *
 * int8Input.parse('9007199254740993'); // '9007199254740993', exact
 * int8Input.safeParse('07').success; // false
 * ```
 */
export const int8Input = z
  .string()
  // abort: the range check below must not run (BigInt would throw) on text that is not a number.
  .regex(/^(0|-?[1-9]\d{0,18})$/, {
    error: 'expected an integer as a canonical decimal string (no leading zeros, "+", spaces or "-0")',
    abort: true,
  })
  .refine((value) => BigInt(value) >= -(2n ** 63n) && BigInt(value) < 2n ** 63n, 'out of range for int8');

/**
 * numeric travels as a decimal string, like int8, so no digit is lost to a float on the way in.
 *
 * @example
 * ```ts
 * import { numericInput } from 'sqlbound';
 *
 * numericInput.parse('19.99'); // '19.99'
 * numericInput.safeParse('1e3').success; // false
 * ```
 */
export const numericInput = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal number as a string');

/**
 * int2 and int4 params: a JSON number that is an integer in int4's range, so overflow is a 400 from the schema,
 * not an error from the database.
 *
 * @example
 * ```ts
 * import { int4Input } from 'sqlbound';
 *
 * int4Input.parse(42); // 42
 * int4Input.safeParse(2 ** 31).success; // false
 * ```
 */
export const int4Input = z.number().int().min(-2147483648).max(2147483647);

/**
 * json and jsonb params: any value JSON can represent, typed as JsonValue.
 *
 * @example
 * ```ts
 * import { jsonInput } from 'sqlbound';
 *
 * jsonInput.parse({ tags: ['a', 'b'], score: 1 }); // the same value, typed as JsonValue
 * ```
 */
export const jsonInput: z.ZodType<JsonValue> = z.json();

/**
 * Page size for HTTP: default 50 (DEFAULT_LIMIT), integers 1..MAX_LIMIT only; the output is the `Limit` type the
 * functions require.
 *
 * @example
 * ```ts
 * import { limitInput, z } from 'sqlbound';
 *
 * const query = z.object({ limit: limitInput });
 * query.parse({}).limit; // 50, typed Limit
 * query.safeParse({ limit: 101 }).success; // false
 * ```
 */
export const limitInput = z
  .number({ error: `limit must be an integer from 1 to ${MAX_LIMIT}` })
  .int({ error: `limit must be an integer from 1 to ${MAX_LIMIT}` })
  .min(1, { error: `limit must be at least 1` })
  .max(MAX_LIMIT, { error: `limit must be at most ${MAX_LIMIT}` })
  .default(DEFAULT_LIMIT)
  .pipe(z.custom<Limit>((value) => isLimit(value)));

/**
 * A cursor string as issued by the same query; it is opened, and its context checked, when the query runs.
 * Absent means null, the first page. The schema only bounds its length: whether it is genuine needs the secret.
 *
 * @example
 * ```ts
 * import { cursorInput, limitInput, z } from 'sqlbound';
 *
 * const input = z.object({ limit: limitInput, cursor: cursorInput<'listAlerts'>() });
 * const { limit, cursor } = input.parse({ limit: 20 }); // cursor: null
 * const page = await listAlerts(db, { userId, limit, cursor });
 * ```
 */
export function cursorInput<Query extends string>() {
  return z
    .string()
    .max(MAX_CURSOR_LENGTH)
    .nullable()
    .default(null)
    .pipe(z.custom<Cursor<Query> | null>((value) => value === null || typeof value === 'string'));
}
