// SQL identifiers, quoted once for everyone: the runtime, codegen's composed statements, the audit's fixes and the
// database helpers all spell names through these two functions.

/**
 * `name` as a quoted identifier, safe for any name (`"my ""odd"" table"`).
 *
 * @example
 * ```ts
 * import { quoteIdentifier } from 'sqlbound';
 *
 * quoteIdentifier('user'); // '"user"'
 * ```
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * `name` bare when it is a plain lower-case identifier, quoted otherwise: for statements people read (the audit's
 * `CREATE INDEX` fixes). Quoting is still needed for a reserved word; the names this prints come from the catalog.
 *
 * @example
 * ```ts
 * import { readableIdentifier } from 'sqlbound';
 *
 * readableIdentifier('alerts'); // 'alerts'
 * readableIdentifier('Alerts'); // '"Alerts"'
 * ```
 */
export function readableIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : quoteIdentifier(name);
}
