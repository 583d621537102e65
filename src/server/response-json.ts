// A procedure's answer as response text, written by the codegen writer of its result type when the procedure
// named one (generated/*.json.ts): straight-line code over the row's known fields instead of JSON.stringify
// discovering the shape of every row (bench/response-json.ts: 0.57-0.61× its CPU on the example's rows).
// The writer travels with the value it can write, so a procedure that returns something else (an error path,
// a later change) falls back to JSON.stringify, never to a writer of another type.
const writers = new WeakMap<object, (value: never) => string>();

/**
 * Marks a procedure's result as written by `write`, the writer codegen emitted for its type.
 *
 * @example
 * ```ts
 * const withWriter = writtenBy(getDashboardJson); // once, at module level
 * get: authedProcedure.query(({ ctx }) => getDashboard(ctx.db, { userId: ctx.userId }).then(withWriter)),
 * ```
 */
export function writtenBy<T>(write: (value: T) => string): (value: T) => T {
  return (value) => {
    // null (a :maybe query that found nothing) is written as JSON.stringify writes it.
    if (typeof value === 'object' && value !== null) writers.set(value, write);
    return value;
  };
}

/** tRPC's success envelope around `data`, byte for byte what `JSON.stringify({ result: { data } })` writes. */
export function resultBody(data: unknown): string {
  const write = typeof data === 'object' && data !== null ? writers.get(data) : undefined;
  return write === undefined ? JSON.stringify({ result: { data } }) : `{"result":{"data":${write(data as never)}}}`;
}
