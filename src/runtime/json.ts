/**
 * A value that JSON.parse can return: the runtime type of json and jsonb columns, and of json params. Narrower
 * than `unknown`, so a Date or a function cannot be passed where the column would store something else.
 *
 * @example
 * ```ts
 * import type { JsonValue } from 'sqlbound';
 *
 * const details: JsonValue = { source: 'broker', fields: ['email', 'phone'], confidence: 0.9 };
 * ```
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
