// Copies of cached values for the default store (./memory-store.ts): a copy of the value set and a copy per read,
// so no two callers share a row (revive.ts changes rows in place). Rows are plain data: what pg and JSON.parse
// make (objects, arrays, strings, numbers, booleans, null, Dates, Buffers) and what revival adds (bigints). Those
// are copied by a walk; anything else goes to structured clone, which also refuses what cannot be copied (a
// function). The walk costs a fraction of v8.serialize, which cost a dashboard miss about 50 µs (issue 30).

/** Deeper than any row: a cycle (not plain data) goes to structured clone, which handles it. */
const MAX_DEPTH = 64;

/** Bytes counted during a copy, or null when the caller does not need them (a read). */
type Tally = { bytes: number } | null;

function copyAt(value: unknown, depth: number, tally: Tally): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' || typeof value === 'symbol') return structuredClone(value); // throws DataCloneError
    if (tally !== null) tally.bytes += typeof value === 'string' ? value.length + 8 : 8;
    return value;
  }
  if (depth > MAX_DEPTH) {
    if (tally !== null) tally.bytes += 1024;
    return structuredClone(value);
  }
  if (tally !== null) tally.bytes += 8;
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    const copy = new Array<unknown>(items.length);
    for (let k = 0; k < items.length; k++) copy[k] = copyAt(items[k], depth + 1, tally);
    return copy;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) {
    const source = value as Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(source)) {
      if (tally !== null) tally.bytes += key.length;
      const inner = copyAt(source[key], depth + 1, tally);
      // JSON.parse makes an own `__proto__` key; assigning it would set the copy's prototype instead.
      if (key === '__proto__') Object.defineProperty(copy, key, { value: inner, enumerable: true, writable: true, configurable: true });
      else copy[key] = inner;
    }
    return copy;
  }
  if (value instanceof Date) return new Date(value.getTime());
  if (Buffer.isBuffer(value)) {
    if (tally !== null) tally.bytes += value.byteLength;
    return Buffer.from(value);
  }
  if (tally !== null) tally.bytes += 1024;
  return structuredClone(value);
}

/**
 * A deep copy of plain data (a cached result): plain objects, arrays, Dates, Buffers and primitives walked;
 * anything else structured-cloned, which throws for what it cannot copy.
 */
export function copyValue<T>(value: T): T {
  return copyAt(value, 0, null) as T;
}

/**
 * A copy, and about how many bytes it holds, for the store's byte bound: a string by its length, a Buffer by its
 * bytes, 8 more per value and per property (of the order of v8.serialize's count, without encoding anything).
 */
export function measuredCopy<T>(value: T): { copy: T; bytes: number } {
  const tally = { bytes: 0 };
  const copy = copyAt(value, 0, tally) as T;
  return { copy, bytes: tally.bytes };
}
