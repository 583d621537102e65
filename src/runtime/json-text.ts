// The pieces codegen's JSON writers (generated/<module>.json.ts) are made of: each writes exactly the text
// JSON.stringify writes for one kind of value, at less cost for the values an API answers with. One copy here
// instead of one per generated module; test/codegen/emit-json.test.ts holds them to JSON.stringify.

// Without a quote, a backslash, a control character or a surrogate, a string is its own JSON text between quotes.
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON must escape
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * A string as JSON text: one regular-expression test instead of JSON.stringify's call for short plain strings.
 *
 * @example
 * ```ts
 * import { jsonString } from 'sqlbound';
 *
 * jsonString('data broker'); // '"data broker"'
 * ```
 */
export function jsonString(value: string): string {
  return value.length < 256 && PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * A number as JSON text (`null` for NaN and the infinities, as JSON.stringify writes them).
 *
 * @example
 * ```ts
 * import { jsonNumber } from 'sqlbound';
 *
 * jsonNumber(0.5); // '0.5'
 * ```
 */
export function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

const twoDigits = (value: number): string => (value < 10 ? `0${value}` : `${value}`);
const FIRST_FOUR_DIGIT_YEAR_MS = -62167219200000;
const AFTER_LAST_FOUR_DIGIT_YEAR_MS = 253402300800000;
const DAY_MS = 86400000;

/**
 * A Date as JSON text: toISOString's text between quotes, its fields by arithmetic on the epoch milliseconds
 * (Howard Hinnant's days-to-civil), about a third of toISOString's cost (bench/RESULTS.md). Years outside
 * 0000-9999, which toISOString writes with a sign and six digits, keep its text; an invalid Date is `null`.
 *
 * @example
 * ```ts
 * import { jsonDate } from 'sqlbound';
 *
 * jsonDate(new Date(Date.UTC(2026, 11, 8))); // '"2026-12-08T00:00:00.000Z"'
 * ```
 */
export function jsonDate(value: Date): string {
  const time = value.getTime();
  if (Number.isNaN(time)) return 'null';
  if (time < FIRST_FOUR_DIGIT_YEAR_MS || time >= AFTER_LAST_FOUR_DIGIT_YEAR_MS) return `"${value.toISOString()}"`;
  const days = Math.floor(time / DAY_MS);
  let ms = time - days * DAY_MS;
  const shifted = days + 719468;
  const era = Math.floor(shifted / 146097);
  const dayOfEra = shifted - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(ms / 3600000);
  ms -= hours * 3600000;
  const minutes = Math.floor(ms / 60000);
  ms -= minutes * 60000;
  const seconds = Math.floor(ms / 1000);
  ms -= seconds * 1000;
  const yearText = year < 1000 ? `000${year}`.slice(-4) : `${year}`;
  const msText = ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : `${ms}`;
  return `"${yearText}-${twoDigits(month)}-${twoDigits(day)}T${twoDigits(hours)}:${twoDigits(minutes)}:${twoDigits(seconds)}.${msText}Z"`;
}

/**
 * An array as JSON text, each element written by `write`.
 *
 * @example
 * ```ts
 * import { jsonList, jsonString } from 'sqlbound';
 *
 * jsonList(['a', 'b'], jsonString); // '["a","b"]'
 * ```
 */
export function jsonList<T>(rows: readonly T[], write: (row: T) => string): string {
  let text = '[';
  for (let index = 0; index < rows.length; index += 1) text += (index === 0 ? '' : ',') + write(rows[index] as T);
  return `${text}]`;
}
