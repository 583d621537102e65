// The builtins the analysis may call non-null. `proisstrict` only says NULL in gives NULL out; it does not
// say non-NULL in gives non-NULL out (`->`, `array_length('{}', 1)`, `to_char(ts, '')`, `extract` of
// infinity, `scale('NaN')` all return NULL on non-null input). So this is an explicit list, and
// test/codegen/nonnull.test.ts runs every pg_catalog overload of every name here on edge-case values
// (empty strings and arrays, arrays holding NULL, NaN, infinity, JSON null) and fails on any NULL.
// A name is trusted only for pg_catalog: a user function or operator of the same name voids it (see catalog.ts).

/** Never NULL, whatever the arguments (NULL arguments included). */
export const ALWAYS_NON_NULL = [
  'concat',
  'json_build_object',
  'jsonb_build_object',
  'json_build_array',
  'jsonb_build_array',
  'num_nulls',
  'num_nonnulls',
  'pg_typeof',
  'quote_nullable',
] as const;

/** Never NULL when every argument is non-null (zero-argument functions included). */
export const NON_NULL_ON_NON_NULL = [
  // strings
  'lower',
  'upper',
  'initcap',
  'length',
  'char_length',
  'character_length',
  'octet_length',
  'bit_length',
  'btrim',
  'ltrim',
  'rtrim',
  'lpad',
  'rpad',
  'left',
  'right',
  'repeat',
  'replace',
  'reverse',
  'translate',
  'substr',
  'strpos',
  'position',
  'overlay',
  'split_part',
  'starts_with',
  'md5',
  'sha256',
  'sha512',
  'encode',
  'decode',
  'quote_ident',
  'quote_literal',
  'ascii',
  'to_hex',
  'regexp_replace',
  'regexp_like',
  'regexp_count',
  'like_escape',
  'similar_to_escape',
  'string_to_array',
  'array_to_string',
  // numbers
  'abs',
  'round',
  'floor',
  'ceil',
  'ceiling',
  'trunc',
  'sign',
  'mod',
  'div',
  'gcd',
  'lcm',
  'sqrt',
  'cbrt',
  'exp',
  'ln',
  'log',
  'power',
  'random',
  // dates and times
  'date_trunc',
  'age',
  'justify_days',
  'justify_hours',
  'justify_interval',
  'isfinite',
  'now',
  'clock_timestamp',
  'statement_timestamp',
  'transaction_timestamp',
  'timeofday',
  // json
  'to_json',
  'to_jsonb',
  'json_typeof',
  'jsonb_typeof',
  'json_array_length',
  'jsonb_array_length',
  'jsonb_strip_nulls',
  'json_strip_nulls',
  'jsonb_pretty',
  'jsonb_set',
  'jsonb_insert',
  'array_to_json',
  // arrays
  'cardinality',
  'array_append',
  'array_prepend',
  'array_cat',
  'array_remove',
  'array_replace',
  'array_positions',
  // session and misc
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'current_database',
  'version',
  'pg_backend_pid',
] as const;

/** Never NULL when the first argument is non-null: the separator of concat_ws, the format string of format. */
export const NON_NULL_WHEN_FIRST_NON_NULL = ['concat_ws', 'format'] as const;

/** Window functions whose value depends only on the frame's position, never on a NULL input row. */
export const NON_NULL_WINDOW = ['row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'count'] as const;

/** Operators never NULL when both operands are non-null (not `->`, `->>`, `#>`, `#>>`, `@?`, `@@`). */
export const NON_NULL_OPERATORS = [
  '=',
  '<>',
  '<',
  '>',
  '<=',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '||',
  '~',
  '~*',
  '!~',
  '!~*',
  '~~',
  '~~*',
  '!~~',
  '!~~*',
  '@>',
  '<@',
  '&&',
  '?',
  '?|',
  '?&',
  '&',
  '|',
  '<<',
  '>>',
  '#-',
  '@',
  '|/',
  '||/',
] as const;

/**
 * Names above that hold only for some argument types, by pg_type.typcategory: lower and upper of a range are
 * NULL for an empty or unbounded range, so they are trusted only on strings; path + path is NULL for a closed
 * path, so + is not trusted on geometric types. The analysis applies a guard only when it knows the
 * argument's type; an unknown type fails the guard. (`#` is left off: box # box is NULL when they do not meet.)
 */
/**
 * Casts PostgreSQL turns into NULL on non-null input, by pg_type name: a JSON null cast to a scalar, an
 * infinite timestamp cast to a time. Every other pg_catalog cast is non-null on non-null input (input
 * functions may not return NULL); test/codegen/nonnull.test.ts runs them all. When the analysis does not
 * know the source type, a cast to one of these targets is nullable.
 */
export const NULLABLE_CASTS: readonly (readonly [string, string])[] = [
  ['jsonb', 'bool'],
  ['jsonb', 'numeric'],
  ['jsonb', 'int2'],
  ['jsonb', 'int4'],
  ['jsonb', 'int8'],
  ['jsonb', 'float4'],
  ['jsonb', 'float8'],
  ['timestamp', 'time'],
  ['timestamptz', 'time'],
  ['timestamptz', 'timetz'],
];

export const FUNCTION_FIRST_ARGUMENT_CATEGORIES: Readonly<Record<string, string>> = { lower: 'S', upper: 'S' };
export const OPERATOR_EXCLUDED_CATEGORIES: Readonly<Record<string, string>> = { '+': 'G' };

/** Operators that are strict (NULL on a NULL operand), so a row passing `x op y` has x and y non-null. */
export const NULL_REJECTING_OPERATORS = ['=', '<>', '<', '>', '<=', '>=', '~~', '~~*', '!~~', '!~~*', '~', '~*', '!~', '!~*'] as const;

/** Set-returning functions in FROM whose columns are known, and which of them are never NULL. */
export const FROM_FUNCTIONS: Record<string, { columns: { name: string | null; nonNull: boolean }[]; minArgs?: number; maxArgs?: number }> =
  {
    // name null: the column is named after the alias, or the function when there is none.
    generate_series: { columns: [{ name: null, nonNull: true }] },
    generate_subscripts: { columns: [{ name: null, nonNull: true }] },
    jsonb_array_elements: { columns: [{ name: 'value', nonNull: true }] },
    json_array_elements: { columns: [{ name: 'value', nonNull: true }] },
    jsonb_array_elements_text: { columns: [{ name: 'value', nonNull: false }] },
    json_array_elements_text: { columns: [{ name: 'value', nonNull: false }] },
    jsonb_each: {
      columns: [
        { name: 'key', nonNull: true },
        { name: 'value', nonNull: true },
      ],
    },
    json_each: {
      columns: [
        { name: 'key', nonNull: true },
        { name: 'value', nonNull: true },
      ],
    },
    jsonb_each_text: {
      columns: [
        { name: 'key', nonNull: true },
        { name: 'value', nonNull: false },
      ],
    },
    json_each_text: {
      columns: [
        { name: 'key', nonNull: true },
        { name: 'value', nonNull: false },
      ],
    },
    jsonb_object_keys: { columns: [{ name: null, nonNull: true }] },
    json_object_keys: { columns: [{ name: null, nonNull: true }] },
    regexp_split_to_table: { columns: [{ name: null, nonNull: true }] },
    // The three-argument form turns a matching field into NULL.
    string_to_table: { columns: [{ name: null, nonNull: true }], maxArgs: 2 },
  };

export const alwaysNonNull: ReadonlySet<string> = new Set(ALWAYS_NON_NULL);
export const nonNullOnNonNull: ReadonlySet<string> = new Set(NON_NULL_ON_NON_NULL);
export const nonNullWhenFirst: ReadonlySet<string> = new Set(NON_NULL_WHEN_FIRST_NON_NULL);
export const nonNullWindow: ReadonlySet<string> = new Set(NON_NULL_WINDOW);
export const nonNullOperators: ReadonlySet<string> = new Set(NON_NULL_OPERATORS);
export const nullRejectingOperators: ReadonlySet<string> = new Set(NULL_REJECTING_OPERATORS);
