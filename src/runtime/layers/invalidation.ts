// The invalidation layer: after a statement with a write effect, the cached results that read what it wrote are
// dropped (the manifest's tables, per user when the write is confined to one). Inside a transaction the same drop
// waits for COMMIT (`deferredInvalidation`): a rolled-back write must not empty the cache, and a read between the
// write and the commit must not refill it with the old rows for good.
import type { QueryCache } from '../cache.js';
import { thenAfter, type Layer } from './layer.js';

export function invalidationLayer(cache: QueryCache): Layer {
  return (next) => (statement, values, options) => {
    const { effect } = statement;
    // A read passes through as it is: no await, no promise of this layer's own.
    if (effect === undefined) return next(statement, values, options);
    return thenAfter(next, statement, values, options, () => cache.invalidate(statement.name, effect, values));
  };
}

/** The transaction's form: the drop is registered to run after the outermost COMMIT. */
export function deferredInvalidation(cache: QueryCache, afterCommit: (callback: () => Promise<void>) => void): Layer {
  return (next) => (statement, values, options) => {
    const { effect } = statement;
    if (effect === undefined) return next(statement, values, options);
    return thenAfter(next, statement, values, options, () => afterCommit(() => cache.invalidate(statement.name, effect, values)));
  };
}
