// The read-your-writes layer: after a statement that may have written (codegen did not prove it read-only), the
// caller's WAL position is recorded, so that the replica layer below serves this caller's later reads only from a
// replica that has replayed past it. Present only when the db has replicas.
import { thenAfter, type Layer } from './layer.js';

/** `afterWrite` records the caller's position (./read-your-writes.ts, `writePositionRecorder`). */
export function readYourWritesLayer(afterWrite: () => Promise<void>): Layer {
  return (next) => (statement, values, options) =>
    statement.readOnly === true ? next(statement, values, options) : thenAfter(next, statement, values, options, afterWrite);
}
