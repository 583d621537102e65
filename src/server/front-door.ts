// Cached answers before Fastify. A plain GET of one query procedure whose answer the response cache holds for this
// caller and input is answered in the HTTP server's request listener, from the held bytes (QueryCache.peekDerived),
// without Fastify's request and reply objects, routing, hooks or a promise: under wrk's closed model those, not the
// lookup, were most of a cached dashboard's CPU (bench/RESULTS.md). Anything else, and any request Fastify's guards
// would treat specially (a write position, a body, an odd query string, a token that does not verify, a miss, a
// server closing), goes to Fastify unchanged, whose fast path (fast-path.ts) answers and stores the same bytes.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AuthResult } from './auth.js';
import { responseKey } from './fast-path.js';
import { WRITE_POSITION_HEADER } from './write-position.js';

/** What Fastify sends with a string reply typed application/json: the front door's answer must not differ. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const INPUT = 'input=';

export type FrontDoorOptions = {
  /** Where the tRPC procedures are ('/trpc'). */
  prefix: string;
  /** Paths of the query procedures; any other path falls through. */
  queries: ReadonlySet<string>;
  /** Procedures seen reading outside the cache: their answers are never held, so they are not looked up. */
  uncacheable: ReadonlySet<string>;
  /** The bearer-token check createContext uses (memoized). */
  verify: (header: string | undefined) => AuthResult;
  /** The response cache's scope of a caller, as the fast path's `responses.scope` gives it; null: not cacheable. */
  scope: (auth: AuthResult) => string | null;
  /** The answer held under a response key (QueryCache.peekDerived), or undefined. */
  held: (key: string) => string | undefined;
  /** True once the server is closing: Fastify answers then (503, Connection: close). */
  closing: () => boolean;
  /** After each answer: its procedure, and the time it took in seconds. */
  answered: (path: string, seconds: number) => void;
};

/** Answers a request and returns true, or returns false having touched nothing. */
export type FrontDoor = (request: IncomingMessage, response: ServerResponse) => boolean;

/**
 * The `input` of a query string that holds that parameter alone, decoded as URLSearchParams decodes it (the fast
 * path's key); null for anything else. An empty `input=` is refused: Fastify answers it with a parse error, and its
 * key would be the one of a call without input.
 */
function inputText(search: string): string | null {
  if (!search.startsWith(INPUT) || search.length === INPUT.length || search.includes('&')) return null;
  const value = search.slice(INPUT.length);
  const spaced = value.includes('+') ? value.replaceAll('+', ' ') : value;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    // Not UTF-8 or not a percent-escape: Fastify's guard answers 400 (utf8.ts).
    return null;
  }
}

export function frontDoor(options: FrontDoorOptions): FrontDoor {
  const start = `${options.prefix}/`;
  return (request, response) => {
    const began = performance.now();
    const { url, headers } = request;
    if (request.method !== 'GET' || url === undefined || !url.startsWith(start) || options.closing()) return false;
    // A write position is read (and answered back) by Fastify's hooks; a body on a GET is left to Fastify's handling.
    if (
      headers[WRITE_POSITION_HEADER] !== undefined ||
      headers['content-length'] !== undefined ||
      headers['transfer-encoding'] !== undefined
    )
      return false;
    const mark = url.indexOf('?', start.length);
    const path = mark === -1 ? url.slice(start.length) : url.slice(start.length, mark);
    // Only a known path spelled as such: no percent-escapes, commas (a batch) or extra slashes get this far.
    if (!options.queries.has(path) || options.uncacheable.has(path)) return false;
    const input = mark === -1 ? '' : inputText(url.slice(mark + 1));
    if (input === null) return false;
    const scope = options.scope(options.verify(headers.authorization));
    if (scope === null) return false;
    const body = options.held(responseKey(path, scope, input));
    if (body === undefined) return false;
    response.writeHead(200, { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
    response.end(body);
    options.answered(path, (performance.now() - began) / 1000);
    return true;
  };
}

/**
 * Puts `door` in front of Fastify's request listener on its own server. Replacing the listener, rather than giving
 * Fastify a server (its serverFactory option), keeps everything Fastify sets up on the server it makes: its timeouts,
 * its close and drain (return503OnClosing, forceCloseConnections), its second binding for `localhost`.
 */
export function installFrontDoor(server: Server, door: FrontDoor): void {
  const listeners = server.listeners('request');
  const [fastify] = listeners;
  if (listeners.length !== 1 || fastify === undefined)
    throw new Error(`expected Fastify's one request listener, found ${listeners.length}`);
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!door(request, response)) Reflect.apply(fastify, server, [request, response]);
  });
}
