// The guarantees as a front end sees them: the official tRPC client over the example API's router type. What
// the SDK refuses to compile inside the server, a client's call refuses too; what the client reads is what
// arrives over HTTP (JSON: timestamps are strings).
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd';
import type { Cursor, Limit } from '../src/runtime/pagination.js';
import type { AppRouter } from '../src/server/routers/index.js';

const trpc = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: 'http://127.0.0.1:3000/trpc', maxItems: 20 })] });

type Inputs = inferRouterInputs<AppRouter>;
type Outputs = inferRouterOutputs<AppRouter>;
/** A list's input without the `void | undefined` that makes the whole input optional. */
type Given<T> = Extract<T, object>;

declare const someNumber: number;
declare const exposuresPage: Outputs['exposures']['list'];
declare const alertsPage: Outputs['alerts']['list'];

// The inputs carry the SDK's types: Limit, the query's own Cursor, and T | null | undefined for optional params.
expectType<Limit | undefined>(({} as Given<Inputs['alerts']['list']>).limit);
expectType<Cursor<'listAlerts'> | null | undefined>(({} as Given<Inputs['alerts']['list']>).cursor);
expectType<Cursor<'listExposures'> | null | undefined>(({} as Given<Inputs['exposures']['list']>).cursor);
expectType<'info' | 'low' | 'medium' | 'high' | 'critical' | null | undefined>(({} as Given<Inputs['alerts']['list']>).severity);
expectType<boolean | null | undefined>(({} as Given<Inputs['alerts']['list']>).unreadOnly);
expectType<'detected' | 'removal_requested' | 'removed' | 'reappeared' | null | undefined>(
  ({} as Given<Inputs['exposures']['list']>).status,
);

// limit: 1, 50 and 100 compile, and so does leaving it out (50 at run time); 101, 0, 2.5 and a number do not.
void trpc.alerts.list.query({ limit: 1 });
void trpc.alerts.list.query({ limit: 50 });
void trpc.alerts.list.query({ limit: 100 });
void trpc.alerts.list.query({});
void trpc.alerts.list.query();
void trpc.alerts.list.query({ severity: 'high', unreadOnly: null });
expectError(trpc.alerts.list.query({ limit: 101 }));
expectError(trpc.alerts.list.query({ limit: 0 }));
expectError(trpc.alerts.list.query({ limit: 2.5 }));
expectError(trpc.alerts.list.query({ limit: someNumber }));
expectError(trpc.brokers.list.query({ limit: 101 }));
expectError(trpc.scans.list.query({ limit: someNumber }));
expectNotAssignable<Given<Inputs['exposures']['list']>>({ limit: 0 });

// cursor: null, left out, or the nextCursor the same procedure returned; a string or another list's cursor not.
void trpc.alerts.list.query({ cursor: null });
void trpc.alerts.list.query({ limit: 10, cursor: alertsPage.nextCursor });
void trpc.exposures.list.query({ cursor: exposuresPage.nextCursor });
expectError(trpc.alerts.list.query({ cursor: 'eyJhbGciOi' }));
expectError(trpc.alerts.list.query({ cursor: exposuresPage.nextCursor }));
expectError(trpc.exposures.list.query({ cursor: alertsPage.nextCursor }));
expectError(trpc.brokers.list.query({ cursor: alertsPage.nextCursor }));

// Unknown enum values and keys the procedure does not take (userId comes from the token) do not compile.
expectError(trpc.alerts.list.query({ severity: 'urgent' }));
expectError(trpc.alerts.list.query({ limit: 10, sort: 'asc' }));
expectError(trpc.alerts.list.query({ userId: '1' }));
expectError(trpc.exposures.list.query({ status: 'gone' }));

// Walking pages: each answer's nextCursor feeds the next call, as useInfiniteQuery's getNextPageParam does.
async function walk(): Promise<number> {
  let seen = 0;
  let cursor: Cursor<'listAlerts'> | null = null;
  do {
    const page: Outputs['alerts']['list'] = await trpc.alerts.list.query({ limit: 100, cursor });
    seen += page.items.length;
    cursor = page.nextCursor;
  } while (cursor !== null);
  return seen;
}
void walk;
const getNextPageParam = (page: Outputs['alerts']['list']) => page.nextCursor;
expectAssignable<Given<Inputs['alerts']['list']>['cursor']>(getNextPageParam(alertsPage));
expectNotAssignable<Given<Inputs['alerts']['list']>['cursor']>(exposuresPage.nextCursor);

// Mutations: ids are strings, and the caller cannot name a user.
void trpc.alerts.markRead.mutate({ alertId: '7' });
expectError(trpc.alerts.markRead.mutate({ alertId: 7 }));
expectError(trpc.alerts.markRead.mutate({ alertId: '7', userId: '1' }));
void trpc.profile.update.mutate({ phone: '+1 555 0199' });

// Outputs say what arrives over HTTP: no transformer, so timestamps are ISO strings, at every depth; the
// cursor keeps its brand, so it can go back only where it came from.
expectType<Cursor<'listAlerts'> | null>(alertsPage.nextCursor);
declare const alert: Outputs['alerts']['list']['items'][number];
expectType<string>(alert.created_at);
expectType<string | null>(alert.read_at);
expectType<string>(alert.id);
declare const dashboard: Outputs['dashboard']['get'];
expectType<string>(dashboard.member_since);
expectType<string | null>(dashboard.current_period_end);
declare const recent: Outputs['dashboard']['get']['recentAlerts'][number];
expectType<string>(recent.created_at);
expectType<string | undefined>(recent.exposure?.created_at);
expectType<string | null | undefined>(dashboard.latestScan?.finished_at);
declare const exposure: Outputs['exposures']['list']['items'][number];
expectType<string>(exposure.created_at);
expectNotAssignable<Date>(alert.created_at);
