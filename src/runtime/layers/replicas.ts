// The replica layer: a read codegen proved read-only goes to a replica when its query says `-- replica: ok` or the
// call passes `{ replica: true }` (`{ replica: false }` keeps it on the primary). The replica set picks a replica
// that is up, within the lag bound and past the caller's last write, or hands the read to the next step (the
// primary). Present only when the db has replicas.
import type { ReplicaSet } from '../replicas.js';
import type { Layer } from './layer.js';

export function replicaLayer(replicas: ReplicaSet): Layer {
  return (next) => (statement, values, options) =>
    statement.readOnly === true && (options?.replica ?? statement.replica === true)
      ? replicas.read(statement, values, next)
      : next(statement, values, options);
}
