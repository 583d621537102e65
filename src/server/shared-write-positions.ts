// Each user's last write position in the shared Redis, so a user's write through one worker or instance holds back
// that user's replica reads in all of them (the runtime's WritePositionStore). The value is the position as 16 hex
// digits, so Redis compares it as a string; the highest position wins, whatever order two instances' writes land in.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WritePositionStore } from 'sqlbound';
import { redisOptions } from './shared-cache.js';

const PREFIX = 'sqlbound:write-position:';

// Keeps the higher of the stored and the given position, and its expiry, in one atomic step.
const RECORD_HIGHEST = `
local current = redis.call('GET', KEYS[1])
if current and current >= ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

const encode = (lsn: bigint) => lsn.toString(16).padStart(16, '0');

export function createSharedWritePositions(options: { url: string; logger: Logger }): WritePositionStore {
  // No offline queue: while Redis is down a command fails at once, and the runtime sends the read to the primary.
  const connection = new Redis({ ...redisOptions(options.url), enableOfflineQueue: false });
  // The runtime logs each failed lookup (rate-limited); this line says once per outage why, and when it ends.
  let down = false;
  connection.on('error', (error: Error) => {
    if (down) return;
    down = true;
    options.logger.warn(
      { err: error.message, redis: options.url },
      'Redis (write positions) is unreachable: replica reads after a write go to the primary',
    );
  });
  connection.on('ready', () => {
    if (!down) return;
    down = false;
    options.logger.info({ redis: options.url }, 'Redis (write positions) is back');
  });
  return {
    async record(key, lsn, retainMs) {
      await connection.eval(RECORD_HIGHEST, 1, `${PREFIX}${key}`, encode(lsn), String(Math.max(1, retainMs)));
    },
    async required(key) {
      const value = await connection.get(`${PREFIX}${key}`);
      return value === null ? null : BigInt(`0x${value}`);
    },
    async close() {
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
