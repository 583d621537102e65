// fast-check arbitraries from zod v4 schemas: values shaped like what a schema accepts, honouring the string,
// number, enum and object constraints the example API's inputs use. zod-fast-check supports zod 3 only.
// A schema kind this does not know is an error, not a silent `unknown`: a new router input must be covered.
import fc from 'fast-check';
import { safeParse, type z } from 'zod';

type Schema = z.core.$ZodType;
type Checks = readonly z.core.$ZodCheck<never>[] | undefined;

/** The constraints a string or number schema's checks set; refinements it cannot read are left to the schema. */
type Bounds = {
  minLength: number;
  maxLength: number | undefined;
  patterns: RegExp[];
  min: number | undefined;
  max: number | undefined;
  integer: boolean;
};

function boundsOf(checks: Checks): Bounds {
  const bounds: Bounds = { minLength: 0, maxLength: undefined, patterns: [], min: undefined, max: undefined, integer: false };
  for (const check of checks ?? []) {
    const def: Record<string, unknown> = { ...check._zod.def };
    const number = (key: string) => (typeof def[key] === 'number' ? def[key] : undefined);
    switch (def.check) {
      case 'min_length':
        bounds.minLength = Math.max(bounds.minLength, number('minimum') ?? 0);
        break;
      case 'max_length':
        bounds.maxLength = Math.min(bounds.maxLength ?? Infinity, number('maximum') ?? Infinity);
        break;
      case 'length_equals':
        bounds.minLength = number('length') ?? 0;
        bounds.maxLength = number('length');
        break;
      case 'string_format':
        if (def.pattern instanceof RegExp) bounds.patterns.push(def.pattern);
        break;
      case 'greater_than': {
        const value = number('value') ?? -Infinity;
        bounds.min = def.inclusive === true ? value : value + Number.EPSILON * Math.max(1, Math.abs(value));
        break;
      }
      case 'less_than': {
        const value = number('value') ?? Infinity;
        bounds.max = def.inclusive === true ? value : value - Number.EPSILON * Math.max(1, Math.abs(value));
        break;
      }
      case 'number_format':
        bounds.integer = def.format === 'safeint' || def.format === 'int32' || def.format === 'uint32';
        break;
      default:
        break; // overwrite (trim), custom refinements: the schema itself judges the value
    }
  }
  return bounds;
}

function stringArbitrary(schema: Schema, checks: Checks): fc.Arbitrary<string> {
  const arbitrary = stringCandidates(checks);
  // Overwrites (trim) run before the other checks: the string schema itself has the last word on a candidate.
  return arbitrary.filter((value) => safeParse(schema, value).success);
}

function stringCandidates(checks: Checks): fc.Arbitrary<string> {
  const { minLength, maxLength, patterns } = boundsOf(checks);
  const fits = (value: string) => value.length >= minLength && (maxLength === undefined || value.length <= maxLength);
  // Generate from the first pattern fast-check can build (it has no negated Unicode property classes, for
  // one); every pattern still filters, and so does the schema itself.
  for (const pattern of patterns) {
    let matching: fc.Arbitrary<string>;
    try {
      matching = fc.stringMatching(pattern);
    } catch {
      continue;
    }
    return matching.filter((value) => fits(value) && patterns.every((each) => each.test(value)));
  }
  // Short strings mostly, and strings of exactly the maximum length: the boundary a validator most often misses.
  const cap = Math.min(maxLength ?? 64, 64);
  // zod counts UTF-16 code units, and a grapheme can be several: the filter keeps the bounds exact.
  const short = fc.string({ minLength: Math.min(minLength, cap), maxLength: Math.max(cap, minLength), unit: 'grapheme' }).filter(fits);
  if (maxLength === undefined || maxLength > 1024) return short;
  return fc.oneof({ weight: 4, arbitrary: short }, { weight: 1, arbitrary: fc.string({ minLength: maxLength, maxLength }) });
}

function numberArbitrary(checks: Checks): fc.Arbitrary<number> {
  const { min, max, integer } = boundsOf(checks);
  if (integer) {
    return fc.integer({ min: Math.ceil(min ?? Number.MIN_SAFE_INTEGER), max: Math.floor(max ?? Number.MAX_SAFE_INTEGER) });
  }
  return fc.double({ min: min ?? -1e9, max: max ?? 1e9, noNaN: true, noDefaultInfinity: true });
}

function objectArbitrary(shape: Readonly<Record<string, Schema>>): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, zodArbitrary(field)]));
  // Keys a caller may leave out (optional, default, prefault) are sometimes left out, as JSON would.
  const requiredKeys = Object.entries(shape)
    .filter(([, field]) => field._zod.optin !== 'optional')
    .map(([key]) => key);
  return fc.record(fields, { requiredKeys });
}

/** The runtime's clientType<T>(): a custom schema without a check, handed on by a transform. */
function declaresOnly(schema: Schema): boolean {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  return def.type === 'pipe' && def.in._zod.def.type === 'custom' && def.out._zod.def.type === 'transform';
}

/** An arbitrary of values shaped like what `schema` accepts (cross-field refinements aside). */
export function zodArbitrary(schema: Schema): fc.Arbitrary<unknown> {
  // The union of zod's own kinds: the switch below narrows each definition by its `type`.
  const typed = schema as z.core.$ZodTypes;
  const def = typed._zod.def;
  switch (def.type) {
    case 'string':
      return stringArbitrary(schema, def.checks);
    case 'number':
      return numberArbitrary(def.checks);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries));
    case 'literal':
      return fc.constantFrom(...def.values);
    case 'nullable':
      return fc.option(zodArbitrary(def.innerType), { nil: null, freq: 4 });
    case 'optional':
    case 'default':
    case 'prefault':
      return fc.option(zodArbitrary(def.innerType), { nil: undefined, freq: 4 });
    case 'pipe':
      // The input side: what a caller sends. The output side (a custom brand, a transform) follows from it.
      // Except after clientType<T>(), which only declares a type and checks nothing: the checks come next.
      return zodArbitrary(declaresOnly(def.in) ? def.out : def.in);
    case 'array': {
      const { minLength, maxLength } = boundsOf(def.checks);
      return fc.array(zodArbitrary(def.element), { minLength, maxLength: Math.min(maxLength ?? 10, 10) });
    }
    case 'object':
      return objectArbitrary(def.shape);
    case 'union':
      return fc.oneof(...def.options.map((option) => zodArbitrary(option)));
    case 'custom':
    case 'unknown':
    case 'any':
      return fc.jsonValue();
    default:
      throw new Error(`zodArbitrary: zod schema kind "${def.type}" is not supported yet; add it here`);
  }
}
