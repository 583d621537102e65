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

const scoped = t.middleware(async ({ ctx, path, type, next }) => {
  const { result, scope } = await withQueryScope(() => next(), {
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
  if (!result.ok && isSqlboundError(result.error.cause)) throw toTRPCError(result.error.cause);
  return result;
});

export const publicProcedure = t.procedure.use(scoped);

export const authedProcedure = publicProcedure.use(({ ctx, next }) =>
  match(ctx.auth)
    .with({ kind: 'user' }, ({ userId }) => next({ ctx: { userId } }))
    .with({ kind: 'anonymous' }, () => {
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'missing bearer token' });
    })
    .with({ kind: 'invalid' }, ({ reason }) => {
      // The reason (expired, bad signature, ...) is safe to tell: it does not help forge a token.
      throw new TRPCError({ code: 'UNAUTHORIZED', message: `invalid bearer token: ${reason}` });
    })
    .exhaustive(),
);
