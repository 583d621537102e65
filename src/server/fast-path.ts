// Single (unbatched) tRPC calls served without tRPC's Fetch adapter. The adapter builds a Fetch Request,
// Headers and AbortController per request; under the load test that conversion, not the query, capped one
// API process at about 660 dashboard loads/s (989/s without it, same build, same run: bench/RESULTS.md).
// The router, its middleware (auth, the N+1 scope), input schemas and error formatter are tRPC's own: calls
// go through tRPC's callTRPCProcedure, as its own adapters call them (a server-side caller built a proxy per
// request for the same call), errors through tRPC's error shape and status mapping. Batches
// (`?batch=1`) and anything unusual fall through to the official adapter.
import { callTRPCProcedure, getTRPCErrorFromUnknown, getTRPCErrorShape, TRPCError, type AnyTRPCRouter } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Derived, QueryCache } from 'sqlbound';
import { resultBody } from './response-json.js';

type ProcedureType = 'query' | 'mutation';

export type FastPathOptions<Context> = {
  prefix: string;
  /**
   * The procedures this hook answers. Queries (GET) need no body, so their hook can run at onRequest, before
   * Fastify's parsing and validation stages; mutations (POST) need the parsed body, so theirs runs at preHandler.
   */
  serves: ProcedureType;
  router: AnyTRPCRouter;
  createContext: (request: FastifyRequest) => Context;
  /** Extra response headers for a failed call (Retry-After, WWW-Authenticate). */
  errorHeaders: (error: TRPCError) => Record<string, string>;
  onError: (error: TRPCError, path: string) => void;
  /**
   * The bytes of a query procedure's answer, cached per caller (`scope`, null: not cacheable) and input through
   * the result cache's `derive`: a procedure that reads only cached queries is then answered without running
   * tRPC, zod or JSON.stringify, and the writes that drop its queries' entries drop its answer too.
   */
  responses?: {
    cache: QueryCache;
    scope: (ctx: Context) => string | null;
    onOutcome?: (path: string, outcome: Derived<string>['outcome']) => void;
  };
};

function procedureType(router: AnyTRPCRouter, path: string): ProcedureType | 'subscription' | null {
  // tRPC types a router's procedure record as any.
  const procedures = router._def.procedures as Record<string, unknown>;
  const procedure = procedures[path];
  if (typeof procedure !== 'function') return null;
  const type: unknown = Reflect.get(Reflect.get(procedure, '_def') ?? {}, 'type');
  return type === 'query' || type === 'mutation' || type === 'subscription' ? type : null;
}

/** Every query procedure's path (`dashboard.get`): the paths the front door may answer (front-door.ts). */
export function queryProcedures(router: AnyTRPCRouter): Set<string> {
  const procedures = router._def.procedures as Record<string, unknown>;
  return new Set(Object.keys(procedures).filter((path) => procedureType(router, path) === 'query'));
}

/**
 * The response cache's key of a query's answer: its procedure, the caller's scope and the raw input text (as
 * URLSearchParams decodes it, '' without one). One spelling for this hook and the front door, which must find
 * what this hook stored.
 */
export function responseKey(path: string, scope: string, input: string): string {
  return `${path}\u0000${scope}\u0000${input}`;
}

/** The single call a request carries, or null when the official adapter should handle it. */
function singleCall(prefix: string, url: string): { path: string; search: URLSearchParams } | null {
  if (!url.startsWith(`${prefix}/`)) return null;
  const query = url.indexOf('?');
  const rawPath = url.slice(prefix.length + 1, query === -1 ? undefined : query);
  const search = new URLSearchParams(query === -1 ? '' : url.slice(query + 1));
  if (search.has('batch') || rawPath.includes(',') || rawPath === '') return null;
  return { path: decodeURIComponent(rawPath), search };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TRPCError({ code: 'PARSE_ERROR', message: 'input is not valid JSON', cause });
  }
}

function rawInput(request: FastifyRequest, type: ProcedureType, search: URLSearchParams): unknown {
  if (type === 'query') {
    const input = search.get('input');
    return input === null ? undefined : parseJson(input);
  }
  const body: unknown = request.body;
  if (typeof body === 'string') return body.trim() === '' ? undefined : parseJson(body);
  return body ?? undefined;
}

export function fastPathHook<Context>(options: FastPathOptions<Context>) {
  const { responses } = options;
  const uncacheable = new Set<string>();
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const call = singleCall(options.prefix, request.url);
    if (call === null) return;
    const type = procedureType(options.router, call.path);
    // Unknown paths, subscriptions and method mismatches keep the official adapter's exact answers.
    if (type === null || type === 'subscription') return;
    if (type !== options.serves) return;
    if ((type === 'query' && request.method !== 'GET') || (type === 'mutation' && request.method !== 'POST')) return;
    let ctx: Context | undefined;
    let input: unknown;
    try {
      ctx = options.createContext(request);
      input = rawInput(request, type, call.search);
      const context = ctx;
      const parsed = input;
      const answer = async () =>
        resultBody(
          await callTRPCProcedure({
            router: options.router,
            path: call.path,
            getRawInput: () => Promise.resolve(parsed),
            ctx: context,
            type,
            signal: undefined,
            batchIndex: 0,
          }),
        );
      const scope = type === 'query' && responses !== undefined && !uncacheable.has(call.path) ? responses.scope(ctx) : null;
      let body: string;
      if (responses !== undefined && scope !== null) {
        // The raw input text is part of the key: the same input spelled another way is another entry, never a wrong one.
        const derived = await responses.cache.derive(call.path, responseKey(call.path, scope, call.search.get('input') ?? ''), answer);
        // A procedure that reads outside the cache once will again: stop paying a lookup for it.
        if (derived.outcome === 'uncached') uncacheable.add(call.path);
        responses.onOutcome?.(call.path, derived.outcome);
        body = derived.value;
      } else {
        body = await answer();
      }
      await reply.code(200).header('content-type', 'application/json').send(body);
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      options.onError(error, call.path);
      const shape: unknown = getTRPCErrorShape({ config: options.router._def._config, error, type, path: call.path, input, ctx });
      await reply
        .code(getHTTPStatusCodeFromError(error))
        .headers(options.errorHeaders(error))
        .header('content-type', 'application/json')
        .send(JSON.stringify({ error: shape }));
    }
  };
}
