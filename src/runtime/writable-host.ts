// Failover of the primary: a connection string may name several hosts, as libpq's does
// (`postgres://user:pw@db1:5432,db2:5432/app`), and every new connection goes to the one that takes writes, as libpq
// does with `target_session_attrs=read-write`: each host in order is asked `pg_is_in_recovery()` and
// `transaction_read_only`, and the first writable one is kept until a connection to it is lost or it refuses a write
// (25006, read-only transaction); then the next connection asks again. While none is writable (the old primary is
// gone and the replica not yet promoted), connecting fails like an unreachable server does: typed, 503 in the API.
import { Socket } from 'node:net';
import pg from 'pg';
import type { Logger } from 'pino';
import { createLogLimiter } from './log-limit.js';

export type HostTarget = { host: string; port: number };

/** The hosts of a libpq-style multi-host URL and the same URL for one of them; null for a single host. */
export function parseHosts(connectionString: string): { hosts: HostTarget[]; urlFor: (target: HostTarget) => string } | null {
  const match = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/.exec(connectionString);
  if (match === null) return null;
  const [, scheme = '', userinfo = '', netloc = '', rest = ''] = match;
  if (!netloc.includes(',')) return null;
  const hosts = netloc.split(',').map((entry): HostTarget => {
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    const plain = /^([^:]+)(?::(\d+))?$/.exec(entry);
    const found = bracketed ?? plain;
    if (found === null || found[1] === undefined) throw new Error(`connectionString: cannot read host ${JSON.stringify(entry)}`);
    return { host: found[1], port: Number(found[2] ?? 5432) };
  });
  const urlFor = (target: HostTarget) =>
    `${scheme}${userinfo}${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}${rest}`;
  return { hosts, urlFor };
}

export type WritableHost = {
  /** The writable host, asking the hosts in order when none is known. Rejects when none is writable now. */
  resolve(): Promise<HostTarget>;
  /** Forgets the known host: after a lost connection or a read-only refusal, the next connection asks again. */
  invalidate(): void;
  current(): HostTarget | null;
};

const PROBE = "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only";

export function writableHostResolver(
  hosts: readonly HostTarget[],
  urlFor: (target: HostTarget) => string,
  options: { connectTimeoutMs: number; applicationName: string; logger: Logger; failureLogIntervalMs: number },
): WritableHost {
  const { logger } = options;
  const failures = createLogLimiter({
    intervalMs: options.failureLogIntervalMs,
    onQuiet: (key, suppressed) => logger.warn({ failure: key, suppressed }, `${suppressed} more "${key}" lines were not logged`),
  });
  let known: HostTarget | null = null;
  let previous: HostTarget | null = null;
  let resolving: Promise<HostTarget> | null = null;

  const writable = async (target: HostTarget): Promise<boolean> => {
    const client = new pg.Client({
      connectionString: urlFor(target),
      connectionTimeoutMillis: options.connectTimeoutMs,
      application_name: `${options.applicationName}:resolve`,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ recovery: boolean; read_only: string }>(PROBE);
      return rows[0]?.recovery === false && rows[0].read_only === 'off';
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const find = async (): Promise<HostTarget> => {
    for (const target of hosts) {
      if (!(await writable(target))) continue;
      if (previous !== null && (previous.host !== target.host || previous.port !== target.port)) {
        logger.warn(
          { from: `${previous.host}:${previous.port}`, to: `${target.host}:${target.port}` },
          `the writable primary is now ${target.host}:${target.port} (was ${previous.host}:${previous.port})`,
        );
      }
      known = target;
      previous = target;
      return target;
    }
    const names = hosts.map((target) => `${target.host}:${target.port}`).join(', ');
    failures.hit('no writable host', (suppressed) =>
      logger.error(
        { hosts: names, ...(suppressed > 0 ? { suppressed } : {}) },
        `no writable host among ${names}: writes fail until one is`,
      ),
    );
    throw Object.assign(new Error(`no writable host among ${names}`), { code: 'ECONNREFUSED' });
  };

  return {
    resolve() {
      if (known !== null) return Promise.resolve(known);
      resolving ??= find().finally(() => {
        resolving = null;
      });
      return resolving;
    },
    invalidate() {
      known = null;
    },
    current: () => known,
  };
}

/**
 * pg's `stream` option: a socket whose connect goes to the writable host, whatever host pg asks for. A connect that
 * fails forgets the host, so the next one asks again.
 */
export function writableStream(resolver: WritableHost): () => Socket {
  return () => {
    const socket = new Socket();
    const connect = socket.connect.bind(socket);
    const redirected = (): Socket => {
      resolver.resolve().then(
        (target) => connect(target.port, target.host),
        (error: unknown) => socket.destroy(error instanceof Error ? error : new Error(String(error))),
      );
      return socket;
    };
    socket.connect = redirected;
    socket.once('error', () => resolver.invalidate());
    return socket;
  };
}
