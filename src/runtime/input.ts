// zod building blocks for the generated input schemas: untrusted input in, the typed function's params out.
import { z } from 'zod';
import { MAX_CURSOR_LENGTH } from './cursor.js';
import type { JsonValue } from './json.js';
import { DEFAULT_LIMIT, isLimit, MAX_LIMIT, type Cursor, type Limit } from './pagination.js';

/**
 * int8 travels as a decimal string: exact beyond 2^53 and JSON-safe. Only the canonical spelling is accepted
 * (`0`, or an optional `-` and digits without a leading zero): `07`, `+7`, `-0` and ` 7` are refused, never read
 * as 7, so what a caller sends is what the database compares and what an answer echoes.
 */
export const int8Input = z
  .string()
  // abort: the range check below must not run (BigInt would throw) on text that is not a number.
  .regex(/^(0|-?[1-9]\d{0,18})$/, {
    error: 'expected an integer as a canonical decimal string (no leading zeros, "+", spaces or "-0")',
    abort: true,
  })
  .refine((value) => BigInt(value) >= -(2n ** 63n) && BigInt(value) < 2n ** 63n, 'out of range for int8');

export const numericInput = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal number as a string');

export const int4Input = z.number().int().min(-2147483648).max(2147483647);

export const jsonInput: z.ZodType<JsonValue> = z.json();

/** Page size for HTTP: default 50 (DEFAULT_LIMIT), integers 1..MAX_LIMIT only; the output is the `Limit` type the functions require. */
export const limitInput = z
  .number({ error: `limit must be an integer from 1 to ${MAX_LIMIT}` })
  .int({ error: `limit must be an integer from 1 to ${MAX_LIMIT}` })
  .min(1, { error: `limit must be at least 1` })
  .max(MAX_LIMIT, { error: `limit must be at most ${MAX_LIMIT}` })
  .default(DEFAULT_LIMIT)
  .pipe(z.custom<Limit>((value) => isLimit(value)));

/** A cursor string as issued by the same query; it is opened, and its context checked, when the query runs. */
export function cursorInput<Query extends string>() {
  return z
    .string()
    .max(MAX_CURSOR_LENGTH)
    .nullable()
    .default(null)
    .pipe(z.custom<Cursor<Query> | null>((value) => value === null || typeof value === 'string'));
}
