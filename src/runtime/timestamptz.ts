// timestamptz text as PostgreSQL writes it (DateStyle ISO), read into a Date without a regular expression. pg's own
// parser (postgres-date) runs three regular expressions and a split per value: about 1.5 µs, a third of a 50-row
// page's Node CPU went there (issue 30). This one reads the fixed positions, and hands anything else (BC, years
// outside 1000-9999, infinity, an offset with seconds, another DateStyle) to pg's parser, so results never differ.
import pg from 'pg';
import { calendarTypes } from './calendar-date.js';

const TIMESTAMPTZ_OID = 1184;
const INT8_OID = 20;
const asText = (text: string): string => text;
const pgParser = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => unknown;

const digit = (text: string, at: number): number => text.charCodeAt(at) - 48;
const isDigit = (code: number): boolean => code >= 48 && code <= 57;

/** Two ASCII digits at `at`, or -1 when either is not a digit. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at);
  const units = text.charCodeAt(at + 1);
  return isDigit(tens) && isDigit(units) ? (tens - 48) * 10 + (units - 48) : -1;
}

/** `+HH`, `-HH`, `+HH:MM` from `at` to the end, in minutes; null for anything else (seconds, a missing sign). */
function offsetMinutes(text: string, at: number): number | null {
  const sign = text.charCodeAt(at);
  if (sign !== 43 && sign !== 45) return null;
  const hours = twoDigits(text, at + 1);
  if (hours < 0) return null;
  let minutes = hours * 60;
  if (text.length === at + 6 && text.charCodeAt(at + 3) === 58) {
    const extra = twoDigits(text, at + 4);
    if (extra < 0) return null;
    minutes += extra;
  } else if (text.length !== at + 3) return null;
  return sign === 45 ? -minutes : minutes;
}

const SPACE = 32;
const LETTER_T = 84;

/**
 * The fast path, or null when the text is not the common shape. `separator` is what stands between the date and
 * the time: a space in a column's text, a T in JSON (to_json of a timestamptz, as includes carry them).
 */
function fastTimestamptz(text: string, separator: number): Date | null {
  // YYYY-MM-DD HH:MM:SS at fixed positions; a year of 1000-9999 (postgres-date maps years 0-99 its own way).
  if (text.length < 22 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== separator) return null;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return null;
  const high = twoDigits(text, 0);
  const low = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (high < 10 || low < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return null;
  let at = 19;
  let milliseconds = 0;
  if (text.charCodeAt(at) === 46) {
    // Fractional seconds: milliseconds are the first three digits (postgres-date truncates the rest too).
    at += 1;
    let scale = 100;
    while (at < text.length && isDigit(text.charCodeAt(at))) {
      milliseconds += digit(text, at) * scale;
      scale /= 10;
      at += 1;
    }
    milliseconds = Math.trunc(milliseconds);
  }
  const offset = offsetMinutes(text, at);
  if (offset === null) return null;
  return new Date(Date.UTC(high * 100 + low, month - 1, day, hour, minute, second, milliseconds) - offset * 60_000);
}

/**
 * A timestamptz column's text as a Date, the same Date pg's default parser gives (or its result for a text this
 * one does not read: infinity, BC, an offset with seconds).
 *
 * @example
 * ```ts
 * import { parseTimestamptz } from 'sqlbound';
 *
 * parseTimestamptz('2026-12-07 22:30:00.123456+00'); // 2026-12-07T22:30:00.123Z
 * parseTimestamptz('2026-12-07 23:30:00+01'); // the same instant, without the microseconds
 * ```
 */
export function parseTimestamptz(text: string): unknown {
  return fastTimestamptz(text, SPACE) ?? pgParser(text);
}

/**
 * A timestamptz as PostgreSQL writes it in JSON (`2026-12-07T22:30:00.123456+00:00`), as a Date: the Date
 * `new Date(text)` gives, for about half its cost (a dashboard revives 23 of them); other texts go to `new Date`.
 */
export function parseJsonTimestamp(text: string): Date {
  return fastTimestamptz(text, LETTER_T) ?? new Date(text);
}

type TypeParser = (text: string) => unknown;

/**
 * The type parsers of generated statements: the pool's (`calendarTypes`: date as a calendar day), but timestamptz read by `parseTimestamptz` and int8 kept as its
 * text (what pg's parser returns too, after a regular expression). Passed per query
 * (pg's `types` option), so pg's global parsers, and what Kysely or the application read with them, are untouched.
 */
export const statementTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): TypeParser {
    if (format !== 'binary') {
      if (oid === TIMESTAMPTZ_OID) return parseTimestamptz;
      // pg's int8 parser tests the text against /^\d+$/ and returns it either way: the text itself, without the test.
      if (oid === INT8_OID) return asText;
    }
    // date and date[] as calendar days, like every other read through the pool.
    return calendarTypes.getTypeParser(oid, format ?? 'text') as TypeParser;
  },
};
