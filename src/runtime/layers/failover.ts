// The failover layer: a statement the primary refuses as read-only (25006: the host this pool writes to was
// demoted, or a replica was promoted elsewhere) makes the next connection ask the hosts again for the writable one.
// Present only when the connection string names several hosts.
import { sqlStateOf } from '../errors.js';
import type { WritableHost } from '../writable-host.js';
import type { Layer } from './layer.js';

export function failoverLayer(resolver: WritableHost): Layer {
  return (next) => (statement, values, options) =>
    next<never>(statement, values, options).catch((error: unknown) => {
      const cause: unknown = error instanceof Error ? error.cause : undefined;
      if (sqlStateOf(cause) === '25006' || sqlStateOf(error) === '25006') resolver.invalidate();
      throw error;
    });
}
