// What db.execute is made of: a chain of layers over one step that reaches the executor, composed once in createDb,
// as Kysely's plugins see every query on its way through one executor. Each layer is a function that takes the
// next step and returns a step that does its one job around it (serve from the cache, drop invalidated entries,
// record the writer's WAL position, route a read to a replica) and otherwise hands the call on untouched.
import type { CallOptions, Rows, Statement } from '../contract.js';

/** One step of a generated call: a statement, its values and the call's options, to its rows or a typed error. */
export type Step = <Row>(statement: Statement, values: readonly unknown[], options?: CallOptions) => Promise<Rows<Row>>;

/**
 * A layer wraps the next step. It is built once per db handle, not per call: a call that a layer has nothing to do
 * for must pass through it with no allocation and no extra promise (return `next(...)` itself, not an awaited copy).
 */
export type Layer = (next: Step) => Step;

/** `layers` outermost first: `compose([a, b], bottom)` is `a(b(bottom))`; a call meets `a` first. */
export function compose(layers: readonly Layer[], bottom: Step): Step {
  return layers.reduceRight<Step>((next, layer) => layer(next), bottom);
}

/**
 * The next step, then `after` once it succeeded, then its rows: how a layer acts on a call's success (drop cached
 * entries, record a WAL position). A failed step rejects as it is and `after` does not run.
 */
export async function thenAfter<Row>(
  next: Step,
  statement: Statement,
  values: readonly unknown[],
  options: CallOptions | undefined,
  after: () => Promise<void> | void,
): Promise<Rows<Row>> {
  const result = await next<Row>(statement, values, options);
  await after();
  return result;
}
