// The cache layer, outermost: a `-- cache:` statement reads through the result cache (a hit never reaches the layers
// below), and every other statement tells a `derive` computation in progress that it ran outside the cache.
import { noteUncachedStatement, type QueryCache } from '../cache.js';
import type { CallOptions } from '../contract.js';
import type { ReadTables } from '../kysely-invalidation.js';
import type { Layer } from './layer.js';

/**
 * A miss that fills the cache reads the primary: a lagging replica must not store, for every instance, a result that
 * a write has just invalidated. One constant, so a miss allocates no options object of its own.
 */
const PRIMARY: CallOptions = { replica: false };

/**
 * `cache` null (disabled): statements still count as uncached for a derive of another cache. `readTables` learns
 * the tables of the cached reads, which raw SQL through Kysely invalidates when it cannot say what it wrote.
 */
export function cacheLayer(cache: QueryCache | null, readTables?: ReadTables): Layer {
  return (next) => (statement, values, options) => {
    const policy = statement.cache;
    if (cache === null || policy === undefined || options?.bypassCache === true) {
      noteUncachedStatement();
      return next(statement, values, options);
    }
    readTables?.note(policy);
    return cache.read(statement.name, policy, values, () => next(statement, values, PRIMARY));
  };
}
