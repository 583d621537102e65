// Bounded waiting: shutdown paths wait for things that may never finish (a pool whose client is stuck, an HTTP
// drain), and must go on after a deadline instead.

/**
 * Whether `promise` settled (resolved or rejected) within `ms`; it keeps running either way. For shutdown paths that
 * must go on after a deadline (the runtime's own pool drain uses it).
 *
 * @example
 * ```ts
 * import { settlesWithin } from 'sqlbound';
 *
 * const drained = await settlesWithin(new Promise((resolve) => setTimeout(resolve, 50)), 1_000);
 * if (!drained) console.error('still draining after 1 s; going on');
 * ```
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolveTimer) => (timer = setTimeout(() => resolveTimer(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}
