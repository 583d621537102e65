// The example API's HTTP surface: tRPC at /trpc, /healthz, /metrics, the performance page at /_db. buildApp does not listen; the caller does.
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import type { TRPC_ERROR_CODE_KEY, TRPCError } from '@trpc/server';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { pino, type Logger } from 'pino';
import { isSqlboundError, type Db } from 'sqlbound';
import { PROMETHEUS_CONTENT_TYPE, type PrometheusMetrics } from './prometheus.js';
import { assertAuthSecret, createAuthVerifier, type AuthResult } from './auth.js';
import { batchGuard, MAX_BATCH_SIZE } from './batch.js';
import { isRetryLater, RETRY_AFTER_SECONDS } from './errors.js';
import { createLogLimiter } from 'sqlbound';
import { clientErrorHandler, connectHandler, methodGuard, trpcShapedError } from './http-errors.js';
import { loadManifest } from '@sqlbound/cli/codegen';
import { auditReportPath, manifestPath } from './paths.js';
import { registerPerfPage, type PerfPageOptions } from './perf/page.js';
import { observeQueryBudgets, queryBudgets } from './query-budgets.js';
import { fastPathHook, queryProcedures } from './fast-path.js';
import { frontDoor, installFrontDoor } from './front-door.js';
import { utf8Body, utf8Query } from './utf8.js';
import { readWritePosition, requestPosition, sendWritePosition } from './write-position.js';
import { appRouter, type AppRouter } from './routers/index.js';
import type { ApiContext, ScopeReport } from './trpc.js';

export type AppOptions = {
  db: Db;
  /** HMAC key for bearer tokens, at least 32 characters. */
  authSecret: string;
  /** Fail any request that repeats a (query, call site) more than the threshold: for tests. Default false (warn). */
  strictScope?: boolean;
  /**
   * When given, /metrics serves its Prometheus text, HTTP request durations are recorded into it, and each query's
   * `-- budget:` (from generated/manifest.json) is exported as sqlbound_query_budget.
   */
  metrics?: PrometheusMetrics;
  logger?: Logger;
  /** Called after every procedure call with the statements it ran. */
  onScope?: (report: ScopeReport) => void;
  /** Largest request body in bytes. Default 16 KiB: no procedure takes more than a few hundred bytes. */
  bodyLimit?: number;
  /**
   * The performance page at /_db (docs/operations.md). Without it, or with a null adminToken, the page's routes
   * answer 401 to every request. auditReportPath defaults to paths.ts's auditReportPath.
   */
  performancePage?: Omit<PerfPageOptions, 'auditReportPath'> & { auditReportPath?: string };
  /**
   * Answer a query procedure that reads only cached queries from its cached response bytes (per user and input,
   * dropped by the same writes: QueryCache.derive), without running tRPC, zod or JSON.stringify. Needs the db's
   * cache. Hits skip the procedure, so they are counted in api_response_cache_total, not in the request scope.
   * Default false; `npm start` turns it on unless SQLBOUND_RESPONSE_CACHE=off.
   */
  responseCache?: boolean;
  /**
   * With responseCache: answer a held response before Fastify, in the HTTP server's request listener (front-door.ts),
   * with the same status, headers and bytes. Default true; false leaves every request to Fastify (tests, A/B runs).
   */
  frontDoor?: boolean;
};

export const DEFAULT_BODY_LIMIT = 16 * 1024;

/** http.server.request.duration, as the OpenTelemetry HTTP semantic conventions define it. */
const REQUEST_DURATION = {
  meter: 'sqlbound-api',
  name: 'http.server.request.duration',
  unit: 's',
  description: 'Duration of HTTP requests',
  // The SDK's default buckets are for milliseconds; these are the semantic conventions'.
  boundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
} as const;
/** The route template of every tRPC procedure, as Fastify's router names it. */
const TRPC_ROUTE = '/trpc/:path';

/** The response cache's scope of a caller: a user's own answers; none for anyone else. */
const responseScope = (auth: AuthResult): string | null => (auth.kind === 'user' ? auth.userId : null);

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  assertAuthSecret(options.authSecret);
  const logger = options.logger ?? pino({ level: 'silent' });
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  // Typed as Fastify's logger interface, so the instance is a plain FastifyInstance whatever pino version we use.
  const fastifyLogger: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance: fastifyLogger,
    // Per-request "incoming request"/"request completed" lines cost a child logger and two records per
    // request; failures and slow queries are logged by the runtime and the error handler instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    // The tRPC route is /trpc/:path, and a batch names every procedure in :path. Node's header limit (16 KiB)
    // already bounds the URL; a shorter cap here would answer a long batch 414 before the batch check can explain.
    routerOptions: { maxParamLength: 16 * 1024 },
    // close() stops accepting, ends idle keep-alive sockets and waits for in-flight requests.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    clientErrorHandler,
    // A URL the router cannot decode (bad percent-encoding) never reaches a route or the error handler.
    frameworkErrors: (error, _request, reply) => {
      const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 400;
      const message = error.code === 'FST_ERR_BAD_URL' ? 'malformed URL: invalid percent-encoding' : 'malformed request';
      const answer: FastifyReply = reply;
      void answer.code(status).send(trpcShapedError('BAD_REQUEST', status, message));
    },
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(trpcShapedError('NOT_FOUND', 404, 'no such route: procedures are at /trpc/<router>.<procedure>')),
  );

  // The runtime already logged a database failure (once per distinct failure per interval, naming the
  // procedure): a second line per request here is what flooded the log during an outage. Only failures the
  // runtime never saw are logged, rate-limited the same way; a bug keeps its stack.
  const failures = createLogLimiter({
    onQuiet: (key, suppressed) => logger.error({ failure: key, suppressed }, `${suppressed} more failures like this were not logged`),
  });
  // Fastify rejects oversized bodies with 413 before any route runs; the API contract is 400 with a message.
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(400).send(trpcShapedError('BAD_REQUEST', 400, `request body too large: at most ${bodyLimit} bytes`));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply
        .code(415)
        .send(trpcShapedError('UNSUPPORTED_MEDIA_TYPE', 415, 'unsupported content type: send the input as application/json'));
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500)
      failures.hit(`request ${error.code ?? error.name}`, (suppressed) =>
        logger.error({ err: error, ...(suppressed > 0 ? { suppressed } : {}) }, 'request failed'),
      );
    return reply
      .code(status)
      .send(
        trpcShapedError(
          status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST',
          status,
          status === 500 ? 'internal server error' : error.message,
        ),
      );
  });

  app.server.on('connect', connectHandler);
  // The checks every request passes before routing, in this order, as one callback-style hook: an async hook per
  // check cost a promise and a microtask each on every request. The first that answers ends the request. The
  // write position (read-your-writes across instances without a shared store, write-position.ts) is read before
  // the fast path's hook; a batch over the limit costs nothing but its refusal, before any input is parsed.
  app.addHook('onRequest', (request, reply, done) => {
    if (
      methodGuard(request, reply) ||
      utf8Query(request, reply) ||
      readWritePosition(request, reply) ||
      batchGuard('/trpc', request, reply)
    )
      return;
    done();
  });
  app.addHook('preParsing', utf8Body);
  app.addHook('onSend', sendWritePosition);

  const manifest = await loadManifest(manifestPath);
  const page = registerPerfPage(
    app,
    { db: options.db, metrics: options.metrics, manifest: manifest.queries, logger },
    { adminToken: null, ...options.performancePage, auditReportPath: options.performancePage?.auditReportPath ?? auditReportPath },
  );
  const onScope = (report: ScopeReport) => {
    page.onScope(report);
    options.onScope?.(report);
  };
  const verifyAuthorization = createAuthVerifier(options.authSecret);
  const createContext = (request: FastifyRequest): ApiContext => ({
    db: options.db,
    auth: verifyAuthorization(request.headers.authorization),
    position: requestPosition(request),
    logger,
    scopeMode: options.strictScope === true ? 'strict' : 'warn',
    onScope,
  });
  const errorHeaders = (errors: { code: TRPC_ERROR_CODE_KEY }[]): Record<string, string> => {
    const headers: Record<string, string> = {};
    if (errors.some((error) => isRetryLater(error.code))) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
    if (errors.some((error) => error.code === 'UNAUTHORIZED')) headers['www-authenticate'] = 'Bearer';
    return headers;
  };
  const onProcedureError = (error: TRPCError, path: string | undefined) => {
    if (isSqlboundError(error.cause) && error.code !== 'INTERNAL_SERVER_ERROR') return;
    if (error.code !== 'INTERNAL_SERVER_ERROR' && !isRetryLater(error.code) && error.code !== 'GATEWAY_TIMEOUT') return;
    const cause = error.cause ?? error;
    failures.hit(`${path ?? '?'} ${error.code} ${cause.name}`, (suppressed) =>
      logger.error({ err: cause, path, ...(suppressed > 0 ? { suppressed } : {}) }, `procedure ${path ?? '?'} failed`),
    );
  };
  const trpcOptions: FastifyTRPCPluginOptions<AppRouter>['trpcOptions'] = {
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: ({ req }) => createContext(req),
    responseMeta: ({ errors }) => ({ headers: errorHeaders(errors) }),
    onError: ({ error, path }) => onProcedureError(error, path),
  };
  // Counted in plain numbers and read at collection (an observable counter): a synchronous counter hashed its
  // attributes on every answer, 2 % of the API's CPU per cached dashboard under load.
  const responseOutcomes = new Map<string, { attributes: { procedure: string; outcome: string }; count: number }>();
  options.metrics?.meterProvider
    .getMeter('sqlbound-api')
    .createObservableCounter('api.response_cache', {
      description: 'Query procedure answers by response-cache outcome: hit, stored, uncached, raced',
    })
    .addCallback((result) => {
      for (const { attributes, count } of responseOutcomes.values()) result.observe(count, attributes);
    });
  const countOutcome = (procedure: string, outcome: string) => {
    const key = `${procedure}\u0000${outcome}`;
    const seen = responseOutcomes.get(key);
    if (seen === undefined) responseOutcomes.set(key, { attributes: { procedure, outcome }, count: 1 });
    else seen.count += 1;
  };
  // Procedures whose answers are never held (they read outside the cache): neither path looks them up again.
  const uncacheable = new Set<string>();
  const responses =
    options.responseCache !== true || options.db.cache === null
      ? null
      : {
          cache: options.db.cache,
          scope: (ctx: ApiContext) => responseScope(ctx.auth),
          onOutcome: (path: string, outcome: string) => {
            if (outcome === 'uncached') uncacheable.add(path);
            countOutcome(path, outcome);
          },
        };
  // Single calls skip tRPC's Fetch adapter (see fast-path.ts); batches and odd requests reach the plugin below.
  const fastPath = {
    prefix: '/trpc',
    router: appRouter,
    createContext,
    errorHeaders: (error: TRPCError) => errorHeaders([error]),
    onError: onProcedureError,
    ...(responses === null ? {} : { responses }),
  };
  app.addHook('onRequest', fastPathHook({ ...fastPath, serves: 'query' }));
  app.addHook('preHandler', fastPathHook({ ...fastPath, serves: 'mutation' }));
  await app.register(fastifyTRPCPlugin, { prefix: '/trpc', trpcOptions });

  app.get('/healthz', async (_request, reply) => {
    try {
      // A statement object, not hand-written API SQL: the cheapest round trip that proves a pooled connection works.
      await options.db.execute({ name: 'healthz', text: 'SELECT 1' }, []);
      return reply.send({ status: 'ok', pool: options.db.poolStats() });
    } catch (error) {
      const reason = isSqlboundError(error) ? error.code : 'UNKNOWN';
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({ status: 'unavailable', reason, pool: options.db.poolStats() });
    }
  });

  const metrics = options.metrics;
  if (metrics !== undefined) {
    observeQueryBudgets(metrics.meterProvider, queryBudgets(manifest));
    const duration = metrics.meterProvider.getMeter(REQUEST_DURATION.meter).createHistogram(REQUEST_DURATION.name, {
      unit: REQUEST_DURATION.unit,
      description: REQUEST_DURATION.description,
      advice: { explicitBucketBoundaries: [...REQUEST_DURATION.boundaries] },
    });
    app.addHook('onResponse', (request, reply, done) => {
      duration.record(reply.elapsedTime / 1000, {
        'http.request.method': request.method,
        // The route template, never the raw URL: bounded label cardinality.
        'http.route': request.routeOptions.url ?? 'unmatched',
        'http.response.status_code': reply.statusCode,
      });
      done();
    });
    app.get('/metrics', async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.metricsText()));
  }

  if (responses !== null && options.frontDoor !== false) {
    // The front door's answers are one series of the duration histogram, counted without the SDK's per-record
    // attribute hashing (histogram-tally.ts).
    const recordDuration = options.metrics?.tallyHistogram({
      ...REQUEST_DURATION,
      attributes: { 'http.request.method': 'GET', 'http.route': TRPC_ROUTE, 'http.response.status_code': 200 },
    });
    let closing = false;
    app.addHook('preClose', (done) => {
      closing = true;
      done();
    });
    const cache = responses.cache;
    installFrontDoor(
      app.server,
      frontDoor({
        prefix: '/trpc',
        queries: queryProcedures(appRouter),
        uncacheable,
        verify: verifyAuthorization,
        scope: responseScope,
        held: (key) => cache.peekDerived(key),
        closing: () => closing,
        answered: (path, seconds) => {
          countOutcome(path, 'hit');
          recordDuration?.(seconds);
        },
      }),
    );
  }

  return app;
}
