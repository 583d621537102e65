// A PostgreSQL `date` is a calendar day, not an instant. sqlbound reads it as that day's midnight UTC and writes a
// Date param as its UTC calendar day, so the day never depends on the process's time zone (node-postgres's own
// defaults use local time: under TZ=America/Los_Angeles a `new Date('2024-05-01')` was stored as 2024-04-30).
import pg from 'pg';

const DATE_OID = 1082;
const DATE_ARRAY_OID = 1182;
const CALENDAR_DAY = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;

/**
 * A `date` column's text as midnight UTC of that day; `infinity` and `-infinity` as an invalid Date's neighbours
 * are kept as node-postgres gives them (the numbers Infinity and -Infinity are not Dates, so they stay strings).
 *
 * @example
 * ```ts
 * import { parseCalendarDate } from 'sqlbound';
 *
 * parseCalendarDate('2024-05-01').toISOString(); // '2024-05-01T00:00:00.000Z', whatever TZ is
 * ```
 */
export function parseCalendarDate(text: string): Date {
  const match = CALENDAR_DAY.exec(text);
  if (match === null) return new Date(text);
  const [, year = '0', month = '1', day = '1', bc] = match;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0..99 as 1900..1999.
  date.setUTCFullYear(bc === undefined ? Number(year) : 1 - Number(year), Number(month) - 1, Number(day));
  return date;
}

/**
 * A Date param of a `date` column as its UTC calendar day (`YYYY-MM-DD`), null as null. Generated code calls it.
 *
 * @example
 * ```ts
 * import { calendarDate } from 'sqlbound';
 *
 * calendarDate(new Date('2024-05-01')); // '2024-05-01', whatever TZ is
 * ```
 */
export function calendarDate(value: Date | null): string | null {
  if (value === null) return null;
  if (Number.isNaN(value.getTime())) throw new RangeError('a date param is an invalid Date');
  return value.toISOString().slice(0, 10);
}

/**
 * Each of a `date[]` param's Dates as its UTC calendar day. Generated code calls it.
 *
 * @example
 * ```ts
 * import { calendarDates } from 'sqlbound';
 *
 * calendarDates([new Date('2024-05-01'), null]); // ['2024-05-01', null]
 * ```
 */
export function calendarDates(values: readonly (Date | null)[] | null): (string | null)[] | null {
  return values === null ? null : values.map(calendarDate);
}

// text[]'s parser (1009): date[] has the same array syntax.
const parseTextArray = pg.types.getTypeParser(1009 as Parameters<typeof pg.types.getTypeParser>[0]) as (text: string) => (string | null)[];
const parseDateArray = (text: string) => parseTextArray(text).map((item) => (item === null ? null : parseCalendarDate(item)));

/** node-postgres's parsers with `date` and `date[]` read in UTC: given to the pool's clients and to cursors. */
export const calendarTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary' && oid === DATE_OID) return parseCalendarDate;
    if (format !== 'binary' && oid === DATE_ARRAY_OID) return parseDateArray;
    return pg.types.getTypeParser(oid, format) as (text: string) => unknown;
  }) as pg.CustomTypesConfig['getTypeParser'],
};
