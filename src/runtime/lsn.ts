// PostgreSQL WAL positions ('16/B374D848') as bigints, so they compare and order.

/**
 * A WAL position as PostgreSQL prints it (pg_current_wal_lsn(), pg_last_wal_replay_lsn()) as a bigint, because
 * the text form does not compare correctly as a string ('0/9' > '0/10'). Throws on anything else.
 *
 * @example
 * ```ts
 * import { parseLsn } from 'sqlbound';
 *
 * parseLsn('0/16B3748'); // 23803720n
 * parseLsn('1/0') > parseLsn('0/FFFFFFFF'); // true
 * ```
 */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (match === null) throw new Error(`not a WAL position: ${JSON.stringify(text)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/**
 * The inverse of parseLsn, for logs and messages that should match what PostgreSQL itself prints.
 *
 * @example
 * ```ts
 * import { formatLsn, parseLsn } from 'sqlbound';
 *
 * formatLsn(23803720n); // '0/16B3748'
 * formatLsn(parseLsn('16/b374d848')); // '16/B374D848'
 * ```
 */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
