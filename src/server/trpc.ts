// tRPC's building blocks for the example API: the request context, and the two procedure kinds every router uses.
// Every procedure runs inside a query scope (N+1 detection) and turns typed database errors into HTTP answers.
import { initTRPC, TRPCError, type TRPCProcedureType } from '@trpc/server';
import type { Logger } from 'pino';
import { match } from 'ts-pattern';
import { ZodError } from 'zod';
import { isSqlboundError, withQueryScope, type Db } from 'sqlbound';
import type { AuthResult } from './auth.js';
import { toTRPCError } from './errors.js';
import { noteWritten, type RequestPosition } from './write-position.js';

/** What one procedure call cost in statements: tests assert on it, operators can log it. */
export type ScopeReport = {
  path: string;
  type: TRPCProcedureType;
  total: number;
  byQuery: Record<string, number>;
};

export type ApiContext = {
  db: Db;
  auth: AuthResult;
  logger: Logger;
  /** strict makes a repeated (query, call site) fail the request (tests); warn only logs it (production). */
  scopeMode: 'warn' | 'strict';
  onScope: ((report: ScopeReport) => void) | undefined;
  /** The write position the client sent, and the one this request's writes reached (returned in a header). */
  position: RequestPosition;
};

/** `limit: Too big: expected number to be <=100; cursor: ...`: one line a client can act on. */
function describeIssues(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length === 0 ? 'input' : issue.path.map(String).join('.');
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

const t = initTRPC.context<ApiContext>().create({
  // Never send stack traces, whatever NODE_ENV says: they name files and SQL call sites.
  isDev: false,
  errorFormatter({ shape, error }) {
    if (error.code === 'BAD_REQUEST' && error.cause instanceof ZodError) {
      return {
        ...shape,
        message: `invalid input: ${describeIssues(error.cause)}`,
        data: { ...shape.data, issues: error.cause.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })) },
      };
    }
    // Internal failures are logged in full (onError); clients get no SQL or driver message.
    if (error.code === 'INTERNAL_SERVER_ERROR') return { ...shape, message: 'internal server error' };
    return shape;
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

type ScopeSubject = { ctx: ApiContext; path: string; type: TRPCProcedureType };

/** Runs `run` inside the call's query scope (N+1 detection, read-your-writes), then reports what it cost. */
async function inScope<T>({ ctx, path, type }: ScopeSubject, run: () => Promise<T>): Promise<T> {
  const { result, scope } = await withQueryScope(run, {
    mode: ctx.scopeMode,
    name: `${type} ${path}`,
    logger: ctx.logger,
    // Read-your-writes with replicas is per user: one user's write holds back only that user's replica reads.
    ...(ctx.auth.kind === 'user' ? { user: ctx.auth.userId } : {}),
    // What the client wrote through another worker or instance: its reads wait for a replica past it.
    ...(ctx.position.readAfter === null ? {} : { readAfter: ctx.position.readAfter }),
  });
  noteWritten(ctx.position, scope.writePosition);
  ctx.onScope?.({ path, type, total: scope.total, byQuery: scope.byQuery() });
  return result;
}

/** A failed call whose cause is a typed database error answers with that error's HTTP meaning. */
function withDatabaseErrors<R extends { ok: true } | { ok: false; error: TRPCError }>(result: R): R {
  if (!result.ok && isSqlboundError(result.error.cause)) throw toTRPCError(result.error.cause);
  return result;
}

const scoped = t.middleware(async (opts) => withDatabaseErrors(await inScope(opts, () => opts.next())));

export const publicProcedure = t.procedure.use(scoped);

/** Why a caller without a valid token is refused: the reason (expired, bad signature, ...) does not help forge one. */
function refusal(auth: Exclude<AuthResult, { kind: 'user' }>): TRPCError {
  return match(auth)
    .with({ kind: 'anonymous' }, () => new TRPCError({ code: 'UNAUTHORIZED', message: 'missing bearer token' }))
    .with({ kind: 'invalid' }, ({ reason }) => new TRPCError({ code: 'UNAUTHORIZED', message: `invalid bearer token: ${reason}` }))
    .exhaustive();
}

// The scope and the token check in one middleware: each tRPC middleware level copies the call's options and
// context (about a quarter of tRPC's cost per call, issue 30). A refused call still opens its (empty) scope
// and reports it, as it did when the check ran as a middleware inside the scope.
export const authedProcedure = t.procedure.use(async (opts) => {
  const { auth } = opts.ctx;
  if (auth.kind !== 'user') {
    await inScope(opts, async () => undefined);
    throw refusal(auth);
  }
  return withDatabaseErrors(await inScope(opts, () => opts.next({ ctx: { userId: auth.userId } })));
});
