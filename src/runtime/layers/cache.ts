// The cache layer, outermost: a `-- cache:` statement reads through the result cache (a hit never reaches the layers
// below), and every other statement tells a `derive` computation in progress that it ran outside the cache.
import { noteUncachedStatement, type QueryCache } from '../cache.js';
import type { CallOptions } from '../contract.js';
import type { Layer } from './layer.js';

/**
 * A miss that fills the cache reads the primary: a lagging replica must not store, for every instance, a result that
 * a write has just invalidated. One constant, so a miss allocates no options object of its own.
 */
const PRIMARY: CallOptions = { replica: false };

/** `cache` null (disabled): statements still count as uncached for a derive of another cache. */
export function cacheLayer(cache: QueryCache | null): Layer {
  return (next) => (statement, values, options) => {
    const policy = statement.cache;
    if (cache === null || policy === undefined || options?.bypassCache === true) {
      noteUncachedStatement();
      return next(statement, values, options);
    }
    return cache.read(statement.name, policy, values, () => next(statement, values, PRIMARY));
  };
}
