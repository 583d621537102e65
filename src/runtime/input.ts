// zod building blocks for the generated input schemas: untrusted input in, the typed function's params out.
// Each schema's input type is the SDK's type (what a typed client such as tRPC's must send), and its checks are
// those of untrusted input (what curl may send): the types reach clients, the messages stay the same.
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
 * json and jsonb params: any value JSON can represent, typed as JsonValue on both sides (a typed client sends a JsonValue).
 *
 * @example
 * ```ts
 * import { jsonInput } from 'sqlbound';
 *
 * jsonInput.parse({ tags: ['a', 'b'], score: 1 }); // the same value, typed as JsonValue
 * ```
 */
export const jsonInput: z.ZodType<JsonValue, JsonValue> = z.json();

/**
 * A schema that checks nothing and says what a typed client sends: piped into the real checks, it makes a
 * schema's input type `T` while untyped input (curl, another language) still meets every check and its message.
 * Only the checks after it make the output type; the declared input type binds typed clients, it checks nothing.
 *
 * @example
 * const percent = clientType<1 | 2 | 3>().pipe(z.number().int().min(1).max(3));
 * type Sent = z.input<typeof percent>; // 1 | 2 | 3: a client sending 4 does not compile
 * percent.safeParse(4).success; // false, with zod's message: curl gets the same 400 as before
 */
export function clientType<T>() {
  // Handed on as unknown: zod's pipe wants the next schema to accept all this one outputs, and the checks that
  // follow take any value (a number schema reads a Limit, a string schema a Cursor).
  return z.custom<T>().transform((value): unknown => value);
}

const LIMIT_MESSAGE = `limit must be an integer from 1 to ${MAX_LIMIT}`;

/**
 * Page size for HTTP: default 50, integers 1..100 only. Input and output are the `Limit` type the functions
 * require, so a typed client's `101`, `0`, `2.5` or plain `number` does not compile; untyped input is checked
 * with the messages below.
 *
 * @example
 * limitInput.parse(undefined); // 50
 * limitInput.safeParse(101).error?.issues[0]?.message; // 'limit must be at most 100'
 */
export const limitInput = clientType<Limit>()
  .pipe(
    z
      .number({ error: LIMIT_MESSAGE })
      .int({ error: LIMIT_MESSAGE })
      .min(1, { error: `limit must be at least 1` })
      .max(MAX_LIMIT, { error: `limit must be at most ${MAX_LIMIT}` }),
  )
  .pipe(z.custom<Limit>((value) => isLimit(value)))
  .default(DEFAULT_LIMIT);

/**
 * A cursor as issued by the same query, or null (the default) for the first page. Its input type is the
 * query's branded `Cursor`, so a typed client can pass back only that query's `nextCursor`; it is opened, and
 * its context checked, when the query runs.
 *
 * @example
 * const cursor = cursorInput<'listAlerts'>();
 * type Sent = z.input<typeof cursor>; // Cursor<'listAlerts'> | null | undefined
 * cursor.parse(undefined); // null
 */
export function cursorInput<Query extends string>() {
  return clientType<Cursor<Query> | null>()
    .pipe(z.string().max(MAX_CURSOR_LENGTH).nullable())
    .pipe(z.custom<Cursor<Query> | null>((value) => value === null || typeof value === 'string'))
    .default(null);
}
